#!/usr/bin/env python3
# A serial line for tests: creates a pseudo-terminal for the host side (its slave path printed
# on stderr as "host <path>") and relays its bytes to and from the MCU side: this process's
# stdin/stdout ("-") or an existing tty (QEMU's serial pty). On request it corrupts bytes on purpose (bit
# flips, drops, inserted garbage), with a seeded generator, and paces both directions to a baud
# rate. SIGUSR1 toggles the corruption on and off; SIGUSR2 prints the bytes carried each way.
import argparse, os, pty, random, select, signal, sys, termios, time, tty

ap = argparse.ArgumentParser()
ap.add_argument('--mcu', default='-', help='"-" for stdin/stdout, or a tty path')
ap.add_argument('--seed', type=int, default=1)
ap.add_argument('--flip', type=float, default=0.0, help='probability per byte of one flipped bit')
ap.add_argument('--drop', type=float, default=0.0, help='probability per byte of dropping it')
ap.add_argument('--garbage', type=float, default=0.0, help='probability per byte of inserting a random byte')
ap.add_argument('--noise-off', action='store_true', help='start with corruption off (SIGUSR1 turns it on)')
ap.add_argument('--baud', type=int, default=0, help='pace each direction to this 8N1 rate (0: as fast as possible)')
args = ap.parse_args()

rng = random.Random(args.seed)
noisy = not args.noise_off
stats = {'flipped': 0, 'dropped': 0, 'inserted': 0}

def toggle(_sig, _frm):
    global noisy
    noisy = not noisy
signal.signal(signal.SIGUSR1, toggle)
# Bytes each direction carried (after corruption): printed on SIGUSR2.
carried = {'up': 0, 'down': 0}
def report(_sig, _frm):
    sys.stderr.write('stats up=%d down=%d flipped=%d dropped=%d inserted=%d\n' % (
        carried['up'], carried['down'], stats['flipped'], stats['dropped'], stats['inserted']))
    sys.stderr.flush()
signal.signal(signal.SIGUSR2, report)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

master, slave = pty.openpty()
tty.setraw(slave)
tty.setraw(master)
host_path = os.ttyname(slave)

if args.mcu == '-':
    mcu_in, mcu_out = sys.stdin.buffer.fileno(), sys.stdout.buffer.fileno()
else:
    fd = os.open(args.mcu, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    mcu_in = mcu_out = fd

sys.stderr.write('host %s\n' % host_path)
sys.stderr.flush()

def corrupt(data):
    if not noisy or (args.flip == 0 and args.drop == 0 and args.garbage == 0):
        return data
    out = bytearray()
    for b in data:
        if rng.random() < args.garbage:
            out.append(rng.randrange(256)); stats['inserted'] += 1
        if rng.random() < args.drop:
            stats['dropped'] += 1; continue
        if rng.random() < args.flip:
            b ^= 1 << rng.randrange(8); stats['flipped'] += 1
        out.append(b)
    return bytes(out)

# Each direction paced on its own, as on a full-duplex UART: bytes wait in a per-direction
# buffer and are released at the baud rate (8N1: 10 bits a byte).
pending = {'up': bytearray(), 'down': bytearray()}
released = {'up': time.monotonic(), 'down': time.monotonic()}
targets = {'up': master, 'down': mcu_out}

def release(direction):
    buf = pending[direction]
    if not buf:
        released[direction] = time.monotonic()
        return
    if args.baud > 0:
        now = time.monotonic()
        n = int((now - released[direction]) * args.baud / 10)
        if n <= 0:
            return
        n = min(n, len(buf))
        released[direction] += n * 10.0 / args.baud
    else:
        n = len(buf)
    try:
        written = os.write(targets[direction], bytes(buf[:n]))
    except BlockingIOError:
        written = 0
    carried[direction] += written
    del buf[:written]

while True:
    busy = pending['up'] or pending['down']
    r, _, _ = select.select([master, mcu_in], [], [], 0.002 if busy else None)
    if master in r:
        try:
            data = os.read(master, 4096)
        except OSError:
            data = b''
        if data:
            pending['down'] += corrupt(data)
    if mcu_in in r:
        data = os.read(mcu_in, 4096)
        if not data:
            break
        pending['up'] += corrupt(data)
    release('up')
    release('down')
