/**
 * @module fleet session link: sdk-core's `MqttSession` (sans-I/O MQTT 3.1.1) over one `node:tls`
 * connection at a time, for one simulated device. The session outlives its connections (clean
 * false, spec §3.4): packet ids, the in-flight window and what is still unacknowledged carry over
 * to the next connection, whose CONNACK decides their fate. The link arms no timer of its own:
 * the fleet's one ticker calls `tick`, which feeds the session its keepalive deadline once due.
 * Times are `performance.now()` milliseconds (monotonic), as the fleet passes them.
 */
import { isIP } from 'node:net'
import { connect, type SecureContext, type TLSSocket } from 'node:tls'
import {
  MqttSession,
  SdkError,
  assertNever,
  type SessionAction,
  type SessionEvent,
  type SessionInput,
} from '@astarte-ts/sdk-core'
import { classifyConnectError } from '@astarte-ts/runtime-node'
import type { BrokerTrust } from './broker-trust.js'

/** Callbacks of one link; the fleet's device object implements them. */
export interface SessionLinkHandler {
  /** CONNACK accepted the connection. */
  connected(sessionPresent: boolean): void
  /** QoS 1: PUBACK came; QoS 2: PUBCOMP came; QoS 0: the publish was written. */
  published(opId: number): void
  subscribed(opId: number): void
  /**
   * The connection is over, once per `open`. `error` says why when `close` did not ask for it:
   * `remote.certificate_rejected` (a TLS alert or CONNACK 4/5 refused our identity),
   * `remote.connect_failed`, `remote.broker_untrusted`, or the session's `remote.mqtt_*` code.
   */
  closed(error: SdkError | undefined): void
}

/** What every device's link shares. */
export interface BrokerLink {
  readonly host: string
  readonly port: number
  readonly keepaliveSec: number
  /** Development switch: don't check the broker's certificate. */
  readonly ignoreTlsErrors: boolean
  /** Verifies the broker against a fleet-wide CA; the platform's roots when absent. */
  readonly trust: BrokerTrust | undefined
}

// spec §3.1: brokers give device sessions max_message_size 65 535.
const MAX_FRAME_BYTES = 65_535 + 16

export class SessionLink {
  private readonly session = new MqttSession({ maxFrameBytes: MAX_FRAME_BYTES })
  private socket: TLSSocket | undefined
  /** The session's last `timer.set`; infinite when none is pending. */
  private timerAtMs = Number.POSITIVE_INFINITY
  /** The socket's own failure: it says more than the session's "connection lost". */
  private socketError: unknown
  /** This connection got its CONNACK. */
  private accepted = false
  private closing = false

  constructor(
    private readonly broker: BrokerLink,
    private readonly clientId: string,
    private readonly handler: SessionLinkHandler,
  ) {}

  /** Opens TLS with the device's key and certificate, then sends CONNECT (clean false). */
  open(secureContext: SecureContext): void {
    const { host, port, ignoreTlsErrors, trust } = this.broker
    const servername = isIP(host) === 0 ? { servername: host } : {}
    // With a fleet CA, OpenSSL accepts any chain and `trust` decides right after the handshake.
    const rejectUnauthorized = !ignoreTlsErrors && trust === undefined
    const socket = connect({ host, port, secureContext, rejectUnauthorized, ...servername })
    // Small, latency-measured packets: Nagle + delayed ACK would add up to 40 ms to each.
    socket.setNoDelay(true)
    this.socket = socket
    this.socketError = undefined
    this.accepted = false
    this.closing = false
    socket.once('secureConnect', () => {
      if (socket !== this.socket) return
      if (!ignoreTlsErrors && trust !== undefined && !trust.verify(socket, host, Date.now())) {
        const message = `couldn't trust the broker ${host}:${port}: its chain doesn't reach the ca`
        this.end(new SdkError('remote.broker_untrusted', message, { ctx: { host, port } }))
        return
      }
      const { clientId, broker } = this
      // spec §3.4: clean false, so the broker keeps the session across reconnections.
      const options = { clientId, clean: false, keepaliveSec: broker.keepaliveSec }
      this.feed({ type: 'connect', options }, performance.now())
    })
    socket.on('data', (chunk: Buffer) => {
      if (socket === this.socket) this.feed({ type: 'bytes', data: chunk }, performance.now())
    })
    socket.once('error', (e: Error) => {
      this.socketError ??= e
    })
    socket.once('close', () => {
      if (socket === this.socket) this.transportClosed()
    })
  }

  /** Queues a publish; it goes out now when connected and the window has room, else later. */
  publish(topic: string, payload: Uint8Array, qos: 0 | 1 | 2, opId: number, nowMs: number): void {
    // spec §3.2: retain is always false.
    this.feed({ type: 'publish', topic, payload, qos, retain: false, opId }, nowMs)
  }

  subscribe(filters: readonly string[], qos: 0 | 1 | 2, opId: number, nowMs: number): void {
    const subscriptions = filters.map((topic) => ({ topic, qos }))
    this.feed({ type: 'subscribe', subscriptions, opId }, nowMs)
  }

  /** Feeds the session its timer once the deadline it asked for has come. */
  tick(nowMs: number): void {
    if (nowMs < this.timerAtMs) return
    this.timerAtMs = Number.POSITIVE_INFINITY
    this.feed({ type: 'timer' }, nowMs)
  }

  /** Says goodbye with DISCONNECT when connected and closes; `closed(undefined)` follows. */
  close(): void {
    if (this.socket === undefined || this.closing) return
    this.closing = true
    if (this.session.state === 'idle') this.end(undefined)
    else this.feed({ type: 'disconnect' }, performance.now())
  }

  private feed(input: SessionInput, nowMs: number): void {
    this.perform(this.session.handle(input, nowMs))
  }

  /** Writes first, then events: a handler that feeds the session again queues after them. */
  private perform(actions: SessionAction[]): void {
    let events: SessionEvent[] | undefined
    for (const a of actions) {
      switch (a.type) {
        case 'write':
          this.socket?.write(a.bytes)
          break
        case 'timer.set':
          this.timerAtMs = a.atMs
          break
        case 'event':
          if (events === undefined) events = [a.event]
          else events.push(a.event)
          break
        default:
          assertNever(a)
      }
    }
    // The session holds on to the array it returned until its next input, about a second later
    // here: emptied now, its actions die young instead of filling the old generation (measured:
    // ~20 MB more heap for 1 000 devices at 1 msg/s).
    actions.length = 0
    if (events !== undefined) for (const e of events) this.dispatch(e)
  }

  private dispatch(e: SessionEvent): void {
    switch (e.type) {
      case 'connected':
        this.accepted = true
        return this.handler.connected(e.sessionPresent)
      case 'published':
        return this.handler.published(e.opId)
      case 'subscribed':
        return this.handler.subscribed(e.opId)
      case 'message':
      case 'unsubscribed':
        // A simulated device only produces data; the session has acknowledged the message.
        return
      case 'closed':
        return this.end(this.closing ? undefined : this.reason(e.error))
      default:
        return assertNever(e)
    }
  }

  /** The socket ended first: the session learns it (if it had begun) and the handler hears why. */
  private transportClosed(): void {
    const where = { host: this.broker.host, port: this.broker.port }
    if (this.session.state === 'idle') {
      return this.end(this.closing ? undefined : classifyConnectError(this.socketError, where))
    }
    // The session answers with its `closed` event, which ends the link.
    this.feed({ type: 'closed', error: this.socketError }, performance.now())
  }

  /**
   * The most useful reason: a certificate the broker refused (TLS alert, or CONNACK 4 or 5,
   * which judge the certificate's CN) calls for new credentials; a connection that never got
   * its CONNACK failed to connect; a connected one that dropped says so in the session's code.
   */
  private reason(error: SdkError | undefined): SdkError | undefined {
    const where = { host: this.broker.host, port: this.broker.port }
    if (error?.code === 'remote.mqtt_connection_refused') {
      return classifyConnectError({ code: error.ctx['returnCode'] }, where)
    }
    if (error?.code !== 'remote.mqtt_connection_lost') return error
    const transport = classifyConnectError(this.socketError, where)
    return transport.code === 'remote.certificate_rejected' || !this.accepted ? transport : error
  }

  private end(error: SdkError | undefined): void {
    const socket = this.socket
    if (socket === undefined) return
    this.socket = undefined
    this.timerAtMs = Number.POSITIVE_INFINITY
    // After DISCONNECT (written just before) the broker closes too; otherwise cut it now.
    if (this.closing && error === undefined) socket.end()
    else socket.destroy()
    this.handler.closed(error)
  }
}
