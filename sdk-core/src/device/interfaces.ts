/**
 * @module device interfaces: the introspection changing at run time (spec §3.3). While
 * connected: (un)subscribe server-owned interfaces and publish the new introspection (no
 * emptyCache). Offline: nothing goes out; the next connection sees the introspection differ
 * from the last acknowledged one and runs a full sync. Cached properties of removed
 * interfaces, or of another major, are dropped (spec §3.8).
 *
 * An optional piece (`DeviceConfig.interfaceChanges`): a runtime whose interfaces are fixed when
 * the device is opened (the ESP32 builds load interfaces compiled on the host) doesn't pass it,
 * and its bundle leaves these steps out.
 */
import { utf8Encode } from '../bson/utf8.js'
import type { Interface } from '../interface/model.js'
import { pruneStaleProperties } from '../protocol/property-cache.js'
import { interfaceFilter } from '../protocol/sync-plan.js'
import type { Context } from './context.js'
import { nextId } from './context.js'
import type { DeviceState } from './state.js'
import { currentIntrospection, pump } from './sync.js'
import type { In, Step } from './transitions.js'

function announce(
  ctx: Context,
  state: DeviceState,
  before: Interface | undefined,
  after: Interface | undefined,
  nowMs: number,
): void {
  pruneStaleProperties(ctx.store.properties, [...ctx.interfaces.values()])
  if (state.tag !== 'syncing' && state.tag !== 'online') return
  const name = (after ?? before)?.name
  if (name === undefined) return
  const filters = [interfaceFilter(ctx.prefix, name)]
  if (after?.ownership === 'server' && before?.ownership !== 'server') {
    ctx.out.push({ type: 'mqtt.subscribe', requestId: nextId(ctx, 'subscribe'), filters, qos: 2 })
  }
  if (before?.ownership === 'server' && after?.ownership !== 'server') {
    ctx.out.push({ type: 'mqtt.unsubscribe', filters })
  }
  // before the sync's suback, the sync plan will carry the new introspection itself
  if (state.tag === 'syncing' && state.phase.step === 'subscribing') return
  const text = currentIntrospection(ctx)
  const tag = { type: 'introspection', text } as const
  ctx.outbox.control({
    source: 'control',
    topic: ctx.prefix,
    payload: utf8Encode(text),
    qos: 2,
    tag,
  })
  pump(ctx, nowMs)
}

/** The steps of `addInterface` and `removeInterface`, keyed by their input's type. */
export interface InterfaceChanges {
  readonly addInterface: Step<DeviceState, In<'addInterface'>>
  readonly removeInterface: Step<DeviceState, In<'removeInterface'>>
}

/** Interfaces added and removed at run time (spec §3.3): `DeviceConfig.interfaceChanges`. */
export const interfaceChanges: InterfaceChanges = {
  addInterface(ctx, state, { iface }, nowMs) {
    const before = ctx.interfaces.get(iface.name)
    ctx.interfaces.set(iface.name, iface)
    announce(ctx, state, before, iface, nowMs)
    return state
  },
  removeInterface(ctx, state, { name }, nowMs) {
    const before = ctx.interfaces.get(name)
    if (before !== undefined) {
      ctx.interfaces.delete(name)
      announce(ctx, state, before, undefined, nowMs)
    }
    return state
  },
}
