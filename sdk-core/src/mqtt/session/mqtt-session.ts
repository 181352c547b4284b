/**
 * @module mqtt session: a sans-I/O MQTT 3.1.1 client. It mutates its own state only and never
 * performs I/O: every input returns the actions (writes, a timer, events) the runtime performs.
 */
import { SessionStore } from './session-store.js'
import type { Context } from './context.js'
import { armTimer } from './keepalive.js'
import type { SessionState } from './state.js'
import { idle } from './states/idle.js'
import { transitions, type Step } from './transitions.js'
import type { MqttSessionOptions, SessionAction, SessionInput } from './types.js'

// outside `handle` nothing may add an action: a push here throws
const NO_ACTIONS = Object.freeze([]) as unknown as SessionAction[]

/** Default in-flight window, as Astarte's broker grants devices (spec §3.1). */
export const DEFAULT_MAX_INFLIGHT = 100

/**
 * One MQTT session across connections: packet ids, the in-flight window, QoS 2 state and the
 * queue survive disconnects. The next CONNACK decides their fate: a present session resumes them
 * oldest first, before newer ops [MQTT-4.4.0-1]; a lost one drops what the last connection
 * carried over (the `connected` event lists it) and sends nothing of it twice.
 *
 * ```ts
 * const actions = session.handle({ type: 'bytes', data }, nowMs)
 * ```
 */
export class MqttSession {
  #state: SessionState = idle
  readonly #ctx: Context

  constructor(options: MqttSessionOptions = {}) {
    this.#ctx = {
      out: [],
      store: new SessionStore(options.maxInflight ?? DEFAULT_MAX_INFLIGHT, options.sessionStore),
      maxFrameBytes: options.maxFrameBytes,
    }
  }

  /** `idle`, `wait-connack` or `connected`. */
  get state(): SessionState['tag'] {
    return this.#state.tag
  }

  /** Ops written and awaiting their ack. */
  get inflightCount(): number {
    return this.#ctx.store.inflight.size
  }

  /** Ops accepted but not yet written: the backpressure signal (none is ever dropped). */
  get queuedCount(): number {
    return this.#ctx.store.pending.length
  }

  /**
   * Feeds one input at `nowMs` and returns what to do, in order. Throws `SdkError` with a
   * `local.` code for the caller's mistakes only (a packet MQTT can't carry, `connect` twice);
   * the peer's faults end the connection with a `closed` event instead.
   */
  handle(input: SessionInput, nowMs: number): SessionAction[] {
    const ctx = this.#ctx
    const out: SessionAction[] = []
    ctx.out = out
    try {
      const step = transitions[this.#state.tag][input.type] as
        Step<SessionState, SessionInput> | undefined
      if (step !== undefined) this.#state = step(ctx, this.#state, input, nowMs)
      armTimer(ctx, this.#state)
    } finally {
      // the caller owns `out` now: held here, its payloads would live until the next input
      ctx.out = NO_ACTIONS
    }
    return out
  }
}
