/**
 * @module flow: one running flow. Inputs come from the source (pushed, read on the server's
 * request, or read when the flow has credits), run through the compiled stages inline, and
 * leave the flow only when the SDK accepted them. Bounds, all counted when they bite:
 * - at most `limits.inFlight` outputs handed to the SDK and not yet accepted (the SDK's
 *   pushback: when it is slow, this fills and the flow stops taking inputs);
 * - at most `limits.buffer` inputs waiting behind that window. Push: a full buffer drops its
 *   oldest. Demand: the buffer is the credit pool — the flow reads `n` only with `n` free slots,
 *   and a slot comes back as its input moves on to the SDK. Pull: a request reads as many as
 *   it asks (one unless it names a positive count), within the same credits.
 * Reverse: server data matching the reverse path runs back through the stages' reverse
 * functions and is applied by the actuator, one at a time in arrival order (queue bounded by
 * `limits.buffer`, oldest dropped).
 */
import {
  SdkError,
  type AstarteDevice,
  type Clock,
  type Interface,
  type Logger,
  type ServerMessage,
  type Timers,
} from '@astarte-ts/sdk-core'
import { astarteSink, type Deliver } from './astarte-sink.js'
import { DROP_REASONS, type DropReason, type FlowMetrics } from './metrics.js'
import type { FlowMode } from './notation/ast.js'
import type { PathTemplate } from './path-template.js'
import { Ring } from './ring.js'
import type { FlowEndpoint, FlowMessage } from './source-sink.js'
import {
  closeStages,
  compileForward,
  compileReverse,
  type ResolvedStage,
  type Step,
} from './stages.js'

/** A flow's bounds and pacing. */
export interface FlowLimits {
  /** Inputs waiting behind the in-flight window (push buffer, demand credits); default 1000. */
  readonly buffer: number
  /** Outputs awaiting the SDK's acceptance; default 128. */
  readonly inFlight: number
  /** The most a single `read` asks for; default 100. */
  readonly readBatch: number
  /** Wait after an empty or failed read before asking again (demand); default 1000 ms. */
  readonly idleMs: number
  /** Demand: the least time between two reads (a rate limit); default 0, as fast as credits allow. */
  readonly readIntervalMs: number
  /** How long `stop` waits for buffered and in-flight messages to be accepted; default 5000 ms. */
  readonly drainTimeoutMs: number
}

export const DEFAULT_LIMITS: FlowLimits = {
  buffer: 1000,
  inFlight: 128,
  readBatch: 100,
  idleMs: 1000,
  readIntervalMs: 0,
  drainTimeoutMs: 5000,
}

/** An interface at a path template. */
export interface FlowTarget {
  readonly iface: Interface
  readonly path: PathTemplate
}

/** Everything a flow is, resolved and checked (see `plan.ts`). */
export interface FlowPlan {
  readonly name: string
  readonly mode: FlowMode
  readonly twoWay: boolean
  readonly endpoint: FlowEndpoint
  readonly stages: readonly ResolvedStage[]
  readonly sink: FlowTarget
  /** Two-way flows: the server-owned interface whose data travels back (pull: the requests). */
  readonly reverse?: FlowTarget
  readonly limits: FlowLimits
}

/** What a flow runs on. */
export interface FlowRuntime {
  readonly device: AstarteDevice
  readonly clock: Clock
  readonly timers: Timers
  readonly logger: Logger
  /** Told of each output the SDK accepted (latency measurement). */
  readonly onAccepted?: (message: FlowMessage) => void
}

type State = 'idle' | 'running' | 'stopping' | 'stopped'

export class Flow {
  readonly #plan: FlowPlan
  readonly #rt: FlowRuntime
  readonly #queue: Ring<FlowMessage>
  readonly #forward: Step
  readonly #backward: Step
  readonly #deliver: Deliver
  readonly #maxInFlight: number
  #state: State = 'idle'
  #pumping = false
  #reading = false
  #idleTimer: unknown
  #idleWake: (() => void) | undefined
  #pendingPull = 0
  #lastReadAt = -Infinity

  #received = 0
  #filtered = 0
  #sent = 0
  #accepted = 0
  #inFlight = 0
  #maxQueue = 0
  #maxInFlightSeen = 0
  #processorErrors = 0
  readonly #processorErrorsBy: Record<string, number> = {}
  #sourceErrors = 0
  readonly #dropped = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<
    DropReason,
    number
  >
  #reverseReceived = 0
  #applied = 0
  #pullRequests = 0

  readonly #actuations: Ring<FlowMessage>
  #applying = false

  constructor(plan: FlowPlan, runtime: FlowRuntime) {
    this.#plan = plan
    this.#rt = runtime
    this.#queue = new Ring(plan.limits.buffer)
    this.#actuations = new Ring(plan.limits.buffer)
    this.#maxInFlight = plan.limits.inFlight
    this.#deliver = astarteSink(runtime.device, plan.sink.iface, plan.sink.path)
    const hooks = {
      filtered: () => void this.#filtered++,
      failed: (name: string, error: unknown, direction: 'forward' | 'reverse') =>
        this.#processorFailed(name, error, direction),
    }
    this.#forward = compileForward(plan.stages, this.#send, hooks)
    this.#backward = compileReverse(plan.stages, this.#actuate, hooks)
  }

  get name(): string {
    return this.#plan.name
  }

  /** Starts taking data from the source (push: `start(emit)`; demand: the first read). */
  async start(): Promise<void> {
    if (this.#state !== 'idle')
      throw new SdkError('local.invalid_state', `couldn't start flow ${this.name} twice`)
    this.#state = 'running'
    const { mode, endpoint } = this.#plan
    if (mode === 'push') await endpoint.push?.start(this.#emit, this.#sourceFailed)
    else if (mode === 'demand') this.#request()
    this.#rt.logger.log('info', 'flow running', { flow: this.name, mode, source: endpoint.name })
  }

  /**
   * Stops the source, lets what the flow holds reach the SDK (at most `drainTimeoutMs`), counts
   * what didn't as `shutdown` drops, closes the processors and the endpoint. Never rejects.
   */
  async stop(): Promise<void> {
    if (this.#state === 'stopped' || this.#state === 'stopping') return
    const wasRunning = this.#state === 'running'
    this.#state = 'stopping'
    this.#rt.timers.clear(this.#idleTimer)
    this.#idleWake = undefined
    const { endpoint } = this.#plan
    try {
      if (wasRunning && this.#plan.mode === 'push') await endpoint.push?.stop()
    } catch (error) {
      this.#log('warn', "couldn't stop the source cleanly", { error: describe(error) })
    }
    if (!(await this.#drained())) {
      const left = this.#queue.clear()
      if (left > 0) this.#drop('shutdown', left)
      this.#log('warn', 'stopped with messages not accepted yet', {
        queued: left,
        inFlight: this.#inFlight,
      })
    }
    this.#state = 'stopped'
    closeStages(this.#plan.stages, (name, error) =>
      this.#log('warn', "couldn't close a processor", { processor: name, error: describe(error) }),
    )
    try {
      await endpoint.close?.()
    } catch (error) {
      this.#log('warn', "couldn't close the endpoint", { error: describe(error) })
    }
    this.#rt.logger.log('info', 'flow stopped', { flow: this.name, ...this.#summary() })
  }

  /**
   * Server data: taken when it is on the flow's reverse interface and path (two-way flows only).
   * Pull flows read on it; the others carry it back to the actuator.
   */
  takes(message: ServerMessage): boolean {
    const reverse = this.#plan.reverse
    if (reverse === undefined || message.interfaceName !== reverse.iface.name) return false
    const tags = reverse.path.match(message.path)
    if (tags === undefined) return false
    if (this.#state !== 'running') {
      this.#drop(this.#plan.mode === 'pull' ? 'pullOverflow' : 'reverseOverflow')
      return true
    }
    if (message.type === 'unset') {
      this.#drop('reverseIgnored')
      return true
    }
    if (this.#plan.mode === 'pull') {
      this.#pullRequests++
      const asked =
        typeof message.value === 'number' && Number.isInteger(message.value) && message.value > 0
      this.#pull(asked ? (message.value as number) : 1)
      return true
    }
    this.#reverseReceived++
    const timestamp = message.timestamp?.getTime() ?? this.#rt.clock.now()
    this.#backward({ value: message.value, timestamp, tags })
    return true
  }

  metrics(): FlowMetrics {
    const { limits } = this.#plan
    return {
      name: this.name,
      mode: this.#plan.mode,
      received: this.#received,
      filtered: this.#filtered,
      sent: this.#sent,
      accepted: this.#accepted,
      dropped: { ...this.#dropped },
      processorErrors: this.#processorErrors,
      processorErrorsBy: { ...this.#processorErrorsBy },
      sourceErrors: this.#sourceErrors,
      queue: { length: this.#queue.length, max: this.#maxQueue, bound: limits.buffer },
      inFlight: { count: this.#inFlight, max: this.#maxInFlightSeen, bound: limits.inFlight },
      reverse: { received: this.#reverseReceived, applied: this.#applied },
      pullRequests: this.#pullRequests,
    }
  }

  // ---- forward ----

  readonly #emit = (m: FlowMessage): void => {
    this.#received++
    if (this.#state !== 'running' && this.#state !== 'stopping') {
      this.#drop('afterStop')
      return
    }
    this.#enqueue(m)
  }

  #enqueue(m: FlowMessage): void {
    if (this.#queue.length === 0 && this.#inFlight < this.#maxInFlight && !this.#pumping) {
      this.#pumping = true
      try {
        this.#forward(m)
      } finally {
        this.#pumping = false
      }
      return
    }
    if (this.#queue.full) {
      this.#queue.dropOldest()
      this.#drop('overflow')
    }
    this.#queue.push(m)
    if (this.#queue.length > this.#maxQueue) this.#maxQueue = this.#queue.length
    this.#pump()
  }

  #pump(): void {
    if (this.#pumping) return
    this.#pumping = true
    try {
      while (this.#queue.length > 0 && this.#inFlight < this.#maxInFlight)
        this.#forward(this.#queue.shift())
    } finally {
      this.#pumping = false
    }
    if (this.#state === 'stopping') this.#checkDrained()
    else this.#request()
  }

  readonly #send = (m: FlowMessage): void => {
    let accepted: Promise<void> | undefined
    try {
      accepted = this.#deliver(m)
    } catch (error) {
      // the device façades report through the promise; a throw is counted the same way
      this.#rejected(error)
      return
    }
    if (accepted === undefined) {
      this.#drop('unroutable', 1, { tags: m.tags })
      return
    }
    this.#sent++
    if (++this.#inFlight > this.#maxInFlightSeen) this.#maxInFlightSeen = this.#inFlight
    const hook = this.#rt.onAccepted
    if (hook === undefined) accepted.then(this.#onAccepted, this.#onRejected)
    else
      accepted.then(() => {
        hook(m)
        this.#onAccepted()
      }, this.#onRejected)
  }

  readonly #onAccepted = (): void => {
    this.#inFlight--
    this.#accepted++
    this.#pump()
  }

  readonly #onRejected = (error: unknown): void => {
    this.#inFlight--
    this.#rejected(error)
    this.#pump()
  }

  #rejected(error: unknown): void {
    this.#drop('rejected', 1, { error: describe(error) })
  }

  // ---- reading sources (demand, pull) ----

  #pull(n: number): void {
    const room = this.#plan.limits.buffer - this.#pendingPull
    if (n > room) this.#drop('pullOverflow', n - Math.max(0, room))
    this.#pendingPull += Math.max(0, Math.min(n, room))
    this.#request()
  }

  /** Reads when there is something to read for and credits for it; one read at a time. */
  #request(): void {
    if (this.#state !== 'running' || this.#reading || this.#idleWake !== undefined) return
    const { mode, limits } = this.#plan
    if (mode === 'push') return
    const credits = limits.buffer - this.#queue.length
    const wanted = mode === 'pull' ? this.#pendingPull : limits.readBatch
    const n = Math.min(credits, wanted, limits.readBatch)
    // demand: ask for half a batch at least, so a slow sink isn't answered with reads of one
    const least =
      mode === 'pull' ? 1 : Math.max(1, Math.floor(Math.min(limits.readBatch, limits.buffer) / 2))
    if (n < least) return
    if (mode === 'demand' && limits.readIntervalMs > 0) {
      const wait = this.#lastReadAt + limits.readIntervalMs - this.#rt.clock.now()
      if (wait > 0) return this.#idle(wait)
      this.#lastReadAt = this.#rt.clock.now()
    }
    if (mode === 'pull') this.#pendingPull -= n
    this.#reading = true
    const source = this.#plan.endpoint.read
    let reading: Promise<readonly FlowMessage[]>
    try {
      reading = source === undefined ? Promise.resolve([]) : source.read(n)
    } catch (error) {
      reading = Promise.reject(error)
    }
    reading.then(
      (items) => this.#readDone(items, n),
      (error: unknown) => {
        this.#reading = false
        this.#sourceFailed(error)
        this.#idle()
      },
    )
  }

  #readDone(items: readonly FlowMessage[], asked: number): void {
    if (!Array.isArray(items)) {
      this.#reading = false
      this.#sourceErrors++
      this.#log('warn', "couldn't use a read: the source didn't return an array", {})
      return this.#idle()
    }
    if (items.length > asked) this.#drop('overRead', items.length - asked)
    const taken = Math.min(asked, items.length)
    this.#received += taken
    // still `reading` while enqueuing: a read started meanwhile would count credits these take
    for (let i = 0; i < taken; i++) {
      if (this.#state !== 'running') {
        this.#drop('afterStop', taken - i)
        break
      }
      this.#enqueue(items[i] as FlowMessage)
    }
    this.#reading = false
    if (this.#state !== 'running') return this.#checkDrained()
    if (taken === 0 && this.#plan.mode === 'demand') return this.#idle()
    this.#request()
  }

  readonly #sourceFailed = (error: unknown): void => {
    this.#sourceErrors++
    if (countCrossesPowerOfTwo(this.#sourceErrors, 1)) {
      this.#log('warn', "the source couldn't produce a message", {
        count: this.#sourceErrors,
        error: describe(error),
      })
    }
  }

  /** Waits `ms` (`idleMs` by default) before the next demand read. */
  #idle(ms = this.#plan.limits.idleMs): void {
    if (this.#state !== 'running') return this.#checkDrained()
    if (this.#plan.mode !== 'demand') return this.#request()
    const wake = (): void => {
      this.#idleWake = undefined
      this.#request()
    }
    this.#idleWake = wake
    this.#idleTimer = this.#rt.timers.set(wake, ms)
  }

  // ---- reverse ----

  readonly #actuate = (m: FlowMessage): void => {
    if (this.#actuations.full) {
      this.#actuations.dropOldest()
      this.#drop('reverseOverflow')
    }
    this.#actuations.push(m)
    if (!this.#applying) this.#applyNext()
  }

  #applyNext(): void {
    const actuator = this.#plan.endpoint.actuator
    if (this.#actuations.length === 0 || actuator === undefined) {
      this.#applying = false
      if (this.#state === 'stopping') this.#checkDrained()
      return
    }
    this.#applying = true
    const m = this.#actuations.shift()
    let applying: Promise<void>
    try {
      applying = actuator.apply(m)
    } catch (error) {
      applying = Promise.reject(error)
    }
    applying.then(
      () => {
        this.#applied++
        this.#applyNext()
      },
      (error: unknown) => {
        this.#drop('actuatorFailed', 1, { error: describe(error) })
        this.#applyNext()
      },
    )
  }

  // ---- stopping ----

  #drainResolve: ((done: boolean) => void) | undefined

  #drained(): Promise<boolean> {
    if (this.#isDrained()) return Promise.resolve(true)
    return new Promise<boolean>((resolve) => {
      const timer = this.#rt.timers.set(() => {
        this.#drainResolve = undefined
        resolve(false)
      }, this.#plan.limits.drainTimeoutMs)
      this.#drainResolve = (done) => {
        this.#rt.timers.clear(timer)
        this.#drainResolve = undefined
        resolve(done)
      }
      this.#pump()
    })
  }

  #isDrained(): boolean {
    return this.#queue.length === 0 && this.#inFlight === 0 && !this.#reading && !this.#applying
  }

  #checkDrained(): void {
    if (this.#drainResolve !== undefined && this.#isDrained()) this.#drainResolve(true)
  }

  // ---- accounting ----

  #processorFailed(name: string, error: unknown, direction: 'forward' | 'reverse'): void {
    this.#processorErrors++
    const n = (this.#processorErrorsBy[name] ?? 0) + 1
    this.#processorErrorsBy[name] = n
    if (countCrossesPowerOfTwo(n, 1)) {
      this.#log('warn', 'a processor failed: its message was dropped', {
        processor: name,
        direction,
        count: n,
        error: describe(error),
      })
    }
  }

  #drop(reason: DropReason, count = 1, ctx: Record<string, unknown> = {}): void {
    const total = this.#dropped[reason] + count
    this.#dropped[reason] = total
    if (countCrossesPowerOfTwo(total, count)) {
      this.#log('warn', 'flow dropped messages', { reason, count: total, ...ctx })
    }
    if (this.#state === 'stopping') this.#checkDrained()
  }

  #summary(): Record<string, unknown> {
    const dropped = Object.fromEntries(Object.entries(this.#dropped).filter(([, n]) => n > 0))
    return {
      received: this.#received,
      accepted: this.#accepted,
      filtered: this.#filtered,
      processorErrors: this.#processorErrors,
      dropped,
    }
  }

  #log(level: 'warn' | 'info', message: string, ctx: Record<string, unknown>): void {
    this.#rt.logger.log(level, message, { flow: this.name, ...ctx })
  }
}

/** Whether a counter that just grew by `by` to `total` passed a power of two (log, but sparsely). */
function countCrossesPowerOfTwo(total: number, by: number): boolean {
  return Math.clz32(total) !== Math.clz32(total - by)
}

function describe(error: unknown): Record<string, unknown> {
  if (error instanceof SdkError) return { code: error.code, message: error.message }
  if (error instanceof Error) return { message: error.message }
  return { message: String(error) }
}
