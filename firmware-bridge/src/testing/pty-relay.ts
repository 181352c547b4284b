/**
 * @module the serial line of the tests and the bench: `pty-relay.py` gives the bridge a real
 * pseudo-terminal and relays it to the MCU side (this process through pipes, or QEMU's pty),
 * corrupting bytes on purpose and pacing to a baud rate when asked.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

// The script stays in src/ (a build copies no .py): found from src/testing or dist/testing alike.
const script = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'src',
  'testing',
  'pty-relay.py',
)

export interface RelayOptions {
  /** `-` (the MCU peer speaks over the relay's stdin/stdout) or a tty path (QEMU's). */
  readonly mcu?: string
  readonly flip?: number
  readonly drop?: number
  readonly garbage?: number
  readonly noiseOff?: boolean
  readonly baud?: number
  readonly seed?: number
}

/** The serial line: a real pseudo-terminal for the bridge, relayed (and corrupted) by python3. */
export interface Relay {
  readonly hostPath: string
  readonly child: ChildProcess
  /** Writes MCU-side bytes (with `mcu: '-'`). */
  write(b: Uint8Array): void
  onData(fn: (b: Uint8Array) => void): void
  toggleNoise(): void
  /** Bytes carried so far: MCU → host (`up`) and host → MCU (`down`). */
  carried(): Promise<{ up: number; down: number }>
  stop(): Promise<void>
}

export async function startRelay(options: RelayOptions = {}): Promise<Relay> {
  const args = [script, '--mcu', options.mcu ?? '-', '--seed', String(options.seed ?? 1)]
  if (options.flip !== undefined) args.push('--flip', String(options.flip))
  if (options.drop !== undefined) args.push('--drop', String(options.drop))
  if (options.garbage !== undefined) args.push('--garbage', String(options.garbage))
  if (options.noiseOff === true) args.push('--noise-off')
  if (options.baud !== undefined) args.push('--baud', String(options.baud))
  const child = spawn('python3', args, { stdio: ['pipe', 'pipe', 'pipe'] })
  const hostPath = await new Promise<string>((resolve, reject) => {
    let err = ''
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString()
      const m = /^host (\S+)$/m.exec(err)
      if (m) resolve(m[1]!)
    })
    child.once('exit', (code) => reject(new Error(`pty relay exited ${code}: ${err}`)))
  })
  return {
    hostPath,
    child,
    write: (b) => void child.stdin!.write(b),
    onData: (fn) => child.stdout!.on('data', (d: Buffer) => fn(new Uint8Array(d))),
    toggleNoise: () => void child.kill('SIGUSR1'),
    carried: () =>
      new Promise((resolve) => {
        let text = ''
        const take = (d: Buffer): void => {
          text += d.toString()
          const m = /stats up=(\d+) down=(\d+)/.exec(text)
          if (m === null) return
          child.stderr!.off('data', take)
          resolve({ up: Number(m[1]), down: Number(m[2]) })
        }
        child.stderr!.on('data', take)
        child.kill('SIGUSR2')
      }),
    async stop() {
      if (child.exitCode !== null) return
      const gone = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await gone
    },
  }
}
