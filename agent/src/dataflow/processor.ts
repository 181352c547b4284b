/**
 * @module dataflow processor: what a processor is, built-in or from a user module. Processors
 * are synchronous on purpose: a flow runs them inline on the message's way to the SDK, with no
 * promise per message (the throughput goal depends on it). A processor that needs slow data
 * (a remote lookup) refreshes it on its own timer and reads the latest value synchronously.
 */
import type { Clock, Logger, Timers } from '@astarte-ts/sdk-core'
import type { ArgValue } from './notation/ast.js'
import type { FlowMessage } from './source-sink.js'

/** What a processor returns for one message: one message, several (a split), or none (dropped). */
export type ProcessorOutput = FlowMessage | readonly FlowMessage[] | undefined

/**
 * One processing step. `process` handles the forward direction (source → Astarte); `reverse`,
 * when present, the way back (server data → actuator), e.g. undoing a calibration. A processor
 * without `reverse` passes reverse messages through unchanged. Either may throw: the message is
 * dropped, the flow counts the error and goes on. Messages are the flow's: return new ones
 * rather than mutating (inputs to concurrent processors are frozen).
 */
export interface Processor {
  process(message: FlowMessage): ProcessorOutput
  reverse?(message: FlowMessage): ProcessorOutput
  /** Releases timers the processor started; called once when its flow stops. */
  close?(): void
}

/** A processor's options: the notation's arguments over its `[flows.processors.<name>]` table. */
export type ProcessorOptions = Readonly<Record<string, ArgValue>>

/** What a processor gets besides its options. */
export interface ProcessorContext {
  /** The flow's name. */
  readonly flow: string
  readonly clock: Clock
  readonly timers: Timers
  readonly logger: Logger
}

/**
 * Makes one processor instance for one place in one flow (so state, such as a moving average's
 * window, is never shared between flows). Throws `SdkError('local.invalid_config')` naming the
 * option when its options are wrong.
 */
export type ProcessorFactory = (options: ProcessorOptions, context: ProcessorContext) => Processor

/** Processor factories by the name flows use. */
export type ProcessorRegistry = ReadonlyMap<string, ProcessorFactory>
