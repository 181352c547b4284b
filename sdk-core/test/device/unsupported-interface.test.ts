/**
 * A device refuses an interface with an encrypted mapping (spec §1.2: Astarte has not released
 * the key agreement), at construction and at `addInterface`, and is unchanged by the refusal.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SdkError } from '@astarte-ts/sdk-core'
import { iface } from '../protocol/fixtures.js'
import { allInterfaces, harness, ifaces } from './harness.js'

const encrypted = iface('org.dev.Sealed', { type: 'datastream', ownership: 'device' }, [
  { endpoint: '/%{id}/open' },
  { endpoint: '/%{id}/sealed', encrypted: true },
])

const refusal = (e: unknown): boolean => {
  assert.ok(e instanceof SdkError)
  assert.equal(e.code, 'local.unsupported_interface')
  assert.deepEqual(e.ctx, { interfaceName: 'org.dev.Sealed', endpoint: '/%{id}/sealed' })
  assert.deepEqual(
    e.issues.map((i) => [i.code, i.path]),
    [['encrypted_unsupported', '/mappings/1/encrypted']],
  )
  return true
}

test('a machine configured with an encrypted mapping is refused', () => {
  assert.throws(() => harness({ interfaces: [...allInterfaces, encrypted] }), refusal)
})

test('addInterface of an encrypted mapping throws and changes nothing, online or offline', () => {
  const h = harness({ interfaces: allInterfaces.filter((i) => i !== ifaces.srvStream) })
  assert.throws(() => h.machine.handle({ type: 'addInterface', iface: encrypted }, 0), refusal)
  h.lb.feed({ type: 'start' })
  const introspection = h.astarte.introspection.map((e) => e.name).sort()
  const mark = h.astarte.transcript.length
  const tag = h.machine.state.tag
  assert.equal(tag, 'online')
  assert.throws(() => h.machine.handle({ type: 'addInterface', iface: encrypted }, 0), refusal)
  assert.equal(h.machine.state.tag, tag)
  assert.deepEqual(h.astarte.transcript.slice(mark), [])
  // the refusal left the introspection as it was: the next change announces exactly the set
  h.lb.feed({ type: 'addInterface', iface: ifaces.srvStream })
  assert.deepEqual(
    h.astarte.introspection.map((e) => e.name).sort(),
    [...introspection, 'org.srv.Stream'].sort(),
  )
})
