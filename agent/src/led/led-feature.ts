/**
 * @module led feature: `io.edgehog.devicemanager.LedBehavior` (edgehog-agent spec §2.3, §4). The
 * server sends `/<led_id>/behavior` = one of the `LED_PATTERNS`; Edgehog's backend always names
 * `indicator`. The device answers nothing. A new behavior for a LED replaces the one it runs;
 * LEDs run independently. A pattern ends with its LED off, and so does `stop()`. LEDs that can't
 * be opened are left out (logged at start); with none left the interface isn't declared, as for
 * absent hardware. Bad server data (wrong type, unknown LED or behavior) is logged with its path
 * and ignored.
 */
import type { Interface, Logger, ServerMessage } from '@astarte-ts/sdk-core'
import { quote } from '../commands/quote.js'
import type { Feature, FeatureContext } from '../core/feature.js'
import { EDGEHOG, loadEdgehogInterface } from '../device-info/edgehog-interfaces.js'
import type { Led } from './led.js'
import { LED_PATTERNS, isLedBehavior, runPattern, type PatternRun } from './patterns.js'

/** The interface this feature owns. */
export const LED_BEHAVIOR_INTERFACE = `${EDGEHOG}LedBehavior`

/** The LED id Edgehog's backend sends. */
export const INDICATOR_LED = 'indicator'

/** Options of {@link ledFeature}. */
export interface LedFeatureOptions {
  /** The LEDs by the id the server names them with (`indicator` for Edgehog's backend). */
  readonly leds: Readonly<Record<string, Led>>
  /** Where the interface files are (`interfaces_directory`); the shipped set when absent. */
  readonly interfacesDirectory?: string
}

/** The `LedBehavior` feature on `options.leds`. */
export function ledFeature(options: LedFeatureOptions): Feature {
  return new LedFeature(options)
}

/** One usable LED and what it runs. */
interface LedSlot {
  readonly led: Led
  run: PatternRun | undefined
  /** One failed write is logged per behavior, not one per step. */
  failed: boolean
}

class LedFeature implements Feature {
  readonly name = 'led'
  readonly #options: LedFeatureOptions
  readonly #slots = new Map<string, LedSlot>()
  /** Why LEDs were left out, logged once a logger exists. */
  readonly #unusable: { id: string; led: string; error: string }[] = []
  #opened: Promise<void> | undefined
  #context: FeatureContext | undefined
  #stopped = false

  constructor(options: LedFeatureOptions) {
    this.#options = options
  }

  async interfaces(): Promise<readonly Interface[]> {
    await this.#open()
    if (this.#slots.size === 0) return []
    return [await loadEdgehogInterface(LED_BEHAVIOR_INTERFACE, this.#options.interfacesDirectory)]
  }

  #open(): Promise<void> {
    this.#opened ??= (async () => {
      for (const [id, led] of Object.entries(this.#options.leds)) {
        try {
          await led.open()
          this.#slots.set(id, { led, run: undefined, failed: false })
        } catch (error) {
          this.#unusable.push({ id, led: led.description, error: message(error) })
        }
      }
    })()
    return this.#opened
  }

  async start(context: FeatureContext): Promise<void> {
    await this.#open()
    this.#context = context
    for (const left of this.#unusable) {
      context.logger.log('warn', 'left out a LED that cannot be used', left)
    }
    context.logger.log('info', 'LEDs ready', {
      leds: [...this.#slots].map(([id, slot]) => `${id}=${slot.led.description}`),
    })
  }

  onServerMessage(message: ServerMessage): void {
    const context = this.#context
    if (context === undefined || this.#stopped) return
    const logger = context.logger
    const where = { interfaceName: message.interfaceName, path: message.path }
    const levels = message.path.split('/')
    const id = levels[1]
    if (
      message.interfaceName !== LED_BEHAVIOR_INTERFACE ||
      message.type !== 'individual' ||
      levels.length !== 3 ||
      levels[2] !== 'behavior' ||
      id === undefined
    ) {
      logger.log('warn', 'ignored server data: not a LED behavior', {
        ...where,
        type: message.type,
      })
      return
    }
    const value = message.value
    if (typeof value !== 'string') {
      logger.log('warn', 'ignored a LED behavior: not a string', { ...where, value: quote(value) })
      return
    }
    if (!isLedBehavior(value)) {
      logger.log('warn', 'ignored an unknown LED behavior', { ...where, behavior: quote(value) })
      return
    }
    const slot = this.#slots.get(id)
    if (slot === undefined) {
      logger.log('warn', 'ignored a LED behavior: no such LED', { ...where, led: quote(id) })
      return
    }
    if (slot.run !== undefined) {
      slot.run.cancel()
      logger.log('info', 'LED behavior replaced', { led: id })
    }
    slot.failed = false
    logger.log('info', 'LED behavior started', { ...where, led: id, behavior: value })
    slot.run = runPattern(
      LED_PATTERNS[value],
      context.clock,
      context.timers,
      (on) => this.#set(id, slot, on, logger),
      () => {
        slot.run = undefined
        logger.log('info', 'LED behavior done', { led: id, behavior: value })
      },
    )
  }

  #set(id: string, slot: LedSlot, on: boolean, logger: Logger): void {
    slot.led.set(on).catch((error: unknown) => {
      if (slot.failed) return
      slot.failed = true
      logger.log('error', "couldn't set a LED", { led: id, error: message(error) })
    })
  }

  async stop(): Promise<void> {
    this.#stopped = true
    const logger = this.#context?.logger
    for (const [id, slot] of this.#slots) {
      if (slot.run !== undefined) {
        slot.run.cancel()
        slot.run = undefined
        if (logger !== undefined) this.#set(id, slot, false, logger)
      }
      try {
        await slot.led.close()
      } catch (error) {
        logger?.log('warn', "couldn't close a LED", { led: id, error: message(error) })
      }
    }
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
