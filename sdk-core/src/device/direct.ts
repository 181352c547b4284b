/**
 * @module device direct paths: the send fast paths, an optional piece
 * (`DeviceConfig.directPaths`). On an online device, the send of a `discard` datastream value
 * with nothing waiting before it goes in flight at once, and its ack settles it, without the
 * action lists and event objects `handle` makes: the outcome `handle` would give, measured to
 * matter where a device sends thousands of values a second (Node). A runtime that doesn't pass
 * the piece has every send and ack handled by `handle`, and its bundle leaves these paths out.
 */
import type { Validated } from '../value/types.js'
import type { Context } from './context.js'
import { mappingOf, ownedInterface } from './send.js'
import type { DeviceState } from './state.js'
import { decideRetention } from '../protocol/retention.js'
import { qosFor } from '../protocol/qos.js'
import { encodePayload } from '../value/payload-encode.js'
import type { MqttPublishAction, OpId } from './types.js'

/** The direct paths; `undefined` from either means `handle` must take the input. */
export interface DirectPaths {
  send(ctx: Context, state: DeviceState, opId: OpId, data: Validated): MqttPublishAction | undefined
  ack(ctx: Context, state: DeviceState, publishId: number): OpId | undefined
}

/**
 * The machine's half of both direct paths' eligibility (the outbox's `nothingWaiting` is the
 * other): online, no pairing outcome waiting for the connection, no renewal drain under way.
 */
function open(ctx: Context, state: DeviceState): boolean {
  return (
    state.tag === 'online' && ctx.pairingAfterConnect.length === 0 && ctx.drainTimerId === undefined
  )
}

/** The send fast paths: `DeviceConfig.directPaths`. */
export const directPaths: DirectPaths = {
  /**
   * The direct path of a send on a connected device (see `DeviceMachine.sendDirect`): the
   * publish of a `discard` datastream value when nothing waits before it, exactly as
   * `handleSend` and the `pump` after it would make it; `undefined`, having changed nothing, for
   * anything else.
   */
  send(ctx, state, opId, data) {
    const iface = ownedInterface(ctx, data)
    if (iface === undefined || iface.type === 'properties' || !open(ctx, state)) return undefined
    const mapping = mappingOf(iface, data)
    const qos = qosFor(iface, mapping)
    if (!ctx.outbox.readyAlone(qos)) return undefined
    if (decideRetention(iface, mapping, true).type !== 'publish') return undefined
    const payload = encodePayload(data)
    // too large: `handleSend` reports it
    if (payload.length > ctx.maxPayloadBytes) return undefined
    const topic = ctx.topics.topic(iface.name, data.path)
    return ctx.outbox.publishAlone({ source: 'direct', topic, payload, qos, opId })
  },
  ack: (ctx, state, publishId) => (open(ctx, state) ? ctx.outbox.ackedAlone(publishId) : undefined),
}
