/**
 * @module device incoming: what the device does with a message from Astarte (spec §3.6, §3.8).
 * Nothing here throws: unknown interfaces and malformed topics are warnings, undecodable or
 * wrong-typed data is a `serverDataError` event, and the device keeps running.
 */
import { assertNever } from '../errors.js'
import type { Interface } from '../interface/model.js'
import { applyConsumerPurge } from '../protocol/property-cache.js'
import { decodePurgeProperties } from '../protocol/purge.js'
import { parseServerTopic } from '../protocol/topics.js'
import { decodePayload } from '../value/payload-decode.js'
import type { Context } from './context.js'
import { emit, warn } from './context.js'
import type { DeviceState } from './state.js'
import { serverPropertyWritten } from './store-transaction.js'
import type { In } from './transitions.js'
import type { DeviceEvent } from './types.js'

function onConsumerPurge(ctx: Context, payload: Uint8Array): void {
  let skipped = 0
  const listed = decodePurgeProperties(payload, ctx.inflater, ctx.purgeFormat, () => skipped++)
  if (skipped > 0) {
    warn(ctx, 'skipped consumer purge entries that name no <interface>/<path>', { skipped })
  }
  if (!listed.ok) {
    warn(ctx, "couldn't read the consumer purge list", { issues: listed.error })
    return
  }
  // spec §3.6: every cached server property of an introspected interface not listed is unset
  const interfaces = [...ctx.interfaces.values()]
  for (const p of applyConsumerPurge(ctx.store.properties, interfaces, listed.value)) {
    serverPropertyWritten(ctx)
    emit(ctx, { type: 'serverUnset', interfaceName: p.interfaceName, path: p.path })
  }
}

function onData(ctx: Context, iface: Interface, path: string, payload: Uint8Array): void {
  const decoded = decodePayload(iface, path, payload, 'server-to-device')
  if (!decoded.ok) {
    emit(ctx, { type: 'serverDataError', interfaceName: iface.name, path, issues: decoded.error })
    return
  }
  const data = decoded.value
  const { name: interfaceName, major } = iface
  if (iface.type === 'properties') {
    // spec §3.8: cache server properties with the major they belong to
    serverPropertyWritten(ctx)
    if (data.kind === 'unset') ctx.store.properties.delete(interfaceName, path)
    else ctx.store.properties.set({ interfaceName, major, path, ownership: 'server', payload })
  }
  if (data.kind === 'unset') return emit(ctx, { type: 'serverUnset', interfaceName, path })
  const { value, timestamp } = data
  emit(ctx, {
    type: data.kind === 'individual' ? 'serverData' : 'serverObject',
    interfaceName,
    path,
    value,
    ...(timestamp === undefined ? {} : { timestamp }),
  } as DeviceEvent)
}

/** Handles one `mqtt.message`, in any state that may get one. */
export function handleMessage(
  ctx: Context,
  state: DeviceState,
  input: In<'mqtt.message'>,
): DeviceState {
  const { topic, payload } = input
  const route = parseServerTopic(ctx.prefix, topic)
  switch (route.type) {
    case 'malformed':
      warn(ctx, 'ignored a message on a malformed topic', { topic, reason: route.reason })
      break
    case 'consumerProperties':
      onConsumerPurge(ctx, payload)
      break
    case 'data': {
      const iface = ctx.interfaces.get(route.interfaceName)
      if (iface === undefined || iface.ownership !== 'server') {
        warn(ctx, 'ignored data for an interface the server does not own here', {
          interfaceName: route.interfaceName,
          path: route.path,
        })
      } else onData(ctx, iface, route.path, payload)
      break
    }
    default:
      assertNever(route)
  }
  return state
}
