/**
 * @module mqtt session types: what an `MqttSession` takes (inputs) and what it asks the runtime to
 * do (actions), as discriminated unions.
 */
import type { SdkError } from '../../errors.js'
import type { MqttSessionStore } from '../../ports.js'
import type { QoS, SubackCode, Subscription, Will } from '../packet.js'

/** What goes into the CONNECT packet. */
export interface SessionConnectOptions {
  readonly clientId: string
  /** Seconds of silence before a PINGREQ; 0 turns keepalive off [MQTT-3.1.2-10]. */
  readonly keepaliveSec: number
  /** astarte-ts devices connect with `clean: false` (spec §3.4). */
  readonly clean: boolean
  readonly username?: string
  readonly password?: Uint8Array
  readonly will?: Will
}

export interface MqttSessionOptions {
  /** QoS ≥ 1 publishes, subscribes and unsubscribes awaiting their ack; 1..65 535, default 100. */
  readonly maxInflight?: number
  /** Largest incoming frame accepted (see `PacketDecoder`). */
  readonly maxFrameBytes?: number
  /**
   * Keeps the publishes in flight and the incoming QoS 2 ids across a reboot. The session starts
   * from what it holds: the last run's publishes in flight, as op ids -1, -2, … (oldest first),
   * are resumed or dropped by the next CONNACK like any carried over, and a publish identical to
   * one of them adopts it (its op id then names it; see `adopt` in `outgoing.ts`).
   */
  readonly sessionStore?: MqttSessionStore
}

/** A caller-chosen id that the session's events refer back to. */
export type OpId = number

export type SessionInput =
  /** The transport is open: send CONNECT. */
  | { readonly type: 'connect'; readonly options: SessionConnectOptions }
  /** Bytes read from the transport. */
  | { readonly type: 'bytes'; readonly data: Uint8Array }
  | {
      readonly type: 'publish'
      readonly topic: string
      readonly payload: Uint8Array
      readonly qos: QoS
      readonly retain?: boolean
      readonly opId: OpId
    }
  | {
      readonly type: 'subscribe'
      readonly subscriptions: readonly Subscription[]
      readonly opId: OpId
    }
  | { readonly type: 'unsubscribe'; readonly topics: readonly string[]; readonly opId: OpId }
  /** Say goodbye with DISCONNECT; the session state is kept for the next connection. */
  | { readonly type: 'disconnect' }
  /** The last `timer.set` deadline was reached. */
  | { readonly type: 'timer' }
  /** The transport closed; `error` is the runtime's reason, kept as the event's cause. */
  | { readonly type: 'closed'; readonly error?: unknown }

export type SessionEvent =
  /**
   * CONNACK accepted the connection. On a lost session (`sessionPresent` false) `dropped` lists,
   * oldest first, the ops the last connection carried over that will never be sent or reported
   * (re-issue them as new ones if they still matter); it is empty on a present session, which
   * completes them, oldest first, before newer ops. QoS 2 publishes the server had acknowledged
   * with PUBREC are not dropped: `published` follows for them.
   */
  | {
      readonly type: 'connected'
      readonly sessionPresent: boolean
      readonly dropped: readonly OpId[]
    }
  | {
      readonly type: 'message'
      readonly topic: string
      readonly payload: Uint8Array
      readonly qos: QoS
      readonly retain: boolean
    }
  /** QoS 0: written; QoS 1: PUBACK received; QoS 2: PUBCOMP received. */
  | { readonly type: 'published'; readonly opId: OpId }
  | { readonly type: 'subscribed'; readonly opId: OpId; readonly granted: readonly SubackCode[] }
  | { readonly type: 'unsubscribed'; readonly opId: OpId }
  /**
   * The connection is over: the runtime closes the transport if it is still open. `error` says
   * why when it was not asked for; a refused CONNACK is `remote.mqtt_connection_refused` with
   * `ctx.returnCode` (§3.2.2.3; 4 and 5 refuse the client's identity). Unacknowledged work stays
   * in the session for the next `connect`, whose CONNACK decides its fate (see `connected`).
   */
  | { readonly type: 'closed'; readonly error?: SdkError }

export type SessionAction =
  | { readonly type: 'write'; readonly bytes: Uint8Array }
  /** Feed `{ type: 'timer' }` at `atMs`; replaces any earlier `timer.set`. */
  | { readonly type: 'timer.set'; readonly atMs: number }
  | { readonly type: 'event'; readonly event: SessionEvent }
