/**
 * spec §1.3-K, §3.1 ([MQTT-1.5.3-2]): a concrete path becomes part of an MQTT topic name, where
 * U+0000 is forbidden — the broker closes the connection. A path parameter holding it is refused
 * like `+` and `#`, before anything is cached or queued (a property or `stored` datapoint would
 * otherwise replay into the refusal after every reconnect).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { validateIndividual, validateObject, validateUnset } from '@astarte-ts/sdk-core'
import { fcOptions } from '../bson/fc-config.js'
import { ifaces } from '../device/harness.js'
import { iface } from '../protocol/fixtures.js'

const object = iface(
  'org.dev.Obj',
  { type: 'datastream', ownership: 'device', aggregation: 'object' },
  [{ endpoint: '/%{id}/a' }, { endpoint: '/%{id}/b' }],
)

const withNul = fc
  .tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }))
  .map(([a, b]) => `${a}\u0000${b}`.replace(/[/+#]/g, '_'))

test('property: a parameter holding U+0000 is an invalid_path for every kind of send', () => {
  fc.assert(
    fc.property(withNul, (id) => {
      const checks = [
        validateIndividual(ifaces.stored, `/${id}/value`, 1),
        validateIndividual(ifaces.devProps, `/${id}/value`, 1),
        validateUnset(ifaces.devProps, `/${id}/value`),
        validateObject(object, `/${id}`, { a: 1 }),
      ]
      for (const r of checks) {
        assert.ok(!r.ok && r.error.some((i) => i.code === 'invalid_path'), JSON.stringify(id))
      }
    }),
    { ...fcOptions, numRuns: Math.min(fcOptions.numRuns, 1000) },
  )
})

test('other characters in a parameter stay accepted (spec §1.3-K: any non-empty UTF-8 but / + #)', () => {
  for (const id of ['é', 'a b', '\u0001', '%', 'ü\u00a0x']) {
    assert.ok(validateIndividual(ifaces.stored, `/${id}/value`, 1).ok, JSON.stringify(id))
  }
})
