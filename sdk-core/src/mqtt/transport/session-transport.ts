/**
 * @module session transport: `MqttTransport` built on `MqttSession` over a host's TLS byte stream
 * (`ByteStreamConnector`) and timers: the transport of every runtime without an MQTT client of
 * its own (XS, Espruino), and a second one on Node. It keeps the session across connections and
 * maps it onto the transport contract written in `ports.ts`: publish ids ⇄ session op ids, the
 * publishes a connection carried over (resumed on a present session, oldest first; on a lost
 * one the session drops them and the caller publishes them again), keepalive and connect
 * deadlines, and connect failures coded as the contract says.
 * The actions of one session input are performed in order (a message is reported before its
 * acknowledgement is written). An event handler may call the transport at once: the session
 * takes that input then, but its actions wait until the batch being performed is done, so bytes
 * go out in the order the session decided them (the re-sends of a resumed session before
 * anything newer), and an `end()` from a handler says goodbye after the acknowledgements of the
 * messages already reported.
 */
import { SdkError } from '../../errors.js'
import type {
  ByteStream,
  ByteStreamConnector,
  Clock,
  Logger,
  MqttConnected,
  MqttConnectOptions,
  MqttSessionStore,
  MqttTransport,
  MqttTransportEvents,
  ResumedPublish,
  TimerHandle,
  Timers,
} from '../../ports.js'
import { MqttSession } from '../session/mqtt-session.js'
import type { OpId, SessionAction, SessionEvent, SessionInput } from '../session/types.js'

export interface SessionTransportOptions {
  /** Opens the mutual-TLS byte stream to the broker. */
  readonly connector: ByteStreamConnector
  readonly timers: Timers
  /** The time fed to the session (keepalive). */
  readonly clock: Clock
  /** Receives the `ignoreTlsErrors` warning. */
  readonly logger?: Logger
  /** Deadline for TCP + TLS + CONNACK; default 30 s. */
  readonly connectTimeoutMs?: number
  /**
   * The session's in-flight window; publishes beyond it wait in the session. Default 65 535:
   * the caller (the device's outbox) paces its publishes itself.
   */
  readonly maxInflight?: number
  /** Largest incoming frame accepted; see `PacketDecoder`. */
  readonly maxFrameBytes?: number
  /**
   * Keeps the session across a reboot (see `MqttSessionOptions`): the publishes of the last run
   * that it resumes are no caller's, so no `resumed` lists them; a publish of this run identical
   * to one of them adopts it, and its outcome is that exchange's.
   */
  readonly sessionStore?: MqttSessionStore
}

const DEFAULT_CONNECT_TIMEOUT_MS = 30_000
const MAX_PACKET_IDS = 0xffff
// [MQTT-3.9.3] SUBACK return code 0x80: the broker refused the filter.
const SUBACK_FAILURE = 0x80
// [MQTT-3.2.2.3] CONNACK 4 (bad user name or password), 5 (not authorized): the identity is the
// certificate's CN (spec §3.1), so a new certificate is what may help.
const IDENTITY_REFUSED = new Set([4, 5])
// A connection that closes before CONNACK is a failed connect, not a lost connection.
const LOSSES = new Set(['remote.connection_lost', 'remote.mqtt_connection_lost'])

interface Settle {
  readonly resolve: () => void
  readonly reject: (e: SdkError) => void
}

/** A publish handed to the session and not reported yet. */
interface PublishEntry {
  readonly publishId: number
  /** The connection that reports it; `undefined` once that connection ended (carried over). */
  conn: Connection | undefined
  /** Set while a later connection completes it (`MqttConnected.resumed`). */
  resumed?: Settle | undefined
}

interface Call extends Settle {
  readonly filters: readonly string[]
}

/** One network connection, from `connect` to its end. */
interface Connection {
  readonly stream: ByteStream
  readonly events: MqttTransportEvents
  readonly where: { readonly host: string; readonly port: number }
  readonly settle: {
    readonly resolve: (c: MqttConnected) => void
    readonly reject: (e: SdkError) => void
  }
  /** CONNACK accepted it. */
  accepted?: boolean
  /** `end()` was called: its close is no loss. */
  ending?: boolean
  /** Its end was handled (close reported, or connect rejected). */
  done?: boolean
  /** The byte stream reported its close. */
  streamClosed?: boolean
  /** Why the byte stream closed, as it said. */
  streamError?: SdkError | undefined
  keepalive?: TimerHandle | undefined
  deadline?: TimerHandle | undefined
  readonly closeWaiters: (() => void)[]
}

/** The entry of `opId`, which leaves `table`. */
function take<V>(table: Map<OpId, V>, opId: OpId): V | undefined {
  const entry = table.get(opId)
  table.delete(opId)
  return entry
}

const notConnected = (): SdkError =>
  new SdkError('local.not_connected', "couldn't send: the MQTT connection is not open")

/** `MqttTransport` on sdk-core's `MqttSession`; the host gives a byte stream and timers. */
export class SessionTransport implements MqttTransport {
  readonly #options: SessionTransportOptions
  readonly #session: MqttSession
  #conn: Connection | undefined
  #nextOpId = 1
  /** By op id, ascending: the order of the first `publish`. */
  readonly #publishes = new Map<OpId, PublishEntry>()
  readonly #calls = new Map<OpId, Call>()
  /** Work that arrived while a batch was being performed (see the module comment). */
  readonly #later: (() => void)[] = []
  #performing = false

  constructor(options: SessionTransportOptions) {
    this.#options = options
    // maxFrameBytes and sessionStore as given
    this.#session = new MqttSession({
      ...options,
      maxInflight: options.maxInflight ?? MAX_PACKET_IDS,
    })
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
      this.#options.logger?.log(
        'warn',
        'TLS CERTIFICATE CHECKS OF THE BROKER ARE DISABLED (ignoreTlsErrors): development only',
        where,
      )
    }
    return new Promise((resolve, reject) => {
      const { clientId, keepaliveSec, clean } = options
      let conn: Connection | undefined
      // the connect options are the byte stream's, and the MQTT fields it does not read
      const stream = this.#options.connector.connect(options, {
        open: () => {
          if (conn === undefined || conn.done) return
          this.#input(conn, { type: 'connect', options: { clientId, keepaliveSec, clean } })
        },
        data: (bytes) => {
          if (conn !== undefined && !conn.done) this.#input(conn, { type: 'bytes', data: bytes })
        },
        close: (error) => {
          if (conn === undefined) return
          conn.streamClosed = true
          if (!conn.done) this.#fail(conn, error)
          for (const wake of conn.closeWaiters.splice(0)) wake()
        },
      })
      conn = { stream, events, where, settle: { resolve, reject }, closeWaiters: [] }
      this.#conn = conn
      const live = conn
      const ms = this.#options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
      conn.deadline = this.#options.timers.set(() => {
        live.deadline = undefined
        if (live.done || live.accepted) return
        const message = `couldn't connect to ${where.host}:${where.port}: no answer within ${ms} ms`
        this.#fail(live, new SdkError('remote.connect_timeout', message, { ctx: where }))
      }, ms)
    })
  }

  subscribe(filters: readonly string[], qos: 0 | 1 | 2): Promise<void> {
    const subscriptions = filters.map((topic) => ({ topic, qos }))
    return this.#call(filters, (opId) => ({ type: 'subscribe', subscriptions, opId }))
  }

  unsubscribe(filters: readonly string[]): Promise<void> {
    return this.#call(filters, (opId) => ({ type: 'unsubscribe', topics: filters, opId }))
  }

  publish(topic: string, payload: Uint8Array, qos: 0 | 1 | 2, publishId: number): void {
    const conn = this.#accepted()
    const opId = this.#nextOpId++
    this.#publishes.set(opId, { publishId, conn })
    let actions: SessionAction[]
    try {
      actions = this.#session.handle(
        { type: 'publish', topic, payload, qos, opId },
        this.#options.clock.now(),
      )
    } catch (e) {
      this.#publishes.delete(opId)
      throw e
    }
    this.#perform(conn, actions)
  }

  end(): Promise<void> {
    const conn = this.#conn
    if (conn === undefined) return Promise.resolve()
    conn.ending = true
    const closed = new Promise<void>((resolve) => {
      if (conn.streamClosed) resolve()
      else conn.closeWaiters.push(resolve)
    })
    this.#serialized(() => {
      if (conn.done) return
      if (this.#session.state === 'idle') this.#finish(conn)
      else this.#input(conn, { type: 'disconnect' })
    })
    return closed
  }

  #call(filters: readonly string[], input: (opId: OpId) => SessionInput): Promise<void> {
    // a throw in here (no accepted connection, an input the session refuses) rejects the call
    return new Promise<void>((resolve, reject) => {
      const conn = this.#accepted()
      const opId = this.#nextOpId++
      const actions = this.#session.handle(input(opId), this.#options.clock.now())
      this.#calls.set(opId, { resolve, reject, filters })
      this.#perform(conn, actions)
    })
  }

  #accepted(): Connection {
    const conn = this.#conn
    if (conn === undefined || !conn.accepted || conn.done) throw notConnected()
    return conn
  }

  /**
   * Feeds the session; a throw fails the connection: a `local.*` one (a CONNECT MQTT can't carry)
   * as it is, anything else (a port breaking its contract, an engine refusing what it should run)
   * as `local.session_failed`, logged, since it is a fault to fix rather than a network's.
   */
  #input(conn: Connection, input: SessionInput): void {
    let actions: SessionAction[]
    try {
      actions = this.#session.handle(input, this.#options.clock.now())
    } catch (e) {
      let error: SdkError
      if (e instanceof SdkError) error = e
      else {
        error = new SdkError('local.session_failed', "couldn't go on with the MQTT session", {
          ctx: { ...conn.where, input: input.type },
          cause: e,
        })
        this.#options.logger?.log('error', 'the MQTT session failed: the connection ends', {
          input: input.type,
          error: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
        })
      }
      // a session that can't even close would recurse here: the connection ends without it
      if (input.type === 'closed') this.#finish(conn, error)
      else this.#fail(conn, error)
      return
    }
    this.#perform(conn, actions)
  }

  /** Ends `conn` for `error` (the stream's reason, or ours), through the session if it is on. */
  #fail(conn: Connection, error: SdkError | undefined): void {
    conn.streamError ??= error
    if (this.#session.state === 'idle') this.#finish(conn)
    else this.#input(conn, { type: 'closed', error })
    if (!conn.done) this.#finish(conn)
  }

  #perform(conn: Connection, actions: readonly SessionAction[]): void {
    this.#serialized(() => {
      for (const a of actions) {
        if (a.type === 'event') this.#onEvent(conn, a.event)
        else if (a.type === 'timer.set') this.#armKeepalive(conn, a.atMs)
        else if (!conn.streamClosed) conn.stream.write(a.bytes)
      }
    })
  }

  /** Runs `work` now, or after the batch being performed when called from one of its events. */
  #serialized(work: () => void): void {
    if (this.#performing) {
      this.#later.push(work)
      return
    }
    this.#performing = true
    try {
      work()
      for (let next = this.#later.shift(); next !== undefined; next = this.#later.shift()) next()
    } finally {
      this.#performing = false
    }
  }

  #armKeepalive(conn: Connection, atMs: number): void {
    this.#clear(conn.keepalive)
    conn.keepalive = this.#options.timers.set(
      () => {
        conn.keepalive = undefined
        if (!conn.done) this.#input(conn, { type: 'timer' })
      },
      Math.max(0, atMs - this.#options.clock.now()),
    )
  }

  #onEvent(conn: Connection, event: SessionEvent): void {
    switch (event.type) {
      case 'connected': {
        conn.accepted = true
        conn.deadline = this.#clear(conn.deadline)
        for (const opId of event.dropped) this.#publishes.delete(opId)
        const resumed: ResumedPublish[] = []
        for (const entry of this.#publishes.values()) {
          entry.conn = conn
          const completed = new Promise<void>((resolve, reject) => {
            entry.resumed = { resolve, reject }
          })
          // a caller that ignores `resumed` must not meet an unhandled rejection
          completed.catch(() => undefined)
          resumed.push({ publishId: entry.publishId, completed })
        }
        conn.settle.resolve({ sessionPresent: event.sessionPresent, resumed })
        return
      }
      case 'message':
        // acknowledged by the session's next write: reported even after `end()` was called
        if (!conn.done) conn.events.message(event.topic, event.payload, event.qos)
        return
      case 'published': {
        const entry = take(this.#publishes, event.opId)
        if (entry === undefined) return
        if (entry.resumed !== undefined) entry.resumed.resolve()
        else if (entry.conn === conn && !conn.done) conn.events.published(entry.publishId)
        return
      }
      case 'subscribed':
      case 'unsubscribed': {
        const call = take(this.#calls, event.opId)
        if (call === undefined) return
        const granted = event.type === 'subscribed' ? event.granted : []
        const refused = call.filters.filter((_, i) => ((granted[i] ?? 0) & SUBACK_FAILURE) !== 0)
        if (refused.length === 0) return call.resolve()
        const message = "couldn't subscribe: the broker refused a filter"
        return call.reject(
          new SdkError('remote.subscribe_refused', message, { ctx: { filters: refused } }),
        )
      }
      case 'closed':
        if (!conn.done) this.#finish(conn, event.error)
        return
    }
  }

  /** The connection is over: settle what waited on it, then report. */
  #finish(conn: Connection, sessionError?: SdkError): void {
    conn.done = true
    if (this.#conn === conn) this.#conn = undefined
    conn.deadline = this.#clear(conn.deadline)
    conn.keepalive = this.#clear(conn.keepalive)
    if (!conn.streamClosed) conn.stream.end()
    if (!conn.accepted) {
      conn.settle.reject(this.#connectError(conn, sessionError))
      return
    }
    const lost = conn.ending ? undefined : this.#lostError(conn, sessionError)
    const abort = lost ?? notConnected()
    for (const call of this.#calls.values()) call.reject(abort)
    this.#calls.clear()
    // unreported publishes went down with the connection; the next CONNACK says which resume
    for (const entry of this.#publishes.values()) {
      entry.resumed?.reject(abort)
      entry.resumed = undefined
      entry.conn = undefined
    }
    conn.events.close(lost)
  }

  /** Clears the timer `handle`, if any; `undefined`, for the field that held it. */
  #clear(handle: TimerHandle | undefined): undefined {
    if (handle !== undefined) this.#options.timers.clear(handle)
    return undefined
  }

  /** Why `connect` failed, coded as the contract says (`ports.ts`, `MqttTransport`). */
  #connectError(conn: Connection, sessionError: SdkError | undefined): SdkError {
    const { where } = conn
    const returnCode = sessionError?.ctx['returnCode']
    if (sessionError?.code === 'remote.mqtt_connection_refused' && typeof returnCode === 'number') {
      const ctx = { ...where, returnCode }
      return IDENTITY_REFUSED.has(returnCode)
        ? new SdkError(
            'remote.certificate_rejected',
            `couldn't connect to ${where.host}:${where.port}: our certificate was refused`,
            { ctx, cause: sessionError },
          )
        : new SdkError(
            'remote.connect_failed',
            `couldn't connect to ${where.host}:${where.port}: the broker refused (${returnCode})`,
            { ctx, cause: sessionError },
          )
    }
    if (conn.ending) {
      return new SdkError(
        'local.disconnecting',
        `couldn't connect to ${where.host}:${where.port}: ended before the broker answered`,
        { ctx: where },
      )
    }
    const cause = conn.streamError ?? sessionError
    if (cause !== undefined && !LOSSES.has(cause.code)) return cause
    return new SdkError(
      'remote.connect_failed',
      `couldn't connect to ${where.host}:${where.port}: closed before the broker answered`,
      { ctx: where, cause },
    )
  }

  /** Why an accepted connection ended without being asked to. */
  #lostError(conn: Connection, sessionError: SdkError | undefined): SdkError {
    if (sessionError !== undefined && sessionError.code !== 'remote.mqtt_connection_lost') {
      return sessionError
    }
    // our own failure ended it (see `#input`): a lost connection would hide the fault
    if (conn.streamError?.code === 'local.session_failed') return conn.streamError
    const { where } = conn
    return new SdkError(
      'remote.connection_lost',
      `couldn't keep the connection to ${where.host}:${where.port}`,
      { ctx: where, cause: conn.streamError ?? sessionError },
    )
  }
}
