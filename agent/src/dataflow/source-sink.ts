/**
 * @module dataflow source/sink contracts: what a flow's left end (a sensor, a GPIO line, a
 * simulation) implements. One endpoint may serve several modes: `push` for `Push` flows, `read`
 * for `Pull` and `Demand` flows, `actuator` for the reverse direction of two-way (`<~>`) flows.
 * The engine never calls an endpoint concurrently with itself: at most one `read` is pending,
 * `apply` calls are sequential, in the order the server data arrived.
 */
import type { AstarteValue } from '@astarte-ts/sdk-core'

/** A message's value: one Astarte value, or named values (an object aggregate's fields). */
export type FlowValue = AstarteValue | FlowRecord

/** Named values, e.g. `{ temperature: 21.5, humidity: 40.2 }` for a BME280 reading. */
export type FlowRecord = { readonly [field: string]: AstarteValue }

/** One item travelling through a flow, in either direction. */
export interface FlowMessage {
  readonly value: FlowValue
  /** When the source observed it (ms since the epoch); sent as the explicit timestamp when the mapping has one. */
  readonly timestamp: number
  /**
   * Fill the sink's path template (`/%{room}/temperature` takes `tags.room`); in the reverse
   * direction, the parameters the server path matched.
   */
  readonly tags?: { readonly [name: string]: string }
}

/** Hands one message to the flow; never throws, never blocks (the flow buffers, bounded). */
export type Emit = (message: FlowMessage) => void

/**
 * A source that paces itself (`Push` flows): edge events, a sampling timer. `start` begins
 * emitting; `stop` ends it, and nothing is emitted after its promise settles. `fail` reports a
 * failure the source has no caller to reject to (a sample that couldn't be taken): the flow
 * counts it as a source error and logs it.
 */
export interface PushSource {
  start(emit: Emit, fail?: (error: unknown) => void): void | Promise<void>
  stop(): void | Promise<void>
}

/**
 * A source asked for data (`Pull` and `Demand` flows). `read(n)` resolves with at most `n`
 * messages (fewer, or none, when it has less now; the engine asks again later); a rejection is
 * counted as a source error and the read retried after a delay. More than `n` is a contract
 * breach: the excess is dropped and counted.
 */
export interface ReadSource {
  read(n: number): Promise<readonly FlowMessage[]>
}

/**
 * The device side of a two-way flow: server data, after the processors' reverse functions,
 * ends here (a GPIO output level, a heater setpoint). A rejection is counted and logged.
 */
export interface Actuator {
  apply(message: FlowMessage): Promise<void>
}

/** A flow's left end: a named endpoint offering the modes its hardware supports. */
export interface FlowEndpoint {
  /** Stable, unique among a flow's endpoints; used in logs and metrics. */
  readonly name: string
  readonly push?: PushSource
  readonly read?: ReadSource
  readonly actuator?: Actuator
  /** Releases what the endpoint opened (a bus, a GPIO line); called once, after the flow stopped. */
  close?(): Promise<void>
}

/**
 * The endpoints flows can name (`source = "<name>"` or the notation's `Push(<name>)`), by
 * name: the hardware module builds its sensors and GPIO lines from the configuration, tests and
 * the demo add their own.
 */
export type EndpointRegistry = ReadonlyMap<string, FlowEndpoint>
