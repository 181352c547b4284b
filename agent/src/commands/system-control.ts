/**
 * @module system control: the port through which the `Commands` feature acts on the machine.
 * `commandSystemControl` runs a reboot command (default `systemctl reboot`) as an argv array,
 * never through a shell; `RecordingSystemControl` only records, for tests and the demo.
 */
import { execFile } from 'node:child_process'
import { SdkError, type Clock } from '@astarte-ts/sdk-core'

/** What the agent may ask of the machine. */
export interface SystemControl {
  /**
   * Asks the system to reboot; resolves once the request was accepted (the agent is then
   * usually stopped by the system's shutdown). Rejects with an `SdkError` when it wasn't.
   */
  reboot(): Promise<void>
}

/** Options of {@link commandSystemControl}. */
export interface CommandSystemControlOptions {
  /** The reboot command as argv, run without a shell. Default `['systemctl', 'reboot']`. */
  readonly command?: readonly string[]
  /** How long the command may run before it is killed and the reboot fails. Default 30 s. */
  readonly timeoutMs?: number
}

/** The reboot command edgehog-device-runtime's systemd deployments use. */
export const DEFAULT_REBOOT_COMMAND: readonly string[] = ['systemctl', 'reboot']

const DEFAULT_TIMEOUT_MS = 30_000
/** The end of the command's stderr kept in the error: enough for its reason, never unbounded. */
const STDERR_KEPT = 500

/**
 * The real machine: `reboot()` runs the configured command and resolves when it exits 0.
 * Throws `local.invalid_config` for an empty command.
 */
export function commandSystemControl(options: CommandSystemControlOptions = {}): SystemControl {
  const command = [...(options.command ?? DEFAULT_REBOOT_COMMAND)]
  const [file, ...args] = command
  if (file === undefined || file === '') {
    throw new SdkError('local.invalid_config', "couldn't use an empty reboot command")
  }
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  return {
    reboot: () =>
      new Promise<void>((resolve, reject) => {
        execFile(file, args, { timeout, windowsHide: true }, (error, _stdout, stderr) => {
          if (error === null) {
            resolve()
            return
          }
          const exitCode = typeof error.code === 'number' ? error.code : undefined
          const why =
            exitCode !== undefined
              ? `exited with code ${exitCode}`
              : error.killed
                ? `was killed after ${timeout} ms`
                : `couldn't start (${String(error.code ?? error.message)})`
          reject(
            new SdkError('local.command_failed', `couldn't reboot: ${command.join(' ')} ${why}`, {
              ctx: {
                command,
                ...(exitCode === undefined ? {} : { exitCode }),
                stderr: String(stderr).trim().slice(-STDERR_KEPT),
              },
              cause: error,
            }),
          )
        })
      }),
  }
}

/** One reboot a {@link RecordingSystemControl} was asked for. */
export interface RecordedReboot {
  /** The clock's time of the request, in ms since the epoch. */
  readonly atMs: number
}

/** A machine that only records what it was asked (tests, the demo). */
export class RecordingSystemControl implements SystemControl {
  readonly #clock: Clock
  readonly #onReboot: ((reboot: RecordedReboot) => void) | undefined
  readonly #reboots: RecordedReboot[] = []

  /** `onReboot` is told of each request as it is recorded (the demo prints it). */
  constructor(clock: Clock, onReboot?: (reboot: RecordedReboot) => void) {
    this.#clock = clock
    this.#onReboot = onReboot
  }

  /** The reboots requested so far, oldest first. */
  get reboots(): readonly RecordedReboot[] {
    return this.#reboots
  }

  reboot(): Promise<void> {
    const reboot = { atMs: this.#clock.now() }
    this.#reboots.push(reboot)
    this.#onReboot?.(reboot)
    return Promise.resolve()
  }
}
