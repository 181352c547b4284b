/**
 * @module ports: the small types a runtime implements so that sdk-core never performs I/O.
 * Synchronous ports (store, zlib, clock, logger) are handed to the core at construction;
 * asynchronous work (MQTT, HTTP, key generation) is requested by the core as actions and its
 * outcome fed back as inputs. Adapters prove conformance with `satisfies`.
 */
import type { SdkError } from './errors.js'
import type { Ownership } from './interface/model.js'

/** Milliseconds since the Unix epoch. The core never reads a clock: runtimes pass `nowMs`. */
export interface Clock {
  now(): number
}

/**
 * Runs `fn` once, soon: after the current call stack and any promise jobs it queued, before
 * timers and I/O callbacks (Node: `setImmediate`; XS: `Timer.set(fn)`; Espruino: `setTimeout(fn,
 * 0)`). The driver uses it to gather the sends of one tick into one store transaction.
 */
export interface Scheduler {
  defer(fn: () => void): void
}

/** A host timer, as `Timers.set` returned it. Opaque to the core. */
export type TimerHandle = unknown

/**
 * One-shot host timers in relative milliseconds (`setTimeout`/`clearTimeout`). A delay may be
 * longer than the host's own limit (2^31-1 ms on most engines): the driver splits long ones.
 */
export interface Timers {
  set(fn: () => void, delayMs: number): TimerHandle
  clear(handle: TimerHandle): void
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** Structured logger. `ctx` never carries secrets (credentials secret, keys, JWTs). */
export interface Logger {
  log(level: LogLevel, message: string, ctx?: Readonly<Record<string, unknown>>): void
}

/** zlib (RFC 1950) for the purge-properties payloads (spec §3.6). */
export interface Inflater {
  /** Inflate a zlib stream; throw when it is malformed or would exceed `maxBytes`. */
  inflate(data: Uint8Array, maxBytes: number): Uint8Array
  /** Deflate at the default level (`78 9c …`). */
  deflate(data: Uint8Array): Uint8Array
}

/** A property value as cached by the device, kept as its BSON payload. */
export interface StoredProperty {
  readonly interfaceName: string
  /** The interface major the value belongs to: entries of another major are stale (spec §3.8). */
  readonly major: number
  readonly path: string
  readonly ownership: Ownership
  /** The `{"v": …}` BSON document as sent or received. */
  readonly payload: Uint8Array
}

export interface PropertyStore {
  get(interfaceName: string, path: string): StoredProperty | undefined
  set(property: StoredProperty): void
  delete(interfaceName: string, path: string): void
  /** Every cached property, optionally only those of one ownership. */
  list(ownership?: Ownership): StoredProperty[]
}

/** A publish waiting for the broker: `stored` retention on disk, `volatile` in memory. */
export interface QueuedMessage {
  /** Assigned by the queue; increasing in enqueue order. */
  readonly id: number
  readonly topic: string
  readonly payload: Uint8Array
  readonly qos: 0 | 1 | 2
  readonly createdMs: number
  /** Absolute expiry time, or `null` when the mapping's `expiry` is 0. */
  readonly expiresMs: number | null
}

export type NewQueuedMessage = Omit<QueuedMessage, 'id'>

export interface RetentionQueue {
  /** Appends a message; for a durable queue it is on disk when this returns. */
  enqueue(message: NewQueuedMessage): QueuedMessage
  /** Up to `limit` messages, oldest first, after dropping those expired at `nowMs`. */
  peek(limit: number, nowMs: number): QueuedMessage[]
  /** Forget a message the broker acknowledged (or that expired). */
  remove(id: number): void
  count(): number
}

/** Small string values the device keeps across restarts (last introspection, sync marker, …). */
export interface KeyValueStore {
  get(key: string): string | undefined
  set(key: string, value: string): void
  delete(key: string): void
}

/** Everything a device persists. Implementations: in-memory (testing), SQLite (node), flash. */
export interface Store {
  readonly properties: PropertyStore
  /** `stored` retention: durable. */
  readonly storedQueue: RetentionQueue
  /** `volatile` retention: memory only. */
  readonly volatileQueue: RetentionQueue
  readonly meta: KeyValueStore
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE'

export interface HttpRequest {
  readonly method: HttpMethod
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  /** JSON text, when there is a body. */
  readonly body?: string
}

export interface HttpResponse {
  readonly status: number
  readonly body: string
}

/** Performs HTTP requests for the runtime (the core only describes them). */
export interface HttpClient {
  request(req: HttpRequest): Promise<HttpResponse>
}

export type KeyAlgorithm = 'ec-p256' | 'rsa-2048'

/** What the core needs to know of a certificate (spec §4.5). */
export interface CertificateInfo {
  readonly subjectCommonName: string
  readonly notBeforeMs: number
  readonly notAfterMs: number
  readonly serialNumber: string
}

/** Key pairs, CSRs and certificate parsing for a runtime. Private keys never leave it as text in logs. */
export interface CryptoProvider {
  /** A fresh key pair and a PEM CSR with subject `CN=<commonName>` signed by it. */
  createKeyAndCsr(
    algorithm: KeyAlgorithm,
    commonName: string,
  ): Promise<{ readonly privateKeyPem: string; readonly csrPem: string }>
  parseCertificate(pem: string): CertificateInfo
}

/** Mutual-TLS material and broker address for one MQTT connection (spec §3.1). */
export interface MqttConnectOptions {
  readonly host: string
  readonly port: number
  /** `<realm>/<device_id>`. */
  readonly clientId: string
  readonly keepaliveSec: number
  /** astarte-ts always connects with `clean: false` (spec §3.4). */
  readonly clean: boolean
  readonly certificatePem: string
  readonly privateKeyPem: string
  /** Trust anchors for the broker; the platform's defaults when absent. */
  readonly caPem?: string
  /** Development switch: skip broker certificate checks. */
  readonly ignoreTlsErrors: boolean
}

export interface MqttTransportEvents {
  message(topic: string, payload: Uint8Array, qos: 0 | 1 | 2): void
  /**
   * A `publish` of this connection completed: acknowledged (QoS 1, 2) or written (QoS 0), or
   * failed with `error`. Reported once per publish, never after `close` (or `end()`): what is
   * unreported then went down with the connection.
   */
  published(publishId: number, error?: SdkError): void
  /** The connection ended; `error` says why when it was not asked for. */
  close(error?: unknown): void
}

/**
 * A publish of an earlier connection that the transport completes itself: the caller must not
 * publish it again. `completed` settles with the outcome `events.published` would have reported.
 */
export interface ResumedPublish {
  readonly publishId: number
  readonly completed: Promise<void>
}

/** What CONNACK said, and what the transport carries over from the last connection. */
export interface MqttConnected {
  readonly sessionPresent: boolean
  /**
   * [MQTT-4.4.0-1] QoS 2 publishes cut off by the loss of the last connection: on a present
   * session the transport re-sends them with their packet ids (PUBLISH with DUP, or PUBREL past
   * PUBREC); on a lost one it lists those the broker acknowledged with PUBREC (it has them).
   * Absent: none (the caller re-publishes all).
   */
  readonly resumed?: readonly ResumedPublish[]
}

/** An MQTT 3.1.1 client as the runtime provides it (MQTT.js on Node, a small core on XS). */
export interface MqttTransport {
  connect(options: MqttConnectOptions, events: MqttTransportEvents): Promise<MqttConnected>
  subscribe(filters: readonly string[], qos: 0 | 1 | 2): Promise<void>
  unsubscribe(filters: readonly string[]): Promise<void>
  /**
   * Starts a publish; its outcome comes as `events.published(publishId)` (a callback rather than
   * a promise: a send in flight then holds nothing of the transport's but MQTT's own state).
   * `publishId` names the message to the caller and across connections, for
   * `MqttConnected.resumed`. The payload is the transport's until the outcome (it may be sent
   * again). Throws an `SdkError` when it can't start (not connected, an argument the client
   * refuses); nothing is reported for it then.
   */
  publish(topic: string, payload: Uint8Array, qos: 0 | 1 | 2, publishId: number): void
  end(): Promise<void>
}
