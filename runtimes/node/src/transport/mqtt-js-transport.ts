/**
 * @module mqtt.js transport: `MqttTransport` over MQTT.js 5, MQTT 3.1.1 on mutual TLS (spec §3.1).
 * One client per `connect`; MQTT.js never reconnects or resubscribes on its own (the core does).
 * Every promise settles: in-flight publishes and subscriptions reject when the connection ends,
 * because a client that will never reconnect would otherwise keep them pending forever.
 * Packet ids never repeat while in flight (MQTT.js's default allocator wraps onto them): when all
 * 65 535 are in flight, further publishes wait in MQTT.js's queue until an id is freed.
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
 * their inflight quota. The core re-sends its unacknowledged messages itself, so only the
 * release is owed: PUBREL for every id left in flight (a broker answers PUBCOMP even for ids it
 * does not hold). Fixed header 0x62 = PUBREL with its mandatory flags 0010 [MQTT-3.6.1-1].
 */
function completeUnfinished(client: MqttClient, unfinished: readonly number[]): void {
  for (const id of unfinished) client.stream.write(Buffer.from([0x62, 0x02, id >> 8, id & 0xff]))
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
    this.#unfinished = []
    ids.reserve(unfinished)
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
        if (connack.sessionPresent) completeUnfinished(client, unfinished)
        else for (const id of unfinished) ids.release(id)
        resolve({ sessionPresent: connack.sessionPresent })
      })
      client.on('packetreceive', (packet) => {
        if (packet.cmd !== 'pubcomp' || packet.messageId === undefined) return
        ids.release(packet.messageId)
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
        if (connected && !options.clean) this.#unfinished = ids.inFlight()
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
    return this.#call('publish', (client, done) =>
      // Copied: MQTT.js keeps the buffer until PUBACK/PUBCOMP and may retransmit it.
      client.publish(topic, Buffer.from(payload), { qos, retain: false }, (e) =>
        done(
          e === null || e === undefined
            ? undefined
            : new SdkError('remote.publish_failed', "couldn't publish", {
                ctx: { topic, qos },
                cause: e,
              }),
        ),
      ),
    )
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

  #abortPending(e: SdkError): void {
    for (const abort of this.#pending) abort(e)
    this.#pending.clear()
  }
}
