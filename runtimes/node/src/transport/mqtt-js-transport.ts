/**
 * @module mqtt.js transport: `MqttTransport` over MQTT.js 5, MQTT 3.1.1 on mutual TLS (spec §3.1).
 * One client per `connect`; MQTT.js never reconnects or resubscribes on its own (the core does).
 * Every promise settles: in-flight publishes and subscriptions reject when the connection ends,
 * because a client that will never reconnect would otherwise keep them pending forever.
 * Packet ids never repeat while in flight (MQTT.js's default allocator wraps onto them): when all
 * 65 535 are in flight, further publishes wait in MQTT.js's queue until an id is freed.
 * QoS 2 messages left in flight by a dropped connection are completed on the resumed session with
 * their original ids, and the core's re-publish of the same message waits for that completion
 * instead of sending a second copy the broker would take for a new message ([MQTT-4.4.0-1]). When
 * the broker lost the session, those it had acknowledged with PUBREC are not sent again either.
 */
import { isIP } from 'node:net'
import mqtt from 'mqtt'
import type { IClientOptions, MqttClient } from 'mqtt'
import { SdkError } from '@astarte-ts/sdk-core'
import type {
  Logger,
  MqttConnectOptions,
  MqttTransport,
  MqttTransportEvents,
} from '@astarte-ts/sdk-core'
import { classifyConnectError } from './classify-connect-error.js'
import { RollingMessageIdProvider } from './rolling-message-id-provider.js'
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

const notConnected = (): SdkError =>
  new SdkError('local.not_connected', "couldn't send: the MQTT connection is not open")

function clientOptions(
  o: MqttConnectOptions,
  connectTimeout: number,
  ids: RollingMessageIdProvider,
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
 * hold). Fixed header 0x62 = PUBREL with its mandatory flags 0010 [MQTT-3.6.1-1].
 */
function writePubrel(client: MqttClient, id: number): void {
  client.stream.write(Buffer.from([0x62, 0x02, id >> 8, id & 0xff]))
}

/** A QoS 2 PUBLISH sent on a connection, kept until its PUBCOMP. */
interface Qos2Publish {
  readonly topic: string
  readonly payload: Buffer
  /** PUBREC came: the broker owns the message, only the release is left. */
  pubrec: boolean
}

/** A QoS 2 message of a dropped connection, completed on the resumed session. */
interface Replay extends Qos2Publish {
  readonly id: number
  done: boolean
  /** The core published it again and waits in `waiters`. */
  claimed: boolean
  readonly waiters: Array<() => void>
}

/**
 * [MQTT-4.4.0-1] the unacknowledged PUBLISH again, same packet id, DUP set: fixed header 0x3c =
 * PUBLISH, DUP, QoS 2, no retain [MQTT-3.3.1-1].
 */
function writeDupPublish(client: MqttClient, id: number, message: Qos2Publish): void {
  const topic = Buffer.from(message.topic, 'utf8')
  let length = 2 + topic.length + 2 + message.payload.length
  const header = [0x3c]
  do {
    const byte = length % 128
    length = Math.floor(length / 128)
    header.push(length > 0 ? byte | 0x80 : byte)
  } while (length > 0)
  const size = Buffer.from([topic.length >> 8, topic.length & 0xff])
  const packetId = Buffer.from([id >> 8, id & 0xff])
  client.stream.write(Buffer.concat([Buffer.from(header), size, topic, packetId, message.payload]))
}

/** One MQTT.js client and what its close handler needs to know. */
interface Connection {
  readonly client: MqttClient
  /** `end()` was called, or connect failed: the close is not a loss to report. */
  ending: boolean
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
  /** Rejecters of every publish/subscribe/unsubscribe awaiting the broker. */
  readonly #pending = new Set<(e: SdkError) => void>()

  constructor(options: MqttJsTransportOptions = {}) {
    this.#logger = options.logger
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
  }

  connect(
    options: MqttConnectOptions,
    events: MqttTransportEvents,
  ): Promise<{ readonly sessionPresent: boolean }> {
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
    const unfinished = options.clean ? [] : this.#unfinished
    const carried = options.clean ? new Map<number, Qos2Publish>() : this.#carried
    this.#unfinished = []
    this.#carried = new Map()
    this.#replays = []
    ids.reserve(unfinished)
    // QoS 2 publishes of this connection by packet id, until their PUBCOMP
    const sent = new Map<number, Qos2Publish>()
    let client: MqttClient
    try {
      client = mqtt.connect(clientOptions(options, this.#connectTimeoutMs, ids))
    } catch (cause) {
      // node:tls refuses unusable key material synchronously (e.g. key and certificate mismatch).
      return Promise.reject(classifyConnectError(cause, where))
    }
    const conn: Connection = { client, ending: false }
    this.#conn = conn
    let connected = false
    let firstError: unknown
    return new Promise((resolve, reject) => {
      client.on('connect', (connack) => {
        connected = true
        if (connack.sessionPresent) this.#resume(client, unfinished, carried, sent)
        else this.#forget(unfinished, carried, ids)
        resolve({ sessionPresent: connack.sessionPresent })
      })
      client.on('packetsend', (packet) => {
        if (packet.cmd !== 'publish' || packet.qos !== 2 || packet.messageId === undefined) return
        const { payload } = packet
        const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload)
        sent.set(packet.messageId, { topic: packet.topic, payload: bytes, pubrec: false })
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
        for (const settle of replay.waiters.splice(0)) settle()
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
        const bytes = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength)
        events.message(topic, bytes, packet.qos)
      })
      client.once('close', () => {
        if (this.#conn === conn) this.#conn = undefined
        if (connected && !options.clean) {
          const replaying = this.#replays.filter((r) => !r.done).map((r) => r.id)
          this.#unfinished = [...ids.inFlight(), ...replaying]
          this.#carried = sent
        }
        client.removeAllListeners('message')
        if (!connected) {
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

  publish(topic: string, payload: Uint8Array, qos: 0 | 1 | 2): Promise<void> {
    const replay = qos === 2 ? this.#claimReplay(topic, payload) : undefined
    if (replay !== undefined) return this.#awaitReplay(replay)
    // the hot path: one promise and one MQTT.js callback per message, no other closure
    const client = this.#conn?.client
    if (client === undefined || !client.connected) return Promise.reject(notConnected())
    return new Promise<void>((resolve, reject) => {
      this.#pending.add(reject)
      try {
        // Copied: MQTT.js keeps the buffer until PUBACK/PUBCOMP and may retransmit it.
        client.publish(topic, Buffer.from(payload), PUBLISH_OPTIONS[qos], (e) => {
          this.#pending.delete(reject)
          if (e === null || e === undefined) resolve()
          else {
            const ctx = { topic, qos }
            reject(new SdkError('remote.publish_failed', "couldn't publish", { ctx, cause: e }))
          }
        })
      } catch (cause) {
        this.#pending.delete(reject)
        reject(new SdkError('local.invalid_argument', "couldn't publish", { cause }))
      }
    })
  }

  end(): Promise<void> {
    const conn = this.#conn
    if (conn === undefined) return Promise.resolve()
    conn.ending = true
    this.#abortPending(notConnected())
    const { client } = conn
    return new Promise((resolve) => {
      client.once('close', () => resolve())
      // A DISCONNECT when nothing is in flight; otherwise close now (the core re-sends).
      client.end(Object.keys(client.outgoing).length > 0)
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
   * On a resumed session: the QoS 2 messages the broker may hold go out again with their ids —
   * a PUBREL when it acknowledged them (PUBREC), else the PUBLISH with DUP — and the other ids
   * are released as before (a broker answers PUBCOMP even for ids it does not hold).
   */
  #resume(
    client: MqttClient,
    unfinished: readonly number[],
    carried: ReadonlyMap<number, Qos2Publish>,
    sent: Map<number, Qos2Publish>,
  ): void {
    for (const id of unfinished) {
      const message = carried.get(id)
      if (message === undefined || message.pubrec) writePubrel(client, id)
      else writeDupPublish(client, id, message)
      if (message === undefined) continue
      sent.set(id, { ...message })
      this.#replays.push({ ...message, id, done: false, claimed: false, waiters: [] })
    }
  }

  /**
   * The broker lost the session: every id is free again. A QoS 2 message it acknowledged with
   * PUBREC was received all the same, so the core's re-publish of it completes at once.
   */
  #forget(
    unfinished: readonly number[],
    carried: ReadonlyMap<number, Qos2Publish>,
    ids: RollingMessageIdProvider,
  ): void {
    for (const id of unfinished) {
      ids.release(id)
      const message = carried.get(id)
      if (message?.pubrec === true) {
        this.#replays.push({ ...message, id, done: true, claimed: false, waiters: [] })
      }
    }
  }

  /**
   * The first unclaimed replay of the same message, now claimed. Equal bytes on the same topic
   * are the same message for the broker, so which of two identical replays is taken is moot.
   */
  #claimReplay(topic: string, payload: Uint8Array): Replay | undefined {
    if (this.#replays.length === 0) return undefined
    const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
    const replay = this.#replays.find(
      (r) => !r.claimed && r.topic === topic && bytes.equals(r.payload),
    )
    if (replay !== undefined) replay.claimed = true
    return replay
  }

  #awaitReplay(replay: Replay): Promise<void> {
    if (replay.done) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const abort = (e: SdkError): void => reject(e)
      this.#pending.add(abort)
      replay.waiters.push(() => {
        this.#pending.delete(abort)
        resolve()
      })
    })
  }

  #abortPending(e: SdkError): void {
    for (const abort of this.#pending) abort(e)
    this.#pending.clear()
  }
}
