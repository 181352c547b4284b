/**
 * @module a reference MCU side of the protocol in TypeScript: the HELLO handshake, batched SEND
 * with go-back-N retransmission, SET/UNSET, SERVER_DATA acknowledged in order, a new HELLO on
 * `NO_SESSION` or a silent link. It plays the firmware in tests and benchmarks and shows the
 * state a C implementation keeps.
 */
import type { CborValue } from '../codec/cbor.js'
import { encodeWire, FrameReceiver } from '../codec/frame.js'
import {
  type HelloAck,
  type Message,
  NackReason,
  type Sample,
  type SequencedMessage,
  type TableEntry,
  type Target,
} from '../codec/messages.js'
import {
  type LinkTimers,
  nodeLinkTimers,
  ReceiveSequence,
  SendWindow,
  type Unsequenced,
} from '../link/sequence.js'

export interface McuPeerOptions {
  readonly write: (bytes: Uint8Array) => void
  readonly interfaces: readonly string[]
  readonly bootCounter: number
  readonly identity?: string
  readonly timers?: LinkTimers
  readonly maxFrame?: number
  /** Server data as it arrives (in order, once each). */
  readonly onServerData?: (target: Target, value: CborValue | undefined) => void
  /** A sequenced frame the host acknowledged (`nack` set when it refused it). */
  readonly onSettled?: (m: SequencedMessage, nack?: number) => void
  /** The host refused the HELLO (unknown interface, version). */
  readonly onRefused?: (reason: number, detail: string | undefined) => void
  /** HELLO retry period. Default 1000 ms. */
  readonly helloEveryMs?: number
}

/** The MCU end of a serial line. */
export class McuPeer {
  private readonly rx = new FrameReceiver(1024)
  private readonly seq = new ReceiveSequence()
  readonly tx: SendWindow
  private token = 0
  private helloTimer: unknown
  private table: (TableEntry | undefined)[] = []
  private ack: HelloAck | undefined
  private closed = false
  private readonly timers: LinkTimers
  /** The session's index table, complete. */
  entries: TableEntry[] = []
  deviceId: string | undefined
  /** Host time minus local time at the last HELLO_ACK or TIME. */
  clockOffsetMs = 0
  /** Frames the receiver dropped. */
  errors = 0

  constructor(private readonly options: McuPeerOptions) {
    this.timers = options.timers ?? nodeLinkTimers
    this.tx = new SendWindow({
      write: (m) => this.write(m),
      timers: this.timers,
      onStalled: () => this.hello(),
      ...(options.onSettled === undefined ? {} : { onSettled: options.onSettled }),
    })
  }

  /** True once a HELLO_ACK table is complete. */
  get established(): boolean {
    return this.ack !== undefined
  }

  /** Starts (or restarts) the session. */
  hello(): void {
    if (this.closed) return
    this.ack = undefined
    this.tx.pause()
    this.token = (this.token + 1) & 0xff
    this.options.write(Uint8Array.of(0))
    const sendHello = (): void => {
      if (this.closed || this.ack !== undefined) return
      this.write({
        type: 'hello',
        token: this.token,
        version: 1,
        bootCounter: this.options.bootCounter,
        ...(this.options.identity === undefined ? {} : { identity: this.options.identity }),
        interfaces: [...this.options.interfaces],
        maxFrame: this.options.maxFrame ?? 256,
        window: 4,
        txSeq: this.tx.oldestSeq,
        rxSeq: this.seq.expected,
      })
      this.helloTimer = this.timers.set(sendHello, this.options.helloEveryMs ?? 1000)
    }
    if (this.helloTimer !== undefined) this.timers.clear(this.helloTimer)
    sendHello()
  }

  /** The mapping index of `endpoint` on interface `interfaceIndex`. */
  mapping(interfaceIndex: number, endpoint: string): number {
    const i = this.entries.findIndex(
      (e) => e.interfaceIndex === interfaceIndex && e.endpoint === endpoint,
    )
    if (i < 0) throw new Error(`no mapping ${interfaceIndex} ${endpoint}`)
    return i
  }

  /** Queues one SEND of `samples` (times absolute, ms since the epoch, or none). */
  send(samples: readonly { target: Target; value: CborValue; time?: number }[]): void {
    const timed = samples[0]?.time !== undefined
    let prev = timed ? samples[0]!.time! : 0
    const t0 = timed ? prev : null
    const wire: Sample[] = samples.map((s) => {
      if (!timed) return { target: s.target, value: s.value }
      const dt = s.time! - prev
      prev = s.time!
      return { target: s.target, value: s.value, dt }
    })
    this.queue({ type: 'send', t0, samples: wire })
  }

  queue(m: Unsequenced): void {
    this.tx.send(m)
  }

  receive(chunk: Uint8Array): void {
    for (const r of this.rx.push(chunk)) {
      if (!r.ok) {
        this.errors++
        continue
      }
      this.handle(r.message)
    }
  }

  close(): void {
    this.closed = true
    this.tx.close()
    if (this.helloTimer !== undefined) this.timers.clear(this.helloTimer)
  }

  private write(m: Message): void {
    if (!this.closed) this.options.write(encodeWire(m))
  }

  private handle(m: Message): void {
    switch (m.type) {
      case 'helloAck':
        this.helloAck(m)
        return
      case 'ack':
        this.tx.settle(m.seq)
        return
      case 'nack':
        if (
          this.ack === undefined &&
          m.seq === this.token &&
          (m.reason === NackReason.unknownInterface || m.reason === NackReason.version)
        ) {
          if (this.helloTimer !== undefined) this.timers.clear(this.helloTimer)
          this.options.onRefused?.(m.reason, m.detail)
          return
        }
        if (m.reason === NackReason.noSession) {
          if (this.ack !== undefined) this.hello()
          return
        }
        this.tx.settle(m.seq, m.reason)
        return
      case 'ping':
        this.write({ type: 'pong', token: m.token })
        return
      case 'time':
        if (m.time !== undefined) this.clockOffsetMs = m.time - Date.now()
        return
      case 'serverData': {
        if (this.ack === undefined) return
        const v = this.seq.check(m.seq)
        if (v === 'ahead') return
        if (v === 'process') {
          this.seq.advance()
          this.options.onServerData?.(m.target, m.value)
        }
        this.write({ type: 'ack', seq: this.seq.last })
        return
      }
      default:
        return
    }
  }

  private helloAck(m: HelloAck): void {
    if (m.token !== this.token || this.ack !== undefined) return
    if (m.first === 0) this.table = new Array<TableEntry | undefined>(m.total).fill(undefined)
    m.entries.forEach((e, i) => {
      this.table[m.first + i] = e
    })
    if (this.table.length !== m.total || this.table.some((e) => e === undefined)) return
    if (this.helloTimer !== undefined) this.timers.clear(this.helloTimer)
    this.entries = this.table as TableEntry[]
    this.deviceId = m.deviceId
    this.clockOffsetMs = m.time - Date.now()
    this.seq.expected = m.txSeq
    this.ack = m
    // The host expects m.rxSeq: what came before it was received (only its ACK was lost).
    this.tx.resume(m.rxSeq, m.rxSeq)
  }
}
