/**
 * @module go-back-N with cumulative acknowledgement (PROTOCOL.md §4): the sender's window with
 * its retransmission timer, and the receiver's sequence check. Both roles (host and MCU) use them.
 */
import type { SequencedMessage } from '../codec/messages.js'

/** Host timers, so tests and other hosts can drive time. */
export interface LinkTimers {
  set(fn: () => void, ms: number): unknown
  clear(handle: unknown): void
}

export const nodeLinkTimers: LinkTimers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
}

/** A sequenced message before it gets its sequence number. */
export type Unsequenced = SequencedMessage extends infer M
  ? M extends SequencedMessage
    ? Omit<M, 'seq'>
    : never
  : never

export interface SendWindowOptions {
  /** Writes a frame to the line (first sending or retransmission). */
  readonly write: (m: SequencedMessage) => void
  readonly timers?: LinkTimers
  /** Most frames unacknowledged at once. Default 4. */
  readonly window?: number
  /** First retransmission timeout, doubled on each consecutive one up to `maxRtoMs`. Default 500. */
  readonly rtoMs?: number
  readonly maxRtoMs?: number
  /** Consecutive retransmissions without an ACK before `onStalled`. Default 8. */
  readonly maxTries?: number
  /** The link looks dead: the frames stay queued; `pause()`/`resume()` decide what next. */
  readonly onStalled?: () => void
  /** A frame acknowledged (or refused with a final reason). */
  readonly onSettled?: (m: SequencedMessage, nack?: number) => void
}

/** Reasons after which the refused frame is sent again (BUSY, INTERNAL). */
const TRANSIENT = new Set([8, 9])

const dist = (from: number, to: number): number => (to - from + 256) % 256

/** The sender side: queue, window, retransmission timer. */
export class SendWindow {
  private readonly queue: Unsequenced[] = []
  /** Frames sent and not yet acknowledged, oldest first, with their seq. */
  private readonly inflight: SequencedMessage[] = []
  private nextSeq = 0
  private timer: unknown
  private tries = 0
  private paused = true
  /** Where the frames that `pause` took back started, and how many: see `resume`. */
  private pausedFrom = { oldest: 0, count: 0 }
  private readonly timers: LinkTimers
  private readonly window: number
  private readonly rtoMs: number
  private readonly maxRtoMs: number
  private readonly maxTries: number
  /** Retransmitted frames, for metrics. */
  retransmissions = 0

  constructor(private readonly options: SendWindowOptions) {
    this.timers = options.timers ?? nodeLinkTimers
    this.window = options.window ?? 4
    this.rtoMs = options.rtoMs ?? 500
    this.maxRtoMs = options.maxRtoMs ?? 4000
    this.maxTries = options.maxTries ?? 8
  }

  /** Frames queued or unacknowledged. */
  get pending(): number {
    return this.queue.length + this.inflight.length
  }

  /**
   * The seq of the oldest unacknowledged frame, or the next seq if none; while paused, the seq
   * the first frame taken back had (what a HELLO announces in key 7).
   */
  get oldestSeq(): number {
    if (this.paused) return this.pausedFrom.oldest
    return this.inflight[0]?.seq ?? this.nextSeq
  }

  send(m: Unsequenced): void {
    this.queue.push(m)
    this.pump()
  }

  /**
   * Stops sending (no session). Unacknowledged frames go back to the head of the queue, to be
   * renumbered by `resume`.
   */
  pause(): void {
    // Paused already: the frames taken back keep the numbers recorded then.
    if (this.paused) return
    this.paused = true
    this.stopTimer()
    this.pausedFrom = { oldest: this.inflight[0]?.seq ?? this.nextSeq, count: this.inflight.length }
    const back = this.inflight.splice(0).map(({ seq: _seq, ...rest }) => rest as Unsequenced)
    this.queue.unshift(...back)
  }

  /**
   * Starts a session. With `peerExpected` (the peer kept its session and expects that seq), the
   * frames it already had are dropped as delivered and the rest keep their numbers; without it
   * everything is numbered afresh from `nextSeq`.
   */
  resume(nextSeq: number, peerExpected?: number): void {
    let start = nextSeq
    if (peerExpected !== undefined) {
      const { oldest, count } = this.pausedFrom
      const had = acceptedCount(oldest, count, peerExpected)
      for (const m of this.queue.splice(0, had))
        this.options.onSettled?.({ ...m, seq: oldest } as SequencedMessage)
      start = peerExpected
    }
    this.pausedFrom = { oldest: start & 0xff, count: 0 }
    this.nextSeq = start & 0xff
    this.paused = false
    this.tries = 0
    this.pump()
  }

  /** `ACK s` or `NACK s`: settles frames up to `s` (not `s` itself on a transient NACK). */
  settle(seq: number, nack?: number): void {
    const at = this.inflight.findIndex((m) => m.seq === seq)
    if (at < 0) return
    const transient = nack !== undefined && TRANSIENT.has(nack)
    const done = this.inflight.splice(0, transient ? at : at + 1)
    done.forEach((m, i) => this.options.onSettled?.(m, i === at && !transient ? nack : undefined))
    this.tries = 0
    this.stopTimer()
    if (transient) {
      // The peer still expects `seq`: everything from it goes again after a pause.
      this.timer = this.timers.set(() => this.retransmit(false), 1000)
      return
    }
    this.pump()
  }

  /** Stops the timer for good (the link is closing). */
  close(): void {
    this.paused = true
    this.stopTimer()
  }

  private pump(): void {
    if (this.paused) return
    while (this.inflight.length < this.window && this.queue.length > 0) {
      const m = { ...this.queue.shift()!, seq: this.nextSeq } as SequencedMessage
      this.nextSeq = (this.nextSeq + 1) & 0xff
      this.inflight.push(m)
      this.options.write(m)
    }
    if (this.inflight.length > 0 && this.timer === undefined) this.armTimer()
  }

  private armTimer(): void {
    const ms = Math.min(this.rtoMs * 2 ** this.tries, this.maxRtoMs)
    this.timer = this.timers.set(() => this.retransmit(true), ms)
  }

  private retransmit(counts: boolean): void {
    this.timer = undefined
    if (this.paused || this.inflight.length === 0) return
    if (counts) this.tries++
    if (this.tries > this.maxTries) {
      this.options.onStalled?.()
      return
    }
    for (const m of this.inflight) {
      this.retransmissions++
      this.options.write(m)
    }
    this.armTimer()
  }

  private stopTimer(): void {
    if (this.timer !== undefined) this.timers.clear(this.timer)
    this.timer = undefined
  }
}

/** What the receiver should do with an incoming sequenced frame. */
export type Verdict = 'process' | 'duplicate' | 'ahead'

/** The receiver side: the next expected seq. */
export class ReceiveSequence {
  constructor(public expected = 0) {}

  check(seq: number): Verdict {
    if (seq === this.expected) return 'process'
    const back = dist(seq, this.expected)
    return back >= 1 && back <= 128 ? 'duplicate' : 'ahead'
  }

  advance(): void {
    this.expected = (this.expected + 1) & 0xff
  }

  /** The seq of the last frame processed. */
  get last(): number {
    return (this.expected + 255) & 0xff
  }
}

/** How many of `count` unacknowledged frames from `oldest` the peer says it has (`peerExpected`). */
export function acceptedCount(oldest: number, count: number, peerExpected: number): number {
  const n = dist(oldest, peerExpected)
  return n <= count ? n : 0
}
