/**
 * @module fleet lean client: one MQTT 3.1.1 session over mutual TLS for a simulated device —
 * sdk-core's packet codec on a `node:tls` socket, with no timers of its own (the fleet's one
 * ticker calls `tick`) and no per-message closures, so thousands of them fit in a small heap.
 * Acknowledgement = PUBACK (QoS 1), PUBCOMP (QoS 2) or SUBACK. Times are `performance.now()`
 * milliseconds (monotonic), as the fleet passes them.
 */
import { connect, type SecureContext, type TLSSocket } from 'node:tls'
import { isIP } from 'node:net'
import {
  NEED_MORE,
  PacketDecoder,
  SdkError,
  assertNever,
  encodePacket,
  type Packet,
  type PublishPacket,
} from '@astarte-ts/sdk-core'
import type { BrokerTrust } from './broker-trust.js'

/** Callbacks of one client; the fleet's device object implements them. */
export interface LeanClientHandler {
  connected(sessionPresent: boolean): void
  /** A publish (QoS ≥ 1) or subscribe was acknowledged; `sentMs` is when it was written. */
  acknowledged(packetId: number, sentMs: number): void
  /**
   * The session ended; `reason` names why when it wasn't asked for, and `unacknowledged` lists
   * the packet ids still in flight, which are now lost (no retransmission in a simulation).
   */
  closed(reason: CloseReason | undefined, unacknowledged: readonly number[]): void
}

export type CloseReason =
  | 'connect_failed'
  | 'certificate_rejected'
  | 'connack_refused'
  | 'connection_lost'
  | 'keepalive_timeout'
  | 'protocol_error'
  | 'broker_untrusted'

export interface LeanClientOptions {
  readonly host: string
  readonly port: number
  readonly secureContext: SecureContext
  readonly clientId: string
  readonly keepaliveSec: number
  /** Development switch: don't check the broker's certificate. */
  readonly ignoreTlsErrors: boolean
  /** Verifies the broker against a fleet-wide CA; the platform's roots when absent. */
  readonly trust: BrokerTrust | undefined
}

// spec §3.1: brokers give device sessions max_message_size 65 535.
const MAX_FRAME_BYTES = 65_535 + 16
const PINGREQ = encodePacket({ type: 'pingreq' })
const DISCONNECT = encodePacket({ type: 'disconnect' })
// TLS alerts that mean "your certificate was refused" (RFC 8446 §6.2).
const CERTIFICATE_ALERT =
  /alert (bad certificate|unknown ca|certificate (revoked|expired|unknown))|certificate required/i

export class LeanClient {
  private socket: TLSSocket | undefined
  private readonly decoder = new PacketDecoder({ maxFrameBytes: MAX_FRAME_BYTES })
  /** packet id → write time, for publishes and subscribes awaiting their acknowledgement. */
  private readonly inflight = new Map<number, number>()
  private nextId = 1
  private lastWriteMs = 0
  private lastReadMs = 0
  private isConnected = false
  private closing = false

  constructor(
    private readonly options: LeanClientOptions,
    private readonly handler: LeanClientHandler,
  ) {}

  get connected(): boolean {
    return this.isConnected
  }

  get inflightCount(): number {
    return this.inflight.size
  }

  /** Opens TLS and sends CONNECT with `clean: false` (spec §3.4). */
  open(nowMs: number): void {
    const { host, port, secureContext, ignoreTlsErrors, trust } = this.options
    const servername = isIP(host) === 0 ? { servername: host } : {}
    // With a fleet CA, OpenSSL accepts any chain and `trust` decides right after the handshake.
    const rejectUnauthorized = !ignoreTlsErrors && trust === undefined
    const socket = connect({ host, port, secureContext, rejectUnauthorized, ...servername })
    // Small, latency-measured packets: Nagle + delayed ACK would add up to 40 ms to each.
    socket.setNoDelay(true)
    this.socket = socket
    this.lastReadMs = nowMs
    socket.once('secureConnect', () => {
      if (!ignoreTlsErrors && trust !== undefined && !trust.verify(socket, host, Date.now())) {
        this.fail('broker_untrusted')
        return
      }
      const { clientId, keepaliveSec: keepalive } = this.options
      // spec §3.4: clean false, so the broker keeps the session across reconnections.
      const connect: Packet = { type: 'connect', clientId, clean: false, keepalive }
      this.write(encodePacket(connect), performance.now())
    })
    socket.on('data', (chunk: Buffer) => this.receive(chunk))
    socket.once('error', (e: Error) => this.fail(this.classify(e)))
    socket.once('close', () => this.fail(this.isConnected ? 'connection_lost' : 'connect_failed'))
  }

  /** Returns the packet id (0 for QoS 0), or -1 when not connected. */
  publish(topic: string, payload: Uint8Array, qos: 0 | 1 | 2, nowMs: number): number {
    if (!this.isConnected) return -1
    const packetId = qos === 0 ? 0 : this.allocateId(nowMs)
    // spec §3.2: retain is always false.
    const p: PublishPacket = {
      type: 'publish',
      topic,
      payload,
      qos,
      packetId,
      dup: false,
      retain: false,
    }
    this.write(encodePacket(p), nowMs)
    return packetId
  }

  subscribe(filters: readonly string[], qos: 0 | 1 | 2, nowMs: number): number {
    if (!this.isConnected) return -1
    const packetId = this.allocateId(nowMs)
    const subscriptions = filters.map((topic) => ({ topic, qos }))
    this.write(encodePacket({ type: 'subscribe', packetId, subscriptions }), nowMs)
    return packetId
  }

  /** Keepalive: ping when idle; give up after 1.5× the interval without a byte [MQTT-3.1.2-24]. */
  tick(nowMs: number): void {
    if (!this.isConnected) return
    const intervalMs = this.options.keepaliveSec * 1000
    if (nowMs - this.lastReadMs > intervalMs * 1.5) {
      this.fail('keepalive_timeout')
      return
    }
    if (nowMs - this.lastWriteMs >= intervalMs) this.write(PINGREQ, nowMs)
  }

  /** Sends DISCONNECT and closes; `closed(undefined)` follows. */
  close(): void {
    if (this.socket === undefined || this.closing) return
    this.closing = true
    if (this.isConnected) this.socket.end(DISCONNECT)
    else this.socket.destroy()
  }

  private allocateId(nowMs: number): number {
    // Never reuse an id still in flight (at most 65 535 are).
    while (this.inflight.has(this.nextId)) this.nextId = (this.nextId % 65_535) + 1
    const id = this.nextId
    this.nextId = (this.nextId % 65_535) + 1
    this.inflight.set(id, nowMs)
    return id
  }

  private write(bytes: Uint8Array, nowMs: number): void {
    this.lastWriteMs = nowMs
    this.socket?.write(bytes)
  }

  private classify(e: Error): CloseReason {
    if (CERTIFICATE_ALERT.test(e.message)) return 'certificate_rejected'
    return this.isConnected ? 'connection_lost' : 'connect_failed'
  }

  private fail(reason: CloseReason): void {
    const socket = this.socket
    if (socket === undefined) return
    this.socket = undefined
    this.isConnected = false
    const unacknowledged = [...this.inflight.keys()]
    this.inflight.clear()
    socket.destroy()
    this.handler.closed(this.closing ? undefined : reason, unacknowledged)
  }

  private receive(chunk: Buffer): void {
    const nowMs = performance.now()
    this.lastReadMs = nowMs
    this.decoder.push(chunk)
    try {
      for (let p = this.decoder.next(); p !== NEED_MORE; p = this.decoder.next()) {
        this.handlePacket(p, nowMs)
        if (this.socket === undefined) return
      }
    } catch (e) {
      if (!(e instanceof SdkError)) throw e
      this.fail('protocol_error')
    }
  }

  private handlePacket(p: Packet, nowMs: number): void {
    switch (p.type) {
      case 'connack':
        if (p.returnCode !== 0) {
          // [MQTT-3.2.2.3] 4 bad user name or password, 5 not authorized: the identity was refused.
          const refused = p.returnCode === 4 || p.returnCode === 5
          this.fail(refused ? 'certificate_rejected' : 'connack_refused')
          return
        }
        this.isConnected = true
        this.handler.connected(p.sessionPresent)
        return
      case 'puback':
      case 'pubcomp':
      case 'suback':
        return this.settle(p.packetId)
      case 'pubrec':
        return this.write(encodePacket({ type: 'pubrel', packetId: p.packetId }), nowMs)
      case 'publish':
        return this.answerIncoming(p, nowMs)
      case 'pubrel':
        return this.write(encodePacket({ type: 'pubcomp', packetId: p.packetId }), nowMs)
      case 'pingresp':
      case 'unsuback':
        return
      case 'connect':
      case 'subscribe':
      case 'unsubscribe':
      case 'pingreq':
      case 'disconnect':
        // Client-to-server packets coming from the broker [MQTT-4.8.0-1].
        return this.fail('protocol_error')
      default:
        return assertNever(p)
    }
  }

  private settle(id: number): void {
    const sentMs = this.inflight.get(id)
    if (sentMs === undefined) return
    this.inflight.delete(id)
    this.handler.acknowledged(id, sentMs)
  }

  /** Server messages are acknowledged and dropped: a simulated device only produces data. */
  private answerIncoming(p: PublishPacket, nowMs: number): void {
    if (p.qos === 0) return
    const type = p.qos === 1 ? 'puback' : 'pubrec'
    this.write(encodePacket({ type, packetId: p.packetId }), nowMs)
  }
}
