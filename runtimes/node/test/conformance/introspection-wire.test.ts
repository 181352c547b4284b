/**
 * Introspection changes on the wire (spec §3.3, §3.4): at run time the device (un)subscribes the
 * server-owned interface and publishes the new introspection, without emptyCache; after a change
 * made while offline, a present session gets a full sync (the introspection differs from the one
 * Astarte has), and the session's filters follow the new interface set ("SDKs subscribe to
 * nothing else", §3.4 step 1).
 */
import { afterEach, test } from 'node:test'
import assert from 'node:assert/strict'
import { INTERFACES, ServerStream, publishView, startConformanceEnv } from './conformance-env.js'
import type { ConformanceEnv } from './conformance-env.js'

let env: ConformanceEnv | undefined
afterEach(async () => {
  await env?.stop()
  env = undefined
})

const ServerExtra = {
  interface_name: 'org.astarte-ts.conformance.ServerExtra',
  version_major: 0,
  version_minor: 1,
  type: 'datastream',
  ownership: 'server',
  mappings: [{ endpoint: '/%{id}', type: 'string' }],
} as const

const introspectionOf = (
  ifaces: ReadonlyArray<{ interface_name: string; version_major: number; version_minor: number }>,
): string =>
  ifaces
    .map((i) => `${i.interface_name}:${i.version_major}:${i.version_minor}`)
    .sort()
    .join(';')

test('run time: a server-owned interface added then removed — SUBSCRIBE/UNSUBSCRIBE QoS 2 and the new introspection, no emptyCache', async () => {
  const e = (env = await startConformanceEnv())
  const device = await e.open()
  await device.connect()
  const before = e.broker.received.length
  await device.addInterface(ServerExtra)
  const filter = `${e.prefix}/${ServerExtra.interface_name}/#`
  const added = introspectionOf([...INTERFACES, ServerExtra])
  const introspections = () =>
    e
      .packets('publish')
      .map(publishView)
      .filter((p) => p.topic === e.prefix)
  await e.broker.until('the new introspection', () => introspections().length === 2)
  await device.removeInterface(ServerExtra.interface_name)
  await e.broker.until('the introspection after removal', () => introspections().length === 3)
  const after = e.broker.received.slice(before).map((r) => r.packet)
  const subscribe = after.find((p) => p.cmd === 'subscribe')
  assert.deepEqual(subscribe?.['subscriptions'], [{ topic: filter, qos: 2 }])
  assert.deepEqual(after.find((p) => p.cmd === 'unsubscribe')?.['unsubscriptions'], [filter])
  assert.deepEqual(
    introspections()
      .slice(1)
      .map((p) => [p.payload.toString(), p.qos, p.retain]),
    [
      [added, 2, false],
      [introspectionOf(INTERFACES), 2, false],
    ],
  )
  const control = after
    .filter((p) => p.cmd === 'publish')
    .map((p) => publishView(p).topic)
    .filter((t) => t.startsWith(`${e.prefix}/control/`))
  assert.deepEqual(control, [])
})

test('offline change on a present session: full sync, and the removed server interface is unsubscribed', async () => {
  let connects = 0
  const e: ConformanceEnv = (env = await startConformanceEnv({
    sessionPresent: () => ++connects > 1,
  }))
  const storeDir = await e.storeDir()
  const first = await e.open({ storeDir })
  await first.connect()
  await first.close()
  const second = await e.open({
    storeDir,
    interfaces: INTERFACES.filter((i) => i !== ServerStream),
  })
  await second.connect()
  const topics = e.packets('publish', 2).map((p) => publishView(p).topic)
  assert.deepEqual(topics.slice(0, 2), [e.prefix, `${e.prefix}/control/emptyCache`])
  const unsubscribed = e.packets('unsubscribe', 2).flatMap((p) => p['unsubscriptions'] as string[])
  assert.deepEqual(unsubscribed, [`${e.prefix}/${ServerStream.interface_name}/#`])
})
