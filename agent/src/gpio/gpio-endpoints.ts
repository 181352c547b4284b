/**
 * @module gpio endpoints: GPIO lines as dataflow endpoints. An input is a push source of its
 * edges (`{ value: level, timestamp }` per edge, the level after it) and a read source of its
 * level now; an output is the actuator of a two-way flow (server data drives it) and a read
 * source of its read-back level. Lines are opened on first use; a line that can't be opened
 * fails that use (the flow counts it) and is tried again at the next.
 */
import { SdkError, type Clock } from '@astarte-ts/sdk-core'
import type { Emit, FlowEndpoint, FlowMessage, FlowValue } from '../dataflow/source-sink.js'
import type { GpioInput, GpioOutput } from './gpio.js'

/** Options of {@link gpioSource} and {@link gpioSink}. */
export interface GpioEndpointOptions {
  /** The endpoint's name; the line's description when absent. */
  readonly name?: string
  readonly clock: Clock
  /** Copied onto every message. */
  readonly tags?: Readonly<Record<string, string>>
  /** Told of failures of an input's watch, as is the flow's `fail`. */
  readonly onError?: (error: unknown) => void
}

/** Opens a port once, again after a failed open. */
class Lazy {
  #opened: Promise<void> | undefined
  constructor(readonly open: () => Promise<void>) {}
  async ready(): Promise<void> {
    this.#opened ??= this.open()
    try {
      await this.#opened
    } catch (error) {
      this.#opened = undefined
      throw error
    }
  }
  get used(): boolean {
    return this.#opened !== undefined
  }
}

function message(value: boolean, options: GpioEndpointOptions): FlowMessage {
  const tags = options.tags
  return {
    value,
    timestamp: options.clock.now(),
    ...(tags === undefined || Object.keys(tags).length === 0 ? {} : { tags }),
  }
}

/** Input `line` as a push source of its edges and a read source of its level. */
export function gpioSource(input: GpioInput, options: GpioEndpointOptions): FlowEndpoint {
  const lazy = new Lazy(() => input.open())
  let unwatch: (() => void) | undefined
  return {
    name: options.name ?? input.description,
    push: {
      async start(emit: Emit, fail?: (error: unknown) => void): Promise<void> {
        if (unwatch !== undefined) return
        await lazy.ready()
        unwatch = input.watch(
          (level) => emit(message(level, options)),
          (error) => {
            fail?.(error)
            options.onError?.(error)
          },
        )
      },
      stop(): void {
        unwatch?.()
        unwatch = undefined
      },
    },
    read: {
      async read(): Promise<readonly FlowMessage[]> {
        await lazy.ready()
        return [message(await input.read(), options)]
      },
    },
    async close(): Promise<void> {
      unwatch?.()
      unwatch = undefined
      if (lazy.used) await input.close()
    },
  }
}

/**
 * The level a message asks for: a boolean, a number (≠ 0 is active), or a record with one such
 * field. Anything else is `local.invalid_value`, naming the value's type.
 */
export function levelOf(value: FlowValue, line: string): boolean {
  if (typeof value === 'boolean') return value
  if (typeof value === 'number') return value !== 0
  if (typeof value === 'bigint') return value !== 0n
  if (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array) &&
    !(value instanceof Date)
  ) {
    const fields = Object.values(value as Record<string, unknown>)
    const [only] = fields
    if (fields.length === 1 && (typeof only === 'boolean' || typeof only === 'number')) {
      return typeof only === 'boolean' ? only : only !== 0
    }
  }
  throw new SdkError(
    'local.invalid_value',
    `couldn't drive ${line}: a level is a boolean or a number, not ${describe(value)}`,
    { ctx: { line } },
  )
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array'
  if (value instanceof Uint8Array) return 'binary data'
  if (value instanceof Date) return 'a date'
  return typeof value === 'object' && value !== null ? 'a record' : typeof value
}

/**
 * Output `line` as the actuator of a two-way flow (`apply` drives it, once opened, inactive
 * first) and a read source of the level read back.
 */
export function gpioSink(output: GpioOutput, options: GpioEndpointOptions): FlowEndpoint {
  const lazy = new Lazy(() => output.open())
  return {
    name: options.name ?? output.description,
    actuator: {
      async apply(m: FlowMessage): Promise<void> {
        const level = levelOf(m.value, output.description)
        await lazy.ready()
        await output.write(level)
      },
    },
    read: {
      async read(): Promise<readonly FlowMessage[]> {
        await lazy.ready()
        return [message(await output.read(), options)]
      },
    },
    async close(): Promise<void> {
      if (lazy.used) await output.close()
    },
  }
}
