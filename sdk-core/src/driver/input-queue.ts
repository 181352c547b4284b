/**
 * @module input queue: the one FIFO through which every machine input passes, so that a
 * listener or an outcome calling back into the device never re-enters `handle()`. Inputs that
 * write the store (the machine says which) are handled in groups, each in one store transaction
 * (group commit): a group's actions, and so the settling of its sends, run only once it
 * committed. Sends and acks of `discard`/`volatile` messages write nothing: they are handled at
 * once, without a transaction, through the machine's direct paths where it has them.
 *
 * A send's outcome reaches the host only through `settled`, whichever path produced it.
 */
import { SdkError } from '../errors.js'
import type { DeviceMachine } from '../device/device-machine.js'
import type { DeviceAction, DeviceInput, MqttPublishAction, OpId } from '../device/types.js'
import type { Clock, Scheduler } from '../ports.js'
import { toSdkError } from './sdk-error-of.js'

const NO_ACTIONS: readonly DeviceAction[] = []

/** What the queue needs from its host (the driver, or a test loopback). */
export interface InputQueueHost {
  readonly machine: DeviceMachine
  readonly clock: Clock
  /** Defers the commit of a group to the end of the tick, gathering the tick's sends. */
  readonly scheduler: Scheduler
  /**
   * Runs `fn` in one store transaction: its writes are durable when this returns; when `fn`
   * throws or the commit fails, none happened. Absent for a store without transactions: each
   * write is then durable as it is made. Given, the machine needs `DeviceConfig.storeTransactions`.
   */
  readonly batch?: (<T>(fn: () => T) => T) | undefined
  /** Performs an action; send outcomes never come here (see `settled`). */
  perform(action: DeviceAction): void
  /** The outcome of the send `opId`: completed, or failed with `error`. */
  settled(opId: OpId, error?: SdkError): void
}

function runNow<T>(fn: () => T): T {
  return fn()
}

export class InputQueue {
  readonly #host: InputQueueHost
  #inputs: DeviceInput[] = []
  #draining = false
  // the clock read of the pass under way, once made (see `#drain`)
  #passNowMs: number | undefined
  #flushScheduled = false
  #closed = false

  /** @throws SdkError `local.invalid_config` for a `batch` with a machine without transactions. */
  constructor(host: InputQueueHost) {
    if (host.batch !== undefined && !host.machine.transactional) {
      // each group would write outside any transaction the machine can roll back
      throw new SdkError(
        'local.invalid_config',
        "couldn't group writes: this device has no storeTransactions",
      )
    }
    this.#host = host
  }

  /** Handles `input` now, or after the inputs before it when some are pending. */
  feed(input: DeviceInput): void {
    if (this.#closed) return
    if (this.#draining || this.#flushScheduled) {
      this.#inputs.push(input)
      // The transport acknowledges a server message (PUBACK, PUBCOMP) as soon as this returns,
      // and the broker never sends it again: what it writes (a server property) must be committed
      // by then. So a group waiting for its commit is handled now, the message last in it.
      if (input.type === 'mqtt.message' && !this.#draining) this.#drain()
      return
    }
    const machine = this.#host.machine
    if (!machine.writesStore(input)) {
      // nothing is queued: handled now, and what its actions feed meanwhile right after it
      this.#drain(input)
      return
    }
    this.#inputs.push(input)
    if (input.type === 'send' || input.type === 'mqtt.published') {
      // group commit: the sends and acks of this tick share one transaction (one fsync); any
      // input arriving meanwhile waits behind them, so the machine sees the same order
      this.#flushScheduled = true
      this.#host.scheduler.defer(() => {
        this.#flushScheduled = false
        if (!this.#closed && !this.#draining) this.#drain()
      })
      return
    }
    this.#drain()
  }

  /** Handles the group waiting for its commit now (before the store closes, say). */
  flush(): void {
    if (!this.#draining && this.#inputs.length > 0) this.#drain()
  }

  /** Drops whatever is still queued and ignores later inputs. */
  close(): void {
    this.#closed = true
    this.#inputs = []
  }

  /**
   * One pass: `first`, then every input queued or fed meanwhile. The pass reads the clock at
   * most once (`#now`): its inputs arrive within microseconds of each other (a group commit's
   * within milliseconds), and a clock read can cost a tenth of a whole send.
   */
  #drain(first?: DeviceInput): void {
    this.#draining = true
    this.#passNowMs = undefined
    try {
      if (first !== undefined) this.#handleAlone(first)
      while (this.#inputs.length > 0) {
        // the usual case, one ack fed while its send was handled: no new array per message
        const only = this.#inputs.length === 1 ? (this.#inputs[0] as DeviceInput) : undefined
        if (only !== undefined && !this.#host.machine.writesStore(only)) {
          this.#inputs.pop()
          this.#handleAlone(only)
          continue
        }
        const group = this.#inputs
        this.#inputs = []
        this.#handleGroup(group)
      }
    } finally {
      this.#draining = false
    }
  }

  #now(): number {
    return (this.#passNowMs ??= this.#host.clock.now())
  }

  /** Performs one action, routing send outcomes to `settled`. */
  #perform(action: DeviceAction): void {
    if (action.type === 'event') {
      const event = action.event
      if (event.type === 'sendCompleted') return this.#host.settled(event.opId)
      if (event.type === 'sendFailed') return this.#host.settled(event.opId, event.error)
    }
    this.#host.perform(action)
  }

  /**
   * Handles one input that writes nothing, without a transaction: the path of every send and
   * ack of a `discard` or `volatile` message. The send and the ack of an online `discard`
   * message take the machine's direct paths when it has them (the outcome `handle` would give,
   * without its action list and event objects).
   */
  #handleAlone(input: DeviceInput): void {
    const { machine } = this.#host
    let publish: MqttPublishAction | undefined
    let actions: readonly DeviceAction[] = NO_ACTIONS
    try {
      if (input.type === 'mqtt.published') {
        const opId = machine.ackDirect(input.publishId)
        if (opId !== undefined) return this.#host.settled(opId)
      }
      if (input.type === 'send') publish = machine.sendDirect(input.opId, input.data)
      if (publish === undefined) actions = machine.handle(input, this.#now())
    } catch (error) {
      if (input.type !== 'send') throw error
      this.#host.settled(input.opId, toSdkError(error))
      return
    }
    if (publish !== undefined) return this.#host.perform(publish)
    for (const action of actions) this.#perform(action)
  }

  /**
   * Handles `group` in one transaction, then performs its actions: a `stored` send resolves only
   * once its row committed. A group the machine says writes nothing skips the transaction (a
   * queue row `pump` drops for expiry still commits by itself). A port failing under an input
   * (a full disk) rolls the transaction back: the inputs after it wait for the next group. When
   * the transaction rolled back, the machine undoes what rested on it and says what to perform
   * instead (`DeviceMachine.transactionFailed`: no publish of a row that may not exist, the
   * sends it stored failed). An input the machine refused (a bounded queue full) fails its own
   * send, or is rethrown to the caller otherwise.
   */
  #handleGroup(group: readonly DeviceInput[]): void {
    const actions: DeviceAction[] = []
    const refused: { input: DeviceInput; error: unknown }[] = []
    let failed: SdkError | undefined
    const { machine, batch } = this.#host
    const inTransaction = batch !== undefined && group.some((input) => machine.writesStore(input))
    if (inTransaction) machine.beginTransaction()
    try {
      ;(inTransaction ? batch : runNow)(() => {
        for (let i = 0; i < group.length; i++) {
          const input = group[i] as DeviceInput
          try {
            for (const action of machine.handle(input, this.#now())) actions.push(action)
          } catch (error) {
            if (!machine.rollbackNeeded) {
              refused.push({ input, error })
              continue
            }
            this.#inputs = group.slice(i + 1).concat(this.#inputs)
            throw error
          }
        }
      })
    } catch (e) {
      failed = toSdkError(e)
    }
    if (failed !== undefined) {
      for (const action of machine.transactionFailed(failed, this.#now())) this.#perform(action)
    } else {
      for (const action of actions) this.#perform(action)
      if (inTransaction) for (const action of machine.transactionCommitted()) this.#perform(action)
    }
    let rethrow: { error: unknown } | undefined
    for (const { input, error } of refused) {
      if (input.type === 'send') this.#host.settled(input.opId, toSdkError(error))
      else rethrow ??= { error }
    }
    if (rethrow !== undefined) throw rethrow.error
  }
}
