import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  dataTopic,
  deviceTopicPrefix,
  parseDeviceTopic,
  parseServerTopic,
} from '@astarte-ts/sdk-core'
import type { TopicPrefix } from '@astarte-ts/sdk-core'
import { fcOptions } from '../bson/fc-config.js'
import { DEVICE_ID, REALM } from './fixtures.js'

function prefixOf(realm: string, id: string): TopicPrefix {
  const r = deviceTopicPrefix(realm, id)
  if (!r.ok) throw new Error('bad prefix')
  return r.value
}
const P = prefixOf(REALM, DEVICE_ID)

test('the prefix is <realm>/<device_id> and both parts are validated', () => {
  assert.equal(P, 'test/u-WraCwtK_G_fjJf63TiAw')
  const bad = deviceTopicPrefix('Test', 'short')
  assert.equal(bad.ok, false)
  if (!bad.ok)
    assert.deepEqual(
      bad.error.map((i) => i.code),
      ['realm_syntax', 'device_id_syntax'],
    )
  assert.equal(deviceTopicPrefix('test', 'u-WraCwtK_G_fjJf63TiA#').ok, false)
  assert.equal(deviceTopicPrefix('a'.repeat(49), DEVICE_ID).ok, false)
})

test('data topics follow spec §3.2', () => {
  assert.equal(
    dataTopic(P, 'com.interface.test', '/led/red'),
    'test/u-WraCwtK_G_fjJf63TiAw/com.interface.test/led/red',
  )
  assert.equal(dataTopic(P, 'org.Legacy', '/'), `${P}/org.Legacy/`)
})

test('server topics: consumer purge, data, malformed', () => {
  assert.deepEqual(parseServerTopic(P, `${P}/control/consumer/properties`), {
    type: 'consumerProperties',
  })
  assert.deepEqual(parseServerTopic(P, `${P}/org.A/x/y`), {
    type: 'data',
    interfaceName: 'org.A',
    path: '/x/y',
  })
  assert.deepEqual(parseServerTopic(P, `${P}/org.A/`), {
    type: 'data',
    interfaceName: 'org.A',
    path: '/',
  })
  const otherDevice = 'other/u-WraCwtK_G_fjJf63TiAw/org.A/x'
  for (const topic of [`${P}/org.A`, `${P}//x`, `${P}/`, P, otherDevice, `${P}x/org.A/x`]) {
    assert.equal(parseServerTopic(P, topic).type, 'malformed', topic)
  }
})

test('device topics are routed like DUP does', () => {
  assert.deepEqual(parseDeviceTopic(P, P), { type: 'introspection' })
  assert.deepEqual(parseDeviceTopic(P, `${P}/control/emptyCache`), { type: 'emptyCache' })
  assert.deepEqual(parseDeviceTopic(P, `${P}/control/producer/properties`), {
    type: 'producerProperties',
  })
  assert.deepEqual(parseDeviceTopic(P, `${P}/capabilities`), { type: 'capabilities' })
  assert.deepEqual(parseDeviceTopic(P, `${P}/control/keyAgreement/1`), {
    type: 'control',
    subtopic: 'keyAgreement/1',
  })
  assert.deepEqual(parseDeviceTopic(P, `${P}/control/consumer/properties`), {
    type: 'control',
    subtopic: 'consumer/properties',
  })
  assert.deepEqual(parseDeviceTopic(P, `${P}/org.A/a`), {
    type: 'data',
    interfaceName: 'org.A',
    path: '/a',
  })
  assert.equal(parseDeviceTopic(P, `${P}/org.A`).type, 'malformed')
  assert.equal(parseDeviceTopic(P, 'test/otherdevice/org.A/a').type, 'malformed')
})

test('parse(dataTopic(name, path)) gives back name and path', () => {
  const name = fc.stringMatching(/^[a-z][a-z0-9]*(\.[a-z][a-z0-9-]*)*$/)
  const path = fc
    .array(fc.stringMatching(/^[^/#+]*$/), { minLength: 1, maxLength: 5 })
    .map((ls) => `/${ls.join('/')}`)
  fc.assert(
    fc.property(name, path, (n, p) => {
      const expected = { type: 'data', interfaceName: n, path: p }
      assert.deepEqual(parseServerTopic(P, dataTopic(P, n, p)), expected)
      assert.deepEqual(parseDeviceTopic(P, dataTopic(P, n, p)), expected)
    }),
    fcOptions,
  )
})
