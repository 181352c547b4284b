/**
 * @module commands feature: `io.edgehog.devicemanager.Commands` (edgehog-agent spec §2.3, §4).
 * The server sends `/request` = `Reboot`, the only command; the device answers nothing (the
 * interface is server-owned and Edgehog learns of the reboot from the disconnection). As
 * edgehog-device-runtime, the reboot waits 5 s, so the QoS 2 exchange completes and the logs
 * reach the journal, and it is refused, logged only, while `busy()` names a reason (an update
 * being deployed, spec §3.5). Anything else on the interface is logged with its path and ignored.
 */
import type { Interface, ServerMessage, TimerHandle } from '@astarte-ts/sdk-core'
import type { Feature, FeatureContext } from '../core/feature.js'
import { EDGEHOG, loadEdgehogInterface } from '../device-info/edgehog-interfaces.js'
import { quote } from './quote.js'
import type { SystemControl } from './system-control.js'

/** The interface this feature owns. */
export const COMMANDS_INTERFACE = `${EDGEHOG}Commands`

/** The reboot delay of edgehog-device-runtime. */
export const DEFAULT_REBOOT_DELAY_MS = 5_000

/** Options of {@link commandsFeature}. */
export interface CommandsFeatureOptions {
  /** Where the reboot goes: `commandSystemControl()` on a real machine. */
  readonly systemControl: SystemControl
  /**
   * Why commands must be refused right now (e.g. `an update is being deployed`), or `undefined`
   * when they may run. Asked when a command arrives and again just before it runs.
   */
  readonly busy?: () => string | undefined
  /** Between the request and the reboot. Default 5 s. */
  readonly rebootDelayMs?: number
  /** Where the interface files are (`interfaces_directory`); the shipped set when absent. */
  readonly interfacesDirectory?: string
}

/** The `Commands` feature: Reboot through `options.systemControl`. */
export function commandsFeature(options: CommandsFeatureOptions): Feature {
  return new CommandsFeature(options)
}

class CommandsFeature implements Feature {
  readonly name = 'commands'
  readonly #options: CommandsFeatureOptions
  #context: FeatureContext | undefined
  /** The reboot waiting for its delay, if one does. */
  #pending: TimerHandle | undefined
  #stopped = false

  constructor(options: CommandsFeatureOptions) {
    this.#options = options
  }

  async interfaces(): Promise<readonly Interface[]> {
    return [await loadEdgehogInterface(COMMANDS_INTERFACE, this.#options.interfacesDirectory)]
  }

  start(context: FeatureContext): Promise<void> {
    this.#context = context
    return Promise.resolve()
  }

  onServerMessage(message: ServerMessage): void {
    const context = this.#context
    if (context === undefined || this.#stopped) return
    const where = { interfaceName: message.interfaceName, path: message.path }
    const logger = context.logger
    if (
      message.interfaceName !== COMMANDS_INTERFACE ||
      message.type !== 'individual' ||
      message.path !== '/request'
    ) {
      logger.log('warn', 'ignored server data: not a command request', {
        ...where,
        type: message.type,
      })
      return
    }
    const value = message.value
    if (typeof value !== 'string') {
      logger.log('warn', 'ignored a command: not a string', { ...where, value: quote(value) })
      return
    }
    if (value !== 'Reboot') {
      logger.log('warn', 'ignored an unknown command', { ...where, command: quote(value) })
      return
    }
    const refused = this.#options.busy?.()
    if (refused !== undefined) {
      logger.log('warn', 'refused a reboot', { ...where, reason: refused })
      return
    }
    if (this.#pending !== undefined) {
      logger.log('info', 'a reboot is already on its way', where)
      return
    }
    const delayMs = this.#options.rebootDelayMs ?? DEFAULT_REBOOT_DELAY_MS
    logger.log('info', 'rebooting on request', { ...where, delayMs })
    this.#pending = context.timers.set(() => this.#reboot(context), delayMs)
  }

  #reboot(context: FeatureContext): void {
    this.#pending = undefined
    const refused = this.#options.busy?.()
    if (refused !== undefined) {
      context.logger.log('warn', 'refused a reboot', { reason: refused })
      return
    }
    this.#options.systemControl.reboot().then(
      () => context.logger.log('info', 'reboot requested from the system'),
      (error: unknown) =>
        context.logger.log('error', "couldn't reboot", {
          error: error instanceof Error ? error.message : String(error),
          ...(typeof error === 'object' && error !== null && 'ctx' in error
            ? (error as { ctx: Record<string, unknown> }).ctx
            : {}),
        }),
    )
  }

  stop(): Promise<void> {
    this.#stopped = true
    if (this.#pending !== undefined && this.#context !== undefined) {
      this.#context.timers.clear(this.#pending)
      this.#pending = undefined
      // the agent stops before the delay ended: no reboot under a half-stopped agent
      this.#context.logger.log('warn', 'cancelled a pending reboot: the agent is stopping')
    }
    return Promise.resolve()
  }
}
