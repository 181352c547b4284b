/**
 * The C library (firmware-bridge/c) from the TypeScript suite: its unit tests and golden frames
 * and its fuzz driver, compiled with gcc and clang under ASan and UBSan; the example firmware,
 * built for the host and for QEMU's mps2-an385, talking to this package's codec over a real pty
 * (the way the bridge opens /dev/ttyUSB0): HELLO, the index table, properties, timestamped
 * readings, and a server setpoint the firmware obeys.
 */
import { strict as assert } from 'node:assert'
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { promisify } from 'node:util'
import fc from 'fast-check'
import { SerialPort } from 'serialport'
import {
  type CborValue,
  Float64,
  FrameReceiver,
  cobsEncode,
  crc16,
  encodeCbor,
  type HelloAck,
  type Message,
  encodeWire,
  messageFromJson,
} from '../src/index.js'
import {
  LIBRARY_TEXT_CEILING,
  armLibrarySize,
  buildHostFirmware,
  buildQemuFirmware,
  buildTests,
  qemuArgs,
} from '../c/build.mjs'

const run = promisify(execFile)
const LONG = { timeout: 180_000 }

const frames = JSON.parse(
  readFileSync(new URL('../vectors/frames.json', import.meta.url), 'utf8'),
) as { name: string; message: unknown }[]
const goldenAck = messageFromJson(frames.find((f) => f.name === 'hello_ack')?.message) as HelloAck

/** One build per compiler, shared by its tests. */
const builds = new Map<'gcc' | 'clang', ReturnType<typeof buildTests>>()
function built(cc: 'gcc' | 'clang'): ReturnType<typeof buildTests> {
  let b = builds.get(cc)
  if (b === undefined) builds.set(cc, (b = buildTests(cc)))
  return b
}

for (const cc of ['gcc', 'clang'] as const) {
  test(`C unit tests and golden frames pass under ASan and UBSan (${cc})`, LONG, async () => {
    const { unit } = await built(cc)
    const { stdout } = await run(unit, [], { timeout: 120_000 })
    assert.match(stdout, /^\d+ checks, 0 failed$/m)
    assert.match(stdout, /^ok golden session of the example board$/m)
  })

  test(
    `C fuzz: 100k random and mutated inputs end in frames or typed errors (${cc})`,
    LONG,
    async () => {
      const { fuzz } = await built(cc)
      // a crash, an out-of-bounds access or undefined behaviour exits non-zero; a hang times out
      const { stdout } = await run(fuzz, ['100000'], { timeout: 120_000 })
      const reached =
        /fuzz: 100000 inputs, \d+ mutated COBS frames still decodable; (\d+) frames reached a device/.exec(
          stdout,
        )
      assert.ok(reached, stdout)
      assert.ok(Number(reached[1]) > 50_000, `only ${reached[1]} fuzzed frames reached the device`)
    },
  )
}

/** Items of the protocol's CBOR subset, integers within what the C reader takes (64-bit). */
const cborItem: fc.Arbitrary<CborValue> = fc.letrec<{ v: CborValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.uint8Array({ maxLength: 300 }),
    fc.double().map((d) => new Float64(d)),
    fc.array(tie('v'), { maxLength: 6 }),
    fc
      .uniqueArray(fc.tuple(fc.nat({ max: 1000 }), tie('v')), {
        maxLength: 6,
        selector: (e) => e[0],
      })
      .map((entries) => new Map(entries)),
  ),
})).v

/** `body` as a frame (type 0x20, seq, CRC) on the wire. */
function wire(seq: number, body: Uint8Array): Uint8Array {
  const frame = new Uint8Array(body.length + 4)
  frame[0] = 0x20
  frame[1] = seq & 0xff
  frame.set(body, 2)
  const crc = crc16(frame, body.length + 2)
  frame[body.length + 2] = crc >> 8
  frame[body.length + 3] = crc & 0xff
  return Uint8Array.from([...cobsEncode(frame), 0])
}

test(
  'the C CBOR reader and writer agree with the TypeScript codec byte for byte',
  LONG,
  async () => {
    const { echo } = await built('gcc')
    await fc.assert(
      fc.asyncProperty(fc.array(cborItem, { minLength: 1, maxLength: 40 }), async (items) => {
        // the C side reads each frame item by item and writes it again: the same bytes must return
        const input = Buffer.concat(items.map((item, i) => wire(i, encodeCbor(item))))
        const echoed = run(echo, { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 })
        echoed.child.stdin?.end(input)
        assert.deepEqual((await echoed).stdout, input)
      }),
      { numRuns: 25 },
    )
  },
)

test('the C library fits its Cortex-M3 text budget', LONG, () => {
  const { text, perFile } = armLibrarySize()
  assert.ok(perFile.length >= 8, 'every source file is measured')
  assert.ok(text > 0 && text <= LIBRARY_TEXT_CEILING, `${text} bytes of text`)
})

/** Messages from the firmware, taken in order by what a test waits for. */
class Line {
  private readonly receiver = new FrameReceiver(1024)
  private readonly got: Message[] = []
  private wake: () => void = () => undefined

  constructor(private readonly port: SerialPort) {
    port.on('data', (chunk: Buffer) => {
      for (const r of this.receiver.push(new Uint8Array(chunk))) if (r.ok) this.got.push(r.message)
      this.wake()
    })
  }

  /** The first message not yet taken that `match` accepts (the ones before it stay). */
  async next<T extends Message>(what: string, match: (m: Message) => m is T): Promise<T> {
    const deadline = Date.now() + 60_000
    for (;;) {
      const i = this.got.findIndex(match)
      if (i >= 0) return this.got.splice(i, 1)[0] as T
      if (Date.now() > deadline) {
        throw new Error(
          `no ${what} from the firmware; got ${this.got.map((m) => m.type).join(' ')}`,
        )
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve
        setTimeout(resolve, 1000)
      })
    }
  }

  send(m: Message): Promise<void> {
    return new Promise((resolve, reject) => {
      this.port.write(Buffer.from(encodeWire(m)), (e) =>
        e ? reject(e) : this.port.drain(() => resolve()),
      )
    })
  }
}

/** Everything a child process wrote on some of its streams, and a wait for a line in it. */
function output(...streams: (NodeJS.ReadableStream | null)[]) {
  let text = ''
  let wake: () => void = () => undefined
  for (const stream of streams) {
    stream?.setEncoding('utf8')
    stream?.on('data', (s: string) => {
      text += s
      wake()
    })
  }
  return {
    text: () => text,
    async match(re: RegExp): Promise<RegExpExecArray> {
      const deadline = Date.now() + 60_000
      for (;;) {
        const m = re.exec(text)
        if (m) return m
        if (Date.now() > deadline) throw new Error(`no ${re} in: ${text}`)
        await new Promise<void>((resolve) => {
          wake = resolve
          setTimeout(resolve, 1000)
        })
      }
    },
  }
}

async function openPort(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false, hupcl: false })
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())))
  return port
}

const is =
  <K extends Message['type']>(
    type: K,
    also: (m: Extract<Message, { type: K }>) => boolean = () => true,
  ) =>
  (m: Message): m is Extract<Message, { type: K }> =>
    m.type === type && also(m as Extract<Message, { type: K }>)

/** The example board's session, as the bridge would run it. */
async function converse(line: Line, log: ReturnType<typeof output>, boot: number): Promise<void> {
  const hello = await line.next('HELLO', is('hello'))
  assert.equal(hello.bootCounter, boot)
  assert.equal(hello.identity, 'mps2-0001')
  assert.equal(hello.firmware, 'sensor 1.0.0')
  assert.deepEqual(hello.interfaces, [
    'org.astarte-ts.bridge.Sensor:1:0',
    'org.astarte-ts.bridge.Status:1:0',
    'org.astarte-ts.bridge.Setpoint:1:0',
    'org.astarte-ts.bridge.Air:1:0',
  ])
  assert.equal(hello.maxFrame, 256)
  await line.send({ ...goldenAck, token: hello.token })

  // after boot the device-owned properties are set, and readings stream with the host's time
  const firmware = await line.next(
    'SET /firmware',
    is('set', (m) => m.target.mapping === 2),
  )
  assert.equal(firmware.value, 'sensor 1.0.0')
  const period = await line.next(
    'SET /periodMs',
    is('set', (m) => m.target.mapping === 3),
  )
  assert.equal(period.value, 50)
  const send = await line.next(
    'SEND of temperatures',
    is('send', (m) => m.samples[0]?.target.mapping === 0),
  )
  assert.ok(send.t0 !== null && send.t0 >= goldenAck.time, `t0 ${send.t0}`)
  for (const s of send.samples) {
    if (s.target.mapping === 0) assert.equal(typeof s.value, 'number')
  }
  await line.send({ type: 'ack', seq: send.seq })

  // the server's setpoint reaches the firmware, which acknowledges it once taken
  await line.send({
    type: 'serverData',
    seq: 0,
    target: { mapping: 4, params: [] },
    value: new Float64(19.5),
  })
  await line.next(
    'ACK of the setpoint',
    is('ack', (m) => m.seq === 0),
  )
  await log.match(/^setpoint 19\.500$/m)
  // and a PING is answered
  await line.send({ type: 'ping', token: 0x2a })
  await line.next(
    'PONG',
    is('pong', (m) => m.token === 0x2a),
  )
}

async function stop(child: ChildProcess, port: SerialPort | undefined): Promise<void> {
  if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()))
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGTERM')
    await exited
  }
}

test(
  'host firmware: a Linux process on a pty, in session with the TypeScript codec',
  LONG,
  async () => {
    const firmware = buildHostFirmware()
    const child = spawn(firmware, ['--boot', '5', '--period', '50'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const out = output(child.stdout)
    const log = output(child.stderr)
    let port: SerialPort | undefined
    try {
      const [, path] = await out.match(/^pty (\S+)$/m)
      port = await openPort(path!)
      await converse(new Line(port), log, 5)
      assert.match(log.text(), /^boot 5$/m)
    } finally {
      await stop(child, port)
    }
  },
)

test('QEMU mps2-an385 firmware boots, says HELLO on its pty and runs a session', LONG, async () => {
  const elf = buildQemuFirmware()
  const child = spawn('qemu-system-arm', qemuArgs(elf, ['boot=9', 'period=50']), {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  // QEMU prints the pty's path; the firmware's log lines come through semihosting on stderr
  const out = output(child.stdout, child.stderr)
  let port: SerialPort | undefined
  try {
    const [, path] = await out.match(/char device redirected to (\/dev\/pts\/\d+)/)
    port = await openPort(path!)
    await converse(new Line(port), out, 9)
    assert.match(out.text(), /^boot 9$/m)
    assert.match(out.text(), /^ready$/m)
  } finally {
    await stop(child, port)
  }
})
