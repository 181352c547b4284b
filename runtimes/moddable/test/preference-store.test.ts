/**
 * The `Preference` store on the store contract every runtime's store passes, over an in-memory
 * Preference with NVS's limits (names of 15 characters, values of 4000 bytes) that survives a
 * reboot; and its `stored` ring's bounds. The MQTT session store on the same Preference meets
 * its contract too, and leaves out (and reports) a record NVS can't take.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeSessionStoreContract, describeStoreContract } from '@astarte-ts/runtime-testing'
import type { Store } from '@astarte-ts/sdk-core'
import {
  openPreferenceSessionStore,
  openPreferenceStore,
  type PreferenceApi,
} from '../src/preference-store.js'

type Value = string | number | boolean | ArrayBuffer
type Nvs = Map<string, Map<string, Value>>

/** Moddable's Preference on ESP32 NVS, in memory. */
function memoryPreference(nvs: Nvs = new Map()): PreferenceApi & { readonly nvs: Nvs } {
  const domain = (name: string) => {
    if (name.length > 15) throw new Error(`domain ${name} too long`)
    let d = nvs.get(name)
    if (d === undefined) nvs.set(name, (d = new Map()))
    return d
  }
  const checkKey = (key: string) => {
    if (key.length > 15) throw new Error(`key ${key} too long`)
  }
  return {
    nvs,
    get: (d, key) => domain(d).get(key),
    set(d, key, value) {
      checkKey(key)
      const size =
        typeof value === 'string'
          ? Buffer.byteLength(value)
          : value instanceof ArrayBuffer
            ? value.byteLength
            : 0
      if (size > 4000) throw new Error('value too large')
      domain(d).set(key, value)
    },
    delete: (d, key) => void domain(d).delete(key),
    keys: (d) => [...domain(d).keys()],
  }
}

const nvsOf = new WeakMap<Store, Nvs>()

describeStoreContract(
  'Moddable Preference',
  () => {
    const prefs = memoryPreference()
    const store = openPreferenceStore(prefs, { storedBytes: 1 << 20, storedCount: 1 << 20 })
    nvsOf.set(store, prefs.nvs)
    return store
  },
  {
    reopen: (store) => {
      const nvs = new Map([...(nvsOf.get(store) ?? [])].map(([k, v]) => [k, new Map(v)]))
      const again = openPreferenceStore(memoryPreference(nvs), {
        storedBytes: 1 << 20,
        storedCount: 1 << 20,
      })
      nvsOf.set(again, nvs)
      return again
    },
  },
)

test('the stored ring keeps its byte and count bounds, oldest first, across a reboot', () => {
  const prefs = memoryPreference()
  const store = openPreferenceStore(prefs, { storedBytes: 100, storedCount: 3 })
  const payload = new Uint8Array(20)
  for (let n = 0; n < 6; n++) {
    store.storedQueue.enqueue({ topic: `t/${n}`, payload, qos: 1, createdMs: n, expiresMs: null })
  }
  // 23 bytes each: the count bound (3) bites first
  const again = openPreferenceStore(memoryPreference(prefs.nvs), { storedBytes: 50 })
  assert.deepEqual(
    again.storedQueue.peek(10, 0).map((m) => m.topic),
    ['t/3', 't/4', 't/5'],
  )
  again.storedQueue.enqueue({ topic: 'x', payload, qos: 1, createdMs: 9, expiresMs: null })
  // 50 bytes hold two
  assert.deepEqual(
    again.storedQueue.peek(10, 0).map((m) => m.topic),
    ['t/5', 'x'],
  )
  assert.deepEqual([...(prefs.nvs.get('astq')?.keys() ?? [])].length, 2)
})

test('a value over a preference is refused with a typed error, nothing half-written', () => {
  const prefs = memoryPreference()
  const store = openPreferenceStore(prefs)
  assert.throws(
    () =>
      store.properties.set({
        interfaceName: 'org.example.P',
        major: 1,
        path: '/big',
        ownership: 'device',
        payload: new Uint8Array(3500),
      }),
    (e: unknown) => (e as { code?: string }).code === 'local.store_value_too_large',
  )
  assert.equal(store.properties.get('org.example.P', '/big'), undefined)
  assert.equal(prefs.keys('astp').length, 0)
})

describeSessionStoreContract('Moddable Preference', () => {
  const prefs = memoryPreference()
  return {
    store: openPreferenceSessionStore(prefs),
    reopen: () => openPreferenceSessionStore(memoryPreference(prefs.nvs)),
  }
})

test('session records: an ArrayBuffer per record in astms, one over the NVS limit left out', () => {
  const prefs = memoryPreference()
  const dropped: [number, number][] = []
  const store = openPreferenceSessionStore(prefs, (key, bytes) => dropped.push([key, bytes]))
  store.put(12, Uint8Array.of(1, 2, 3))
  store.put(13, new Uint8Array(4001))
  assert.deepEqual(dropped, [[13, 4001]])
  const astms = prefs.nvs.get('astms')
  assert.deepEqual([...(astms?.keys() ?? [])], ['12'])
  assert.deepEqual(new Uint8Array(astms?.get('12') as ArrayBuffer), Uint8Array.of(1, 2, 3))
  // a record's number grows with each publish of a run (from 1 after a reboot with none left): a
  // key stays within NVS's 15 characters up to 10^15 publishes
  store.put(99_999_999_999_999, Uint8Array.of(1))
  assert.deepEqual([...(astms?.keys() ?? [])], ['12', '99999999999999'])
})
