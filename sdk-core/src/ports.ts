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
 * timers and I/O callbacks (Node: `setImmediate`; XS: `Timer.set(fn)`; Espruino: a zero-delay
 * timer). The driver uses it to gather the sends of one tick into one store transaction.
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

/**
 * The part of the standard `AbortSignal` the SDK uses; every engine's `AbortSignal` (Node,
 * browsers, XS with its polyfill) is one.
 */
export interface AbortSignalLike {
  readonly aborted: boolean
  readonly reason?: unknown
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void
  removeEventListener(type: 'abort', listener: () => void): void
}

/** Options of one HTTP request. */
export interface HttpRequestOptions {
  /**
   * Abandons the request: its connection is closed and the promise rejects with the signal's
   * `reason` (an `SdkError` `local.aborted` on an engine whose signals have none), at once, also
   * when the signal is already aborted. A request that already got its answer is not affected.
   * Given by callers that can be stopped while they wait (a first-boot registration); the
   * driver's own Pairing requests carry none, so a chip's client may do without.
   */
  readonly signal?: AbortSignalLike
}

/**
 * Performs HTTP requests for the runtime (the core only describes them). Resolves with any status
 * the server answered; rejects with an `SdkError` when no answer came (`remote.http_timeout`,
 * `remote.connection_refused`, `remote.http_failed`, …) or on `options.signal`.
 */
export interface HttpClient {
  request(req: HttpRequest, options?: HttpRequestOptions): Promise<HttpResponse>
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
  /**
   * astarte-ts always connects with `clean: false` (spec §3.4). `true` asks the broker to
   * discard the session: CONNACK then says `sessionPresent: false` (see `resumed`).
   */
  readonly clean: boolean
  readonly certificatePem: string
  readonly privateKeyPem: string
  /** Trust anchors for the broker; the platform's defaults when absent. */
  readonly caPem?: string
  /** Development switch: skip broker certificate checks. */
  readonly ignoreTlsErrors: boolean
}

export interface MqttTransportEvents {
  /**
   * A server message, reported before it is acknowledged; a QoS 2 message once per packet id,
   * even when its exchange spans connections. Never acknowledged unreported: once `end()` began,
   * a message already read may still be reported (the ones of the same read, when `end()` was
   * called from this handler), any other is left unacknowledged for the next session.
   */
  message(topic: string, payload: Uint8Array, qos: 0 | 1 | 2): void
  /**
   * A `publish` of this connection completed: acknowledged (QoS 1 PUBACK, QoS 2 PUBCOMP) or
   * written (QoS 0), or failed with `error` (`remote.publish_failed`: the broker did not take
   * it). Reported once per publish, never after `close` (or `end()`): what is unreported then
   * went down with the connection (see `MqttTransport`).
   */
  published(publishId: number, error?: SdkError): void
  /**
   * The accepted connection ended (once; never for a `connect` that rejected). `error` says why
   * when it was not asked for: an `SdkError`, `remote.connection_lost` or a more specific
   * `remote.*` code (e.g. a keepalive timeout); absent after `end()`.
   */
  close(error?: unknown): void
}

/**
 * A publish of an earlier connection that the transport completes itself: the caller must not
 * publish it again. `completed` settles with the outcome `events.published` would have reported;
 * it rejects when this connection ends first (the publish is then resumed, or not, by the next
 * CONNACK as before).
 */
export interface ResumedPublish {
  readonly publishId: number
  readonly completed: Promise<void>
}

/** What CONNACK said, and what the transport carries over from the last connection. */
export interface MqttConnected {
  /**
   * CONNACK's flag: `true`, the broker kept the session (subscriptions, QoS 1/2 state, messages
   * queued for us) and the caller may skip the full sync of spec §3.4; `false`, it has none
   * (first connection, `clean: true`, or a broker that forgot): the caller syncs again, and the
   * transport forgets the incoming QoS 2 ids of the old session.
   */
  readonly sessionPresent: boolean
  /**
   * Publishes of earlier connections (unreported when they ended) that this connection
   * completes, oldest first. On a present session the transport re-sends them with their packet
   * ids [MQTT-4.4.0-1] (PUBLISH with DUP, or PUBREL past PUBREC): at least every QoS 2 one, which
   * a new copy would make a second message. On a lost session only the QoS 2 publishes the
   * broker acknowledged with PUBREC (it owns them [MQTT-4.3.3]), `completed` at once: nothing
   * else of the old session is sent again, since the caller re-publishes it. Absent: none.
   */
  readonly resumed?: readonly ResumedPublish[]
}

/**
 * An MQTT 3.1.1 client over mutual TLS as the runtime provides it: MQTT.js on Node, or
 * sdk-core's `SessionTransport` (an `MqttSession` over a {@link ByteStreamConnector}). Its
 * contract, proven on every implementation by `describeTransportContract` (runtime-testing):
 *
 * - **Connect failures** reject `connect` with an `SdkError`. `remote.certificate_rejected` when
 *   the broker refused *our* certificate: a TLS alert it sent about it (bad, unknown, expired,
 *   revoked certificate, unknown CA, access denied, certificate required), or CONNACK 4 or 5
 *   (the certificate's CN is the identity, spec §3.1); also our key and certificate not matching.
 *   This is the code that makes a device renew its certificate (spec §4.5), so nothing else may
 *   use it. Every other failure is `remote.connect_failed` or a more specific `remote.*` code,
 *   among them `remote.tls_untrusted` (we don't trust the broker's certificate),
 *   `remote.connection_refused` (nothing listens), `remote.dns_failed` and
 *   `remote.connect_timeout`: a new certificate would not help with those. A second `connect`
 *   while connected rejects with `local.already_connected`. A connect that got no CONNACK
 *   neither resumes nor loses the session: what was carried over waits for the next one.
 * - **Publish outcome**: see `events.published`; `publish` throws `local.not_connected` outside
 *   an accepted connection.
 * - **A connection that dies**: `events.close` reports it; subscribe and unsubscribe promises
 *   still pending reject; publishes not yet reported are the caller's again: it publishes them
 *   anew on a later connection, except those the next CONNACK lists in `resumed`.
 * - **Order**: exchanges resumed after any number of connection losses are completed oldest
 *   first (in the order of their first `publish`) and go out before any newer publish: `resumed`
 *   lists them in that order, and their re-sends are written before `connect` resolves.
 */
export interface MqttTransport {
  connect(options: MqttConnectOptions, events: MqttTransportEvents): Promise<MqttConnected>
  /** Resolves at SUBACK; rejects `remote.subscribe_refused` when the broker refused a filter. */
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
  /** Says goodbye (DISCONNECT when it can) and resolves once the connection is closed. */
  end(): Promise<void>
}

/**
 * Where an `MqttSession` keeps what MQTT asks a `clean: false` client to keep [MQTT-3.1.2-4], so
 * that it outlives a reboot: numbered binary records, each put whole. Record 0 holds the incoming
 * QoS 2 ids awaiting PUBREL (u16 BE each); records 1, 2, … (numbered in first-send order) each a
 * QoS 1/2 publish in flight, as its PUBLISH packet: put before it is first written, put again
 * with DUP set (released) before its PUBREL, deleted at its final ack. So there are never more
 * records than the in-flight window holds, each one PUBLISH. Synchronous, like `Store`: a record
 * is durable when `put` returns. Never throws: a record it can't keep (too large, flash full) it
 * reports its own way and drops; that publish then behaves as without a store (after a reboot it
 * is re-published as a new message).
 */
export interface MqttSessionStore {
  /** Every record kept, in any order; read once, when the session is made. */
  load(): readonly (readonly [key: number, record: Uint8Array])[]
  /** Keeps `record` under `key`, replacing what was there; the bytes stay the caller's. */
  put(key: number, record: Uint8Array): void
  /** Forgets record `key`, if there is one. */
  delete(key: number): void
}

/** Where and how a {@link ByteStreamConnector} opens its TLS connection (spec §3.1). */
export interface ByteStreamOptions {
  readonly host: string
  readonly port: number
  /** Our client certificate and its key (mutual TLS). */
  readonly certificatePem: string
  readonly privateKeyPem: string
  /** Trust anchors for the broker; the platform's defaults when absent. */
  readonly caPem?: string
  /** Development switch: skip broker certificate checks. */
  readonly ignoreTlsErrors: boolean
}

/** What a byte stream reports; never from within a call of its own methods. */
export interface ByteStreamEvents {
  /** The TLS handshake completed and the broker's certificate passed our checks. */
  open(): void
  /** Bytes read, in order. */
  data(bytes: Uint8Array): void
  /**
   * The stream closed, once. Not asked for (`end()`), `error` says why: before `open`, coded as
   * `MqttTransport.connect` rejects (`remote.certificate_rejected` for an alert refusing our
   * certificate, `remote.tls_untrusted`, …); after it, `remote.connection_lost` or more specific.
   */
  close(error?: SdkError): void
}

/** An open (or opening) TLS byte stream. */
export interface ByteStream {
  /** Queues `bytes` after those written before; the caller never changes them afterwards. */
  write(bytes: Uint8Array): void
  /** Closes once what was written is flushed (at once while still opening); `close` follows. */
  end(): void
}

/**
 * The one network service an `MqttTransport` built on `MqttSession` needs from its host: a
 * mutual-TLS byte stream (Node: `node:tls`; XS and Espruino: their TLS sockets).
 */
export interface ByteStreamConnector {
  /** Starts connecting; throws an `SdkError` when it can't even start (then no event comes). */
  connect(options: ByteStreamOptions, events: ByteStreamEvents): ByteStream
}
