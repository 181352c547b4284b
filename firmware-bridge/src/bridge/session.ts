/**
 * @module one MCU on one serial line, host side: the HELLO handshake and index table, the
 * reliable link, SEND/SET/UNSET validated and handed to the Astarte device before they are
 * acknowledged, server data forwarded with retries, property resync on a new boot counter,
 * keep-alive and metrics.
 */
import type {
  AstarteDevice,
  AstarteObjectValue,
  AstarteValue,
  Interface,
  Logger,
  ServerMessage,
} from '@astarte-ts/sdk-core'
import type { CborValue } from '../codec/cbor.js'
import { encodeWire, FrameReceiver } from '../codec/frame.js'
import {
  type Hello,
  type Message,
  MessageType,
  NackReason,
  type SequencedMessage,
  isSequenced,
} from '../codec/messages.js'
import {
  type LinkTimers,
  nodeLinkTimers,
  ReceiveSequence,
  SendWindow,
  type SendWindowOptions,
} from '../link/sequence.js'
import {
  Refusal,
  type Row,
  buildTable,
  pathOf,
  targetOf,
  valueFromWire,
  valueToWire,
} from './table.js'

export const HOST_MAX_FRAME = 1024
const SEQUENCED_TYPES = new Set<number>([MessageType.send, MessageType.set, MessageType.unset])
export const HOST_WINDOW = 4

/** Per-port counters (PROTOCOL.md terms). */
export interface PortMetrics {
  framesIn: number
  framesOut: number
  crcErrors: number
  /** Frames dropped for any reason (bad CRC included): each is a resynchronisation. */
  resyncs: number
  nacksSent: number
  nacksReceived: number
  retransmissions: number
  samplesStored: number
  /** Last PING round trip, ms. */
  latencyMs?: number
  /** SEND arrival to ACK (stored), last frame, ms. */
  storeLatencyMs?: number
}

/** What the session needs from the bridge around it. */
export interface SessionHost {
  readonly write: (bytes: Uint8Array) => void
  /** The interfaces the host knows, by `name:major:minor`. */
  readonly findInterface: (nameVersion: string) => Interface | undefined
  /** Opens (or returns the open) device for this MCU with `interfaces`. */
  readonly device: (hello: Hello, interfaces: readonly Interface[]) => Promise<AstarteDevice>
  /** The boot counter last seen for `deviceId` (persisted), and saving a new one. */
  readonly lastBoot: (deviceId: string) => Promise<number | undefined>
  readonly saveBoot: (deviceId: string, boot: number) => Promise<void>
  readonly logger: Logger
  readonly timers?: LinkTimers
  readonly now?: () => number
  /** Keep-alive PING after this much silence. Default 5000 ms. */
  readonly pingAfterMs?: number
  /** TIME to the MCU this often. Default 600 000 ms (10 minutes). */
  readonly timeEveryMs?: number
  /** Retransmission of server data (PROTOCOL.md §4 defaults: 500 ms doubling to 4 s, 8 tries). */
  readonly link?: Pick<SendWindowOptions, 'rtoMs' | 'maxRtoMs' | 'maxTries'>
}

/** The host end of one serial line. */
export class Session {
  readonly metrics: PortMetrics = {
    framesIn: 0,
    framesOut: 0,
    crcErrors: 0,
    resyncs: 0,
    nacksSent: 0,
    nacksReceived: 0,
    retransmissions: 0,
    samplesStored: 0,
  }
  private readonly rx = new FrameReceiver(HOST_MAX_FRAME)
  private readonly seq = new ReceiveSequence()
  private readonly tx: SendWindow
  private rows: Row[] = []
  private device: AstarteDevice | undefined
  private boot: number | undefined
  private established = false
  /** Sequenced frames accepted, processed one at a time in order. */
  private work: Promise<void> = Promise.resolve()
  /** The seq of the last frame processed and answered; duplicates are answered with it. */
  private lastDone: number | undefined
  /** Bumped by a transient refusal: answers of frames accepted before it are void. */
  private epoch = 0
  private mcuMaxFrame = 64
  private pingTimer: unknown
  private timeTimer: unknown
  private pingSentAt = new Map<number, number>()
  private pingToken = 0
  private closed = false
  private readonly timers: LinkTimers
  private readonly now: () => number
  private readonly onData = (m: ServerMessage): void => this.forward(m)

  constructor(private readonly host: SessionHost) {
    this.timers = host.timers ?? nodeLinkTimers
    this.now = host.now ?? Date.now
    this.tx = new SendWindow({
      ...host.link,
      write: (m) => this.send(m),
      timers: this.timers,
      onStalled: () => {
        host.logger.log(
          'warn',
          'bridge: the MCU stopped acknowledging; server data kept for its next session',
        )
        this.established = false
        this.tx.pause()
      },
      onSettled: (m, nack) => {
        if (nack !== undefined)
          host.logger.log('warn', 'bridge: the MCU refused server data', {
            reason: nack,
            mapping: 'target' in m ? m.target.mapping : undefined,
          })
      },
    })
    // A leading delimiter flushes whatever half frame the MCU holds.
    host.write(Uint8Array.of(0))
    this.armPing()
  }

  /** True while a session lasts (after HELLO_ACK, until the MCU stops acknowledging). */
  get inSession(): boolean {
    return this.established
  }

  /** The device of this MCU, once a HELLO opened it. */
  get astarteDevice(): AstarteDevice | undefined {
    return this.device
  }

  /** Bytes from the serial line. */
  receive(chunk: Uint8Array): void {
    this.armPing()
    for (const r of this.rx.push(chunk)) {
      if (!r.ok) {
        this.metrics.resyncs++
        if (r.error.code === 'remote.frame_bad_crc') this.metrics.crcErrors++
        const { seq, type } = r.error.ctx
        if (typeof seq !== 'number') continue
        if (r.error.code === 'remote.frame_unknown_type')
          this.nack(seq, NackReason.unknownType, r.error.message)
        else if (r.error.code === 'remote.frame_bad_shape' && SEQUENCED_TYPES.has(type as number))
          this.malformed(seq, r.error.message)
        continue
      }
      this.metrics.framesIn++
      this.handle(r.message)
    }
  }

  /** Stops timers and server-data forwarding; the device stays with the bridge. */
  close(): void {
    this.closed = true
    this.tx.close()
    if (this.pingTimer !== undefined) this.timers.clear(this.pingTimer)
    if (this.timeTimer !== undefined) this.timers.clear(this.timeTimer)
    this.device?.off('data', this.onData)
  }

  /** TIME every `timeEveryMs` while a session lasts, so the MCU's clock doesn't drift away. */
  private armTime(): void {
    if (this.timeTimer !== undefined) this.timers.clear(this.timeTimer)
    this.timeTimer = this.timers.set(() => {
      this.timeTimer = undefined
      if (this.closed) return
      if (this.established) this.send({ type: 'time', time: this.now() })
      this.armTime()
    }, this.host.timeEveryMs ?? 600_000)
  }

  private send(m: Message): void {
    if (this.closed) return
    this.metrics.framesOut++
    if (isSequenced(m)) this.metrics.retransmissions = this.tx.retransmissions
    this.host.write(encodeWire(m))
  }

  private nack(seq: number, reason: number, detail?: string, sampleIndex?: number): void {
    this.metrics.nacksSent++
    this.send({
      type: 'nack',
      seq,
      reason,
      ...(detail === undefined ? {} : { detail: detail.slice(0, 120) }),
      ...(sampleIndex === undefined ? {} : { sampleIndex }),
    })
  }

  private armPing(): void {
    if (this.closed) return
    if (this.pingTimer !== undefined) this.timers.clear(this.pingTimer)
    this.pingTimer = this.timers.set(() => {
      this.pingToken = (this.pingToken + 1) & 0xff
      this.pingSentAt.set(this.pingToken, this.now())
      this.send({ type: 'ping', token: this.pingToken })
      this.armPing()
    }, this.host.pingAfterMs ?? 5000)
  }

  private handle(m: Message): void {
    switch (m.type) {
      case 'hello':
        this.work = this.work.then(() => this.hello(m))
        return
      case 'ping':
        this.send({ type: 'pong', token: m.token })
        return
      case 'pong': {
        const at = this.pingSentAt.get(m.token)
        if (at !== undefined) this.metrics.latencyMs = this.now() - at
        this.pingSentAt.delete(m.token)
        return
      }
      case 'time':
        if (m.time === undefined) this.send({ type: 'time', time: this.now() })
        return
      case 'ack':
        this.tx.settle(m.seq)
        return
      case 'nack':
        this.metrics.nacksReceived++
        this.tx.settle(m.seq, m.reason)
        return
      case 'helloAck':
      case 'serverData':
        this.nack(
          m.type === 'serverData' ? m.seq : m.token,
          NackReason.unknownType,
          `${m.type} goes host to MCU`,
        )
        return
      default:
        this.sequenced(m)
    }
  }

  /** A sequenced frame whose body has the wrong shape: refused, and counted as delivered. */
  private malformed(seq: number, detail: string): void {
    if (!this.established || this.seq.check(seq) !== 'process') return
    this.seq.advance()
    this.work = this.work.then(() => {
      this.lastDone = seq
      this.nack(seq, NackReason.malformed, detail)
    })
  }

  private sequenced(m: SequencedMessage): void {
    if (!this.established) {
      this.nack(m.seq, NackReason.noSession, 'no session: send HELLO')
      return
    }
    const verdict = this.seq.check(m.seq)
    if (verdict === 'ahead') return
    if (verdict === 'duplicate') {
      // Answered only once processed: an ACK now could run ahead of the store.
      this.work = this.work.then(() => {
        if (this.lastDone !== undefined) this.send({ type: 'ack', seq: this.lastDone })
      })
      return
    }
    this.seq.advance()
    const arrived = this.now()
    // Handed to the device now, so consecutive frames share its store's commits; answered in
    // order, each once the device holds it.
    const outcome = this.store(m)
    const epoch = this.epoch
    this.work = this.work.then(async () => {
      const r = await outcome
      // A transient refusal before this frame: the MCU goes back to it, this one comes again.
      if (epoch !== this.epoch) return
      if (r instanceof Refusal) {
        if (r.reason === NackReason.busy || r.reason === NackReason.internal) {
          this.epoch++
          this.seq.expected = m.seq
        } else this.lastDone = m.seq
        this.nack(m.seq, r.reason, r.detail, r instanceof SampleRefusal ? r.sample : undefined)
        return
      }
      this.lastDone = m.seq
      this.metrics.storeLatencyMs = this.now() - arrived
      this.send({ type: 'ack', seq: m.seq })
    })
  }

  /** Validates every value of `m`, then hands them all to the device; resolves once stored. */
  private async store(m: SequencedMessage): Promise<Refusal | undefined> {
    const device = this.device
    if (device === undefined) return new Refusal(NackReason.noSession, 'no device')
    const jobs: (() => Promise<void>)[] = []
    if (m.type === 'send') {
      let t = m.t0 ?? 0
      for (let i = 0; i < m.samples.length; i++) {
        const s = m.samples[i]!
        t += s.dt ?? 0
        const at = pathOf(this.rows, s.target)
        if (at instanceof Refusal) return new SampleRefusal(at, i)
        const { row, path } = at
        if (row.iface.type !== 'datastream' || row.iface.ownership !== 'device') {
          return new SampleRefusal(
            new Refusal(
              NackReason.ownership,
              `${row.iface.name}${path} is not a device-owned datastream`,
            ),
            i,
          )
        }
        const explicit = row.mappings[0]!.explicitTimestamp
        if (m.t0 !== null && (t < 0 || t > 8.64e15))
          return new SampleRefusal(
            new Refusal(NackReason.timestamp, `sample time ${t} out of range`),
            i,
          )
        const timestamp = explicit ? new Date(m.t0 === null ? this.now() : t) : undefined
        const options = timestamp === undefined ? {} : { timestamp }
        if ('fields' in row.entry) {
          const value = objectFromWire(row, s.value, path)
          if (value instanceof Refusal) return new SampleRefusal(value, i)
          jobs.push(() => device.sendObject(row.iface.name, path, value, options))
        } else {
          const value = valueFromWire(row.mappings[0]!, s.value, path)
          if (value instanceof Refusal) return new SampleRefusal(value, i)
          jobs.push(() => device.send(row.iface.name, path, value, options))
        }
      }
    } else {
      const at = pathOf(this.rows, m.target)
      if (at instanceof Refusal) return at
      const { row, path } = at
      const mapping = row.mappings[0]!
      if (row.iface.type !== 'properties' || row.iface.ownership !== 'device') {
        return new Refusal(
          NackReason.ownership,
          `${row.iface.name}${path} is not a device-owned property`,
        )
      }
      if (m.type === 'set') {
        const value = valueFromWire(mapping, m.value, path)
        if (value instanceof Refusal) return value
        jobs.push(() => device.setProperty(row.iface.name, path, value))
      } else if (m.type === 'unset') {
        if (!mapping.allowUnset)
          return new Refusal(NackReason.ownership, `${row.iface.name}${path} does not allow unset`)
        jobs.push(() => device.unsetProperty(row.iface.name, path))
      } else return new Refusal(NackReason.unknownType, 'SERVER_DATA goes host to MCU')
    }
    try {
      await Promise.all(jobs.map((j) => j()))
    } catch (e) {
      this.host.logger.log(
        'warn',
        "bridge: the device couldn't take a frame; the MCU will retransmit it",
        { error: e instanceof Error ? e.message : String(e) },
      )
      return new Refusal(NackReason.internal, 'host could not store the frame')
    }
    this.metrics.samplesStored += jobs.length
    return undefined
  }

  private async hello(h: Hello): Promise<void> {
    if (h.version !== 1) {
      this.nack(h.token, NackReason.version, `protocol version ${h.version} not supported (1)`)
      return
    }
    const interfaces: Interface[] = []
    for (const name of h.interfaces) {
      const iface = this.host.findInterface(name)
      if (iface === undefined) {
        this.host.logger.log(
          'error',
          'bridge: the MCU declares an interface the bridge does not have',
          { interface: name, identity: h.identity },
        )
        this.nack(h.token, NackReason.unknownInterface, `unknown interface ${name}`)
        return
      }
      interfaces.push(iface)
    }
    let device: AstarteDevice
    try {
      device = await this.host.device(h, interfaces)
    } catch (e) {
      this.host.logger.log('error', "bridge: couldn't open the MCU's device", {
        identity: h.identity,
        error: e instanceof Error ? e.message : String(e),
      })
      this.nack(h.token, NackReason.internal, "host couldn't open the device")
      return
    }
    const sameDevice = this.device === device
    if (!sameDevice) {
      this.device?.off('data', this.onData)
      device.on('data', this.onData)
      this.device = device
    }
    this.rows = buildTable(interfaces)
    this.mcuMaxFrame = h.maxFrame
    // Same boot: the MCU kept its state, so this side keeps its sequence numbers (even after a stall).
    const sameBoot = sameDevice && this.boot === h.bootCounter
    const stored = await this.host.lastBoot(device.deviceId)
    const rebooted = stored !== h.bootCounter
    this.tx.pause()
    if (!sameBoot) {
      this.seq.expected = h.txSeq
      this.lastDone = undefined
    }
    this.boot = h.bootCounter
    this.sendHelloAck(h, device)
    this.established = true
    this.armTime()
    this.tx.resume(h.rxSeq, sameBoot ? h.rxSeq : undefined)
    if (rebooted) {
      await this.host.saveBoot(device.deviceId, h.bootCounter)
      this.resyncProperties(device)
    }
  }

  private sendHelloAck(h: Hello, device: AstarteDevice): void {
    const base = {
      type: 'helloAck' as const,
      token: h.token,
      version: 1,
      deviceId: device.deviceId,
      time: this.now(),
      total: this.rows.length,
      maxFrame: HOST_MAX_FRAME,
      txSeq: h.rxSeq,
      rxSeq: this.seq.expected,
      window: HOST_WINDOW,
    }
    // As many entries per frame as the MCU's frame size allows.
    let first = 0
    do {
      let n = Math.max(1, this.rows.length - first)
      while (
        n > 1 &&
        encodeWire({ ...base, first, entries: this.entries(first, n) }).length > this.mcuMaxFrame
      )
        n--
      this.send({ ...base, first, entries: this.entries(first, n) })
      first += n
    } while (first < this.rows.length)
  }

  private entries(first: number, n: number) {
    return this.rows.slice(first, first + n).map((r) => r.entry)
  }

  private resyncProperties(device: AstarteDevice): void {
    for (const p of device.properties({ ownership: 'server' })) {
      this.forward({
        type: 'individual',
        interfaceName: p.interfaceName,
        path: p.path,
        value: p.value,
      })
    }
  }

  private forward(m: ServerMessage): void {
    const found = targetOf(this.rows, m.interfaceName, m.path)
    if (found === undefined) return
    const { target, row } = found
    if (m.type === 'unset') {
      this.tx.send({ type: 'serverData', target })
      return
    }
    let value: CborValue
    if (m.type === 'object' && 'fields' in row.entry) {
      const obj = m.value as AstarteObjectValue
      value = new Map(
        row.mappings.flatMap((mp, i): [number, CborValue][] => {
          const v = obj[mp.endpoint.slice(mp.endpoint.lastIndexOf('/') + 1)]
          return v === undefined ? [] : [[i, valueToWire(mp.type, v)]]
        }),
      )
    } else value = valueToWire(row.mappings[0]!.type, m.value as AstarteValue)
    this.tx.send({ type: 'serverData', target, value })
  }
}

class SampleRefusal extends Refusal {
  constructor(
    r: Refusal,
    readonly sample: number,
  ) {
    super(r.reason, r.detail)
  }
}

function objectFromWire(row: Row, v: CborValue, path: string): AstarteObjectValue | Refusal {
  if (!(v instanceof Map))
    return new Refusal(NackReason.typeMismatch, `${path}: an object needs a map of field indexes`)
  const out: Record<string, AstarteValue> = {}
  for (const [k, x] of v) {
    const mapping = row.mappings[k]
    if (mapping === undefined)
      return new Refusal(
        NackReason.typeMismatch,
        `${path}: no field ${k} (${row.mappings.length} fields)`,
      )
    const name = mapping.endpoint.slice(mapping.endpoint.lastIndexOf('/') + 1)
    const value = valueFromWire(mapping, x, `${path}/${name}`)
    if (value instanceof Refusal) return value
    out[name] = value
  }
  for (const mp of row.mappings) {
    const name = mp.endpoint.slice(mp.endpoint.lastIndexOf('/') + 1)
    if (mp.required && out[name] === undefined)
      return new Refusal(NackReason.typeMismatch, `${path}: required field ${name} missing`)
  }
  return out
}
