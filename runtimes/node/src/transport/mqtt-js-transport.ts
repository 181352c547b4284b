/**
 * @module mqtt.js transport: `MqttTransport` over MQTT.js 5, MQTT 3.1.1 on mutual TLS (spec §3.1).
 * One client per `connect`; MQTT.js never reconnects or resubscribes on its own (the core does).
 * Every promise settles: in-flight subscriptions reject when the connection ends, because a client
 * that will never reconnect would otherwise keep them pending forever. Publishes report through
 * `events.published` while the connection lives; those it took down are never reported (the
 * close says it), so a publish keeps nothing but its MQTT.js callback until its ack.
 * Packet ids never repeat while in flight (MQTT.js's default allocator wraps onto them): when all
 * 65 535 are in flight, further publishes wait in MQTT.js's queue until an id is freed.
 * QoS 2 messages left in flight by a dropped connection are completed on the resumed session with
 * their original ids ([MQTT-4.4.0-1]), oldest first however many connections they span, and
 * reported in `resumed` (by the `publishId` they were
 * published with), so the core does not send a second copy the broker would take for a new
 * message. When the broker lost the session, those it had acknowledged with PUBREC are reported
 * as completed: it has them. Incoming QoS 2 messages past PUBREC wait for their PUBREL across
 * connections too (`SessionIncomingStore`).
 * Once `end()` started, a server message is neither reported nor acknowledged: the caller gave
 * the connection up and ignores its reports, and an acknowledged message is one the broker never
 * sends again. Unacknowledged, it comes back on the resumed session (a QoS 2 message past PUBREC
 * stays in the store for the PUBREL then). The DISCONNECT waits for the acks of messages already
 * reported, which MQTT.js writes right after reporting them [MQTT-3.14.4-2].
 */
import { isIP } from 'node:net'
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls'
import mqtt from 'mqtt'
import type { IClientOptions, MqttClient, StreamBuilder } from 'mqtt'
import { SdkError, encodePacket } from '@astarte-ts/sdk-core'
import type {
  Logger,
  MqttConnected,
  MqttConnectOptions,
  MqttTransport,
  MqttTransportEvents,
  ResumedPublish,
} from '@astarte-ts/sdk-core'
import { classifyConnectError } from './classify-connect-error.js'
import { RollingMessageIdProvider } from './rolling-message-id-provider.js'
import { SessionIncomingStore } from './session-incoming-store.js'
import type { IdCursor } from './rolling-message-id-provider.js'

export interface MqttJsTransportOptions {
  /** Receives the `ignoreTlsErrors` warning and connection notices. */
  readonly logger?: Logger
  /** Deadline for TCP + TLS + CONNACK; default 30 s. */
  readonly connectTimeoutMs?: number
}

const DEFAULT_CONNECT_TIMEOUT_MS = 30_000
// [MQTT-3.9.3] SUBACK return code 0x80 = failure (the broker's ACL refused the filter).
const SUBACK_FAILURE = 0x80

// MQTT.js copies its options: one object per QoS spares an allocation per message.
const PUBLISH_OPTIONS = [
  { qos: 0, retain: false },
  { qos: 1, retain: false },
  { qos: 2, retain: false },
] as const

/** Why MQTT.js must not acknowledge a message: it was not reported (see the module comment). */
const NOT_ACKED = new SdkError(
  'local.disconnecting',
  "couldn't take a message: the connection is ending, it is left to the next session",
)

const notConnected = (): SdkError =>
  new SdkError('local.not_connected', "couldn't send: the MQTT connection is not open")

function clientOptions(
  o: MqttConnectOptions,
  connectTimeout: number,
  ids: RollingMessageIdProvider,
  incomingStore: SessionIncomingStore,
): IClientOptions {
  return {
    host: o.host,
    port: o.port,
    protocol: 'mqtts',
    protocolVersion: 4,
    clean: o.clean,
    clientId: o.clientId,
    keepalive: o.keepaliveSec,
    cert: o.certificatePem,
    key: o.privateKeyPem,
    ...(o.caPem === undefined ? {} : { ca: o.caPem }),
    rejectUnauthorized: !o.ignoreTlsErrors,
    // spec §3.1: SNI = broker host (Astarte's ingress routes 8883 by SNI); never an IP (RFC 6066).
    ...(isIP(o.host) === 0 ? { servername: o.host } : {}),
    reconnectPeriod: 0,
    resubscribe: false,
    queueQoSZero: false,
    connectTimeout,
    messageIdProvider: ids,
    incomingStore,
    // MQTT.js would otherwise pre-build 65 536 two-byte buffers (mqtt-packet's number cache) on
    // the first packet of the process: tens of ms of a cold start, megabytes of heap for good.
    writeCache: false,
  }
}

/**
 * The TLS stream MQTT.js's own `mqtts` builder makes, minus its protocol table: `mqtt.connect`
 * loads the WebSocket and SOCKS transports (`ws`, `socks`) on the first connect, a large share
 * of a cold start that only ever speaks MQTT over TLS. Errors take the same path as there.
 */
function tlsStream(opts: IClientOptions): StreamBuilder {
  const verify = opts.rejectUnauthorized !== false
  return (client) => {
    const socket = tlsConnect(opts as ConnectionOptions)
    const onTlsError = (e: Error): void => {
      if (verify) client.emit('error', e)
      socket.end()
    }
    socket.on('error', onTlsError)
    socket.on('secureConnect', () => {
      if (verify && !socket.authorized) socket.emit('error', new Error('TLS not authorized'))
      else socket.removeListener('error', onTlsError)
    })
    return socket
  }
}

/** The filters a SUBACK refused (MQTT.js attaches the SUBACK to its error). */
function refusedFilters(filters: readonly string[], e: Error): string[] {
  const granted = (e as { packet?: { granted?: unknown } }).packet?.granted
  if (!Array.isArray(granted)) return []
  return filters.filter((_, i) => ((granted[i] as number) & SUBACK_FAILURE) !== 0)
}

/**
 * [MQTT-4.4.0-1] A resumed session must finish the QoS 2 exchanges of the previous connection,
 * or the broker keeps their ids (a new PUBLISH reusing one is taken for a duplicate and lost) and
 * their inflight quota. PUBREL releases one (a broker answers PUBCOMP even for ids it does not
 * hold). MQTT.js has no call for either packet: sdk-core's codec writes them.
 */
function writePubrel(client: MqttClient, id: number): void {
  client.stream.write(encodePacket({ type: 'pubrel', packetId: id }))
}

/** A QoS 2 PUBLISH sent on a connection, kept until its PUBCOMP. */
interface Qos2Publish {
  readonly topic: string
  readonly payload: Buffer
  /** The caller's name for it (`publish`'s `publishId`), reported when it is resumed. */
  readonly publishId: number | undefined
  /** PUBREC came: the broker owns the message, only the release is left. */
  pubrec: boolean
}

/** A QoS 2 exchange of a dropped connection, being completed on the resumed session. */
interface Replay {
  readonly id: number
  done: boolean
  /** Settles the reported completion (absent when the publish had no `publishId`). */
  readonly onDone?: () => void
}

/** [MQTT-4.4.0-1] the unacknowledged PUBLISH again, same packet id, DUP set [MQTT-3.3.1-1]. */
function writeDupPublish(client: MqttClient, id: number, message: Qos2Publish): void {
  const { topic, payload } = message
  const packet = { type: 'publish', topic, payload, qos: 2, dup: true, retain: false } as const
  client.stream.write(encodePacket({ ...packet, packetId: id }))
}

/** One MQTT.js client and what its close handler and publish callbacks need to know. */
interface Connection {
  readonly client: MqttClient
  readonly events: MqttTransportEvents
  /** `end()` was called, or connect failed: the close is not a loss to report. */
  ending: boolean
  /** QoS 0 publishes written past the socket's high-water mark, reported at its `drain`. */
  unwritten: number[]
  /** The socket is corked until the end of this tick (see `writeQos0`). */
  corked: boolean
}

function uncork(conn: Connection): void {
  conn.corked = false
  conn.client.stream.uncork()
}

/** Reports the QoS 0 publishes the socket took since it asked for a `drain`, in order. */
function reportUnwritten(conn: Connection): void {
  const ids = conn.unwritten
  conn.unwritten = []
  if (conn.ending || conn.client.stream.destroyed) return
  for (const publishId of ids) conn.events.published(publishId)
}

/**
 * A QoS 0 PUBLISH, written here rather than by MQTT.js, which keeps no state for one: its
 * callback per publish becomes a `drain` listener each once the socket buffers, quadratic to
 * remove when thousands wait. Reported as MQTT.js reports it, once written: at once while the
 * socket takes it under its high-water mark, otherwise at the next `drain`, with every one
 * waiting, in order. The writes of one tick go out together (one TLS write), as MQTT.js's own.
 * Once the connection is ending nothing is written (MQTT.js refuses it too): the close covers it.
 */
function writeQos0(conn: Connection, topic: string, payload: Uint8Array, publishId: number): void {
  const { client } = conn
  if (conn.ending || client.disconnecting) return
  const packet = encodePacket({
    type: 'publish',
    topic,
    payload,
    qos: 0,
    dup: false,
    retain: false,
    packetId: 0,
  })
  const stream = client.stream
  if (!conn.corked) {
    conn.corked = true
    stream.cork()
    process.nextTick(uncork, conn)
  }
  if (stream.write(packet) && conn.unwritten.length === 0) return conn.events.published(publishId)
  conn.unwritten.push(publishId)
  if (conn.unwritten.length === 1) stream.once('drain', () => reportUnwritten(conn))
}

/**
 * Reports one publish's outcome, unless the connection went down meanwhile: MQTT.js fails what
 * it flushes at the close (before its `close` event) and at `end()`, and the close covers those.
 */
function reportPublished(
  conn: Connection,
  publishId: number,
  topic: string,
  qos: 0 | 1 | 2,
  e: Error | undefined,
): void {
  if (conn.ending || conn.client.stream.destroyed) return
  if (e === null || e === undefined) return conn.events.published(publishId)
  const ctx = { topic, qos }
  conn.events.published(
    publishId,
    new SdkError('remote.publish_failed', "couldn't publish", { ctx, cause: e }),
  )
}

/** `MqttTransport` for Node. */
export class MqttJsTransport implements MqttTransport {
  readonly #logger: Logger | undefined
  readonly #connectTimeoutMs: number
  #conn: Connection | undefined
  readonly #ids: IdCursor = { last: 0 }
  /** Packet ids in flight when the last connection dropped; the broker session may hold them. */
  #unfinished: number[] = []
  /** The QoS 2 messages among them, to complete with their original ids. */
  #carried = new Map<number, Qos2Publish>()
  /** QoS 2 messages of the previous connection being completed on this one. */
  #replays: Replay[] = []
  /** Incoming QoS 2 messages awaiting their PUBREL, on whichever connection it comes. */
  readonly #incoming = new SessionIncomingStore()
  /** The live connection's `publishIds` (see `connect`). */
  #publishIds = new WeakMap<Buffer, number>()
  /** Rejecters of every subscribe/unsubscribe awaiting the broker. */
  readonly #pending = new Set<(e: SdkError) => void>()

  constructor(options: MqttJsTransportOptions = {}) {
    this.#logger = options.logger
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
  }

  connect(options: MqttConnectOptions, events: MqttTransportEvents): Promise<MqttConnected> {
    if (this.#conn !== undefined) {
      return Promise.reject(
        new SdkError(
          'local.already_connected',
          "couldn't connect: this transport is already connected",
        ),
      )
    }
    const where = { host: options.host, port: options.port }
    if (options.ignoreTlsErrors) {
      this.#logger?.log(
        'warn',
        'TLS CERTIFICATE CHECKS OF THE BROKER ARE DISABLED (ignoreTlsErrors): development only',
        where,
      )
    }
    const ids = new RollingMessageIdProvider(this.#ids)
    const held = { unfinished: this.#unfinished, carried: this.#carried }
    const unfinished = options.clean ? [] : held.unfinished
    const carried = options.clean ? new Map<number, Qos2Publish>() : held.carried
    this.#unfinished = []
    this.#carried = new Map()
    this.#replays = []
    ids.reserve(unfinished)
    // QoS 2 publishes of this connection by packet id, until their PUBCOMP
    const sent = new Map<number, Qos2Publish>()
    // the caller's publish ids by payload buffer (MQTT.js puts the very buffer in the packet)
    const publishIds = new WeakMap<Buffer, number>()
    this.#publishIds = publishIds
    let client: MqttClient
    try {
      if (options.clean) this.#incoming.clear()
      const opts = clientOptions(options, this.#connectTimeoutMs, ids, this.#incoming)
      client = new mqtt.MqttClient(tlsStream(opts), opts)
    } catch (cause) {
      // node:tls refuses unusable key material synchronously (e.g. key and certificate mismatch).
      return Promise.reject(classifyConnectError(cause, where))
    }
    const conn: Connection = { client, events, ending: false, unwritten: [], corked: false }
    this.#conn = conn
    // messages not reported: MQTT.js asks here before each PUBACK, and before the PUBCOMP that
    // would drop a QoS 2 message from the incoming store (an error skips both; the same object
    // as the `message` event's packet)
    const withheld = new WeakSet<object>()
    client.handleMessage = (packet, callback) =>
      callback(withheld.has(packet) ? NOT_ACKED : undefined)
    let connected = false
    let firstError: unknown
    return new Promise((resolve, reject) => {
      client.on('connect', (connack) => {
        connected = true
        if (!connack.sessionPresent) this.#incoming.clear()
        const resumed = connack.sessionPresent
          ? this.#resume(client, unfinished, carried, sent)
          : this.#forget(unfinished, carried, ids)
        resolve({ sessionPresent: connack.sessionPresent, resumed })
      })
      client.on('packetsend', (packet) => {
        if (packet.cmd !== 'publish' || packet.qos !== 2 || packet.messageId === undefined) return
        const { payload } = packet
        const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload)
        const publishId = publishIds.get(bytes)
        sent.set(packet.messageId, {
          topic: packet.topic,
          payload: bytes,
          publishId,
          pubrec: false,
        })
      })
      client.on('packetreceive', (packet) => {
        if (packet.messageId === undefined) return
        const id = packet.messageId
        const replay = this.#replays.find((r) => r.id === id && !r.done)
        if (packet.cmd === 'pubrec') {
          const out = sent.get(id)
          if (out !== undefined) out.pubrec = true
          // MQTT.js ignores acks of ids it did not send: the release of a replay is ours
          if (replay !== undefined) writePubrel(client, id)
        }
        if (packet.cmd !== 'pubcomp') return
        ids.release(id)
        sent.delete(id)
        if (replay === undefined) return
        replay.done = true
        replay.onDone?.()
      })
      client.on('error', (e) => {
        firstError ??= e
        // A refused CONNACK or a TLS alert: close now rather than at the connect timeout.
        if (!connected && !conn.ending) {
          conn.ending = true
          client.end(true)
        }
      })
      client.on('message', (topic, payload, packet) => {
        if (conn.ending) {
          withheld.add(packet)
          return
        }
        const bytes = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength)
        events.message(topic, bytes, packet.qos)
      })
      client.once('close', () => {
        if (this.#conn === conn) this.#conn = undefined
        if (connected && !options.clean) {
          this.#unfinished = this.#oldestFirst(ids, sent)
          this.#carried = sent
        }
        client.removeAllListeners('message')
        if (!connected) {
          // No CONNACK, no session resumed or lost: the unfinished exchanges wait for the next.
          this.#unfinished = held.unfinished
          this.#carried = held.carried
          reject(classifyConnectError(firstError ?? new Error('closed before CONNACK'), where))
          return
        }
        // A close the caller asked for is no loss, whatever was logged on the way.
        const lost = conn.ending
          ? undefined
          : new SdkError(
              'remote.connection_lost',
              `couldn't keep the connection to ${where.host}:${where.port}`,
              { ctx: where, cause: firstError },
            )
        this.#abortPending(lost ?? notConnected())
        events.close(lost)
      })
    })
  }

  subscribe(filters: readonly string[], qos: 0 | 1 | 2): Promise<void> {
    return this.#call('subscribe', (client, done) =>
      client.subscribe([...filters], { qos }, (e) => {
        if (e === null || e === undefined) return done()
        const refused = refusedFilters(filters, e)
        done(
          refused.length > 0
            ? new SdkError(
                'remote.subscribe_refused',
                "couldn't subscribe: the broker refused a filter",
                { ctx: { filters: refused }, cause: e },
              )
            : new SdkError('remote.subscribe_failed', "couldn't subscribe", {
                ctx: { filters },
                cause: e,
              }),
        )
      }),
    )
  }

  unsubscribe(filters: readonly string[]): Promise<void> {
    return this.#call('unsubscribe', (client, done) =>
      client.unsubscribe([...filters], (e) =>
        done(
          e === null || e === undefined
            ? undefined
            : new SdkError('remote.unsubscribe_failed', "couldn't unsubscribe", {
                ctx: { filters },
                cause: e,
              }),
        ),
      ),
    )
  }

  publish(topic: string, payload: Uint8Array, qos: 0 | 1 | 2, publishId: number): void {
    // the hot path: no promise; at QoS 1 and 2 one MQTT.js callback per message until its ack
    const conn = this.#conn
    if (conn === undefined || !conn.client.connected) throw notConnected()
    if (qos === 0) {
      try {
        return writeQos0(conn, topic, payload, publishId)
      } catch (cause) {
        throw new SdkError('local.invalid_argument', "couldn't publish", { cause })
      }
    }
    // A view, not a copy: MQTT.js keeps it until PUBACK/PUBCOMP and may retransmit it, so the
    // caller hands the bytes over until the outcome (the core makes fresh ones for every
    // publish and never writes them again).
    const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
    if (qos === 2) this.#publishIds.set(bytes, publishId)
    try {
      conn.client.publish(topic, bytes, PUBLISH_OPTIONS[qos], (e) =>
        reportPublished(conn, publishId, topic, qos, e),
      )
    } catch (cause) {
      throw new SdkError('local.invalid_argument', "couldn't publish", { cause })
    }
  }

  end(): Promise<void> {
    const conn = this.#conn
    if (conn === undefined) return Promise.resolve()
    conn.ending = true
    this.#abortPending(notConnected())
    const { client } = conn
    return new Promise((resolve) => {
      client.once('close', () => resolve())
      // Deferred: a message reported just before (the caller may disconnect from its handler)
      // gets its PUBACK written first; past the DISCONNECT nothing may be sent [MQTT-3.14.4-2].
      setImmediate(() => {
        // A DISCONNECT when nothing is in flight; otherwise close now (the core re-sends). Before
        // the CONNACK there is no session to leave: MQTT.js would queue the DISCONNECT behind it
        // and keep the socket open, so a broker that never answers would hold the stop until
        // the connect timeout.
        client.end(!client.connected || Object.keys(client.outgoing).length > 0)
      })
    })
  }

  #call(
    what: string,
    start: (client: MqttClient, done: (e?: SdkError) => void) => void,
  ): Promise<void> {
    const client = this.#conn?.client
    if (client === undefined || !client.connected) return Promise.reject(notConnected())
    return new Promise<void>((resolve, reject) => {
      const abort = (e: SdkError): void => reject(e)
      this.#pending.add(abort)
      try {
        start(client, (e) => {
          this.#pending.delete(abort)
          if (e === undefined) resolve()
          else reject(e)
        })
      } catch (cause) {
        this.#pending.delete(abort)
        reject(new SdkError('local.invalid_argument', `couldn't ${what}`, { cause }))
      }
    })
  }

  /**
   * On a resumed session: the QoS 2 messages the broker may hold go out again with their ids
   * (a PUBREL when it acknowledged them with PUBREC, else the PUBLISH with DUP), and the other
   * ids are released as before (a broker answers PUBCOMP even for ids it does not hold). Returns
   * the resumed publishes the caller named, completed at their PUBCOMP.
   */
  #resume(
    client: MqttClient,
    unfinished: readonly number[],
    carried: ReadonlyMap<number, Qos2Publish>,
    sent: Map<number, Qos2Publish>,
  ): ResumedPublish[] {
    const resumed: ResumedPublish[] = []
    for (const id of unfinished) {
      const message = carried.get(id)
      if (message === undefined || message.pubrec) writePubrel(client, id)
      else writeDupPublish(client, id, message)
      if (message === undefined) continue
      sent.set(id, { ...message })
      if (message.publishId === undefined) {
        this.#replays.push({ id, done: false })
        continue
      }
      const completed = new Promise<void>((resolve, reject) => {
        const abort = (e: SdkError): void => reject(e)
        this.#pending.add(abort)
        const onDone = (): void => {
          this.#pending.delete(abort)
          resolve()
        }
        this.#replays.push({ id, done: false, onDone })
      })
      // handled here too: a caller that ignores `resumed` must not meet an unhandled rejection
      completed.catch(() => undefined)
      resumed.push({ publishId: message.publishId, completed })
    }
    return resumed
  }

  /**
   * The broker lost the session: every id is free again. A QoS 2 message it acknowledged with
   * PUBREC was received all the same: reported as completed, so it is not published again.
   */
  #forget(
    unfinished: readonly number[],
    carried: ReadonlyMap<number, Qos2Publish>,
    ids: RollingMessageIdProvider,
  ): ResumedPublish[] {
    const resumed: ResumedPublish[] = []
    for (const id of unfinished) {
      ids.release(id)
      const message = carried.get(id)
      if (message?.pubrec === true && message.publishId !== undefined) {
        resumed.push({ publishId: message.publishId, completed: Promise.resolve() })
      }
    }
    return resumed
  }

  /**
   * The unfinished exchanges of a dead connection, oldest first, so that the next resume
   * completes them in the order they were first published, however many connections they span:
   * those this connection was completing for earlier ones, then its own QoS 2 publishes in send
   * order, then the other ids it had in flight (released, not resumed).
   */
  #oldestFirst(ids: RollingMessageIdProvider, sent: ReadonlyMap<number, Qos2Publish>): number[] {
    const replaying = this.#replays.filter((r) => !r.done).map((r) => r.id)
    const inFlight = new Set(ids.inFlight())
    const own = [...sent.keys()].filter((id) => inFlight.delete(id))
    return [...replaying, ...own, ...inFlight]
  }

  #abortPending(e: SdkError): void {
    for (const abort of this.#pending) abort(e)
    this.#pending.clear()
  }
}
