/**
 * @module sensor source: a `Sensor` as a dataflow endpoint. `push` samples every `periodMs` on
 * the injected timers, each sample due at its offset from the start (lateness doesn't add up;
 * a sample still running when the next falls due makes that one skipped, never overlapped);
 * `read(n)` takes up to n samples on request (pull and demand flows). The sensor is opened on
 * first use and again after any failed read (a chip that lost power needs its reset and
 * configuration again), so a sensor absent at start is picked up once it answers. A message's
 * value is the reading as a record (`{ temperature, humidity, pressure }` in °C, %RH, Pa),
 * its timestamp the clock's time when the sample was taken.
 */
import type { Clock, TimerHandle, Timers } from '@astarte-ts/sdk-core'
import type { Emit, FlowEndpoint, FlowMessage, FlowRecord } from '../dataflow/source-sink.js'
import type { Sensor } from './sensor.js'

/** Options of {@link sensorSource}. */
export interface SensorSourceOptions {
  /** The endpoint's name; the sensor's description when absent. */
  readonly name?: string
  /** The push mode's sampling period. */
  readonly periodMs: number
  readonly clock: Clock
  readonly timers: Timers
  /** Copied onto every message. */
  readonly tags?: Readonly<Record<string, string>>
  /**
   * Told of each failed sample of the push mode, as is the flow's `fail` (the read mode rejects
   * instead).
   */
  readonly onError?: (error: unknown) => void
  /** Told of each successful sample after a failure (the failure streak's end). */
  readonly onRecovery?: (failures: number) => void
  /** Released with the endpoint, after the sensor (the bus it was opened on). */
  readonly release?: () => Promise<void>
}

/** What a sensor source has done, for metrics and tests. */
export interface SensorSourceStats {
  readonly samples: number
  readonly failures: number
  /** Push samples not taken because the previous one was still running. */
  readonly skipped: number
}

/** A sensor endpoint, with its counters. */
export interface SensorEndpoint extends FlowEndpoint {
  readonly stats: SensorSourceStats
}

/** `sensor` as a push and read endpoint. */
export function sensorSource(sensor: Sensor, options: SensorSourceOptions): SensorEndpoint {
  return new SensorSource(sensor, options)
}

class SensorSource implements SensorEndpoint {
  readonly name: string
  readonly push
  readonly read
  readonly #sensor: Sensor
  readonly #options: SensorSourceOptions
  readonly #stats = { samples: 0, failures: 0, skipped: 0 }
  #opened: Promise<void> | undefined
  #streak = 0
  #closed = false
  // push state
  #emit: Emit | undefined
  #fail: ((error: unknown) => void) | undefined
  #timer: TimerHandle | undefined
  #inFlight: Promise<void> = Promise.resolve()

  constructor(sensor: Sensor, options: SensorSourceOptions) {
    if (!Number.isFinite(options.periodMs) || options.periodMs <= 0) {
      throw new RangeError(`a sensor's period must be positive, not ${options.periodMs}`)
    }
    this.#sensor = sensor
    this.#options = options
    this.name = options.name ?? sensor.description
    this.push = {
      start: (emit: Emit, fail?: (error: unknown) => void): void => this.#start(emit, fail),
      stop: (): Promise<void> => this.#stop(),
    }
    this.read = { read: (n: number): Promise<readonly FlowMessage[]> => this.#read(n) }
  }

  get stats(): SensorSourceStats {
    return { ...this.#stats }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#stop()
    try {
      await this.#sensor.close()
    } finally {
      await this.#options.release?.()
    }
  }

  async #sample(): Promise<FlowMessage> {
    try {
      this.#opened ??= this.#sensor.open()
      await this.#opened
      const reading = await this.#sensor.read()
      const value: Record<string, number> = {}
      for (const quantity of this.#sensor.quantities) {
        const v = reading[quantity]
        if (v !== undefined) value[quantity] = v
      }
      this.#stats.samples += 1
      if (this.#streak > 0) this.#options.onRecovery?.(this.#streak)
      this.#streak = 0
      const tags = this.#options.tags
      return {
        value: value as FlowRecord,
        timestamp: this.#options.clock.now(),
        ...(tags === undefined || Object.keys(tags).length === 0 ? {} : { tags }),
      }
    } catch (error) {
      this.#stats.failures += 1
      this.#streak += 1
      this.#opened = undefined
      throw error
    }
  }

  async #read(n: number): Promise<readonly FlowMessage[]> {
    const out: FlowMessage[] = []
    for (let i = 0; i < Math.max(1, Math.floor(n)); i += 1) {
      try {
        out.push(await this.#sample())
      } catch (error) {
        if (out.length === 0) throw error
        break
      }
    }
    return out
  }

  #start(emit: Emit, fail: ((error: unknown) => void) | undefined): void {
    if (this.#emit !== undefined || this.#closed) return
    this.#emit = emit
    this.#fail = fail
    const { clock, timers, periodMs } = this.#options
    const startMs = clock.now()
    let due = 0
    const tick = (): void => {
      this.#timer = undefined
      this.#inFlight = this.#sample().then(
        (message) => this.#emit?.(message),
        (error: unknown) => {
          if (this.#emit === undefined) return
          this.#fail?.(error)
          this.#options.onError?.(error)
        },
      )
      void this.#inFlight.then(() => {
        if (this.#emit === undefined) return
        const now = clock.now()
        // the next slot not already past; the ones past are skipped, not caught up
        const next = Math.max(due + 1, Math.ceil((now - startMs) / periodMs))
        this.#stats.skipped += next - due - 1
        due = next
        this.#timer = timers.set(tick, Math.max(0, startMs + due * periodMs - now))
      })
    }
    tick()
  }

  async #stop(): Promise<void> {
    this.#emit = undefined
    if (this.#timer !== undefined) this.#options.timers.clear(this.#timer)
    this.#timer = undefined
    await this.#inFlight
  }
}
