/**
 * @module protocol retention: what happens to an outgoing message given its mapping's retention
 * and whether the device is online (spec §3.9). Properties behave as `stored`: they are cached and
 * their publishes survive restarts.
 */
import type { Interface, Mapping, Retention } from '../interface/model.js'

/** Where an outgoing message goes before the broker acknowledges it. */
export type RetentionDecision =
  /** Durable queue first (survives restarts); published from there, removed on ack. */
  | { readonly type: 'queueStored' }
  /** In-memory queue (survives reconnects, not restarts); removed on ack. */
  | { readonly type: 'queueVolatile' }
  /** Published now; lost if the connection drops before the ack. */
  | { readonly type: 'publish' }
  /** `discard` while offline. */
  | { readonly type: 'drop' }

/** The effective retention: `stored` for properties, the mapping's own for datastreams. */
export function retentionOf(
  iface: Interface,
  mapping: Mapping | undefined = iface.mappings[0],
): Retention {
  return iface.type === 'properties' ? 'stored' : (mapping?.retention ?? 'discard')
}

// one object per decision: it is taken once per message sent
const QUEUE_STORED: RetentionDecision = { type: 'queueStored' }
const QUEUE_VOLATILE: RetentionDecision = { type: 'queueVolatile' }
const PUBLISH: RetentionDecision = { type: 'publish' }
const DROP: RetentionDecision = { type: 'drop' }

export function decideRetention(
  iface: Interface,
  mapping: Mapping | undefined,
  online: boolean,
): RetentionDecision {
  const retention = retentionOf(iface, mapping)
  return retention === 'stored'
    ? QUEUE_STORED
    : retention === 'volatile'
      ? QUEUE_VOLATILE
      : online
        ? PUBLISH
        : DROP
}

/** Absolute expiry of a message created at `createdMs`; `null` when `expiry` is 0 (never). */
export function expiresAt(mapping: Mapping | undefined, createdMs: number): number | null {
  const expiry = mapping?.expiry ?? 0
  return expiry > 0 ? createdMs + expiry * 1000 : null
}

/** A message is expired once it is `expiry` seconds old or older (spec §3.9). */
export function isExpired(message: { readonly expiresMs: number | null }, nowMs: number): boolean {
  return message.expiresMs !== null && message.expiresMs <= nowMs
}
