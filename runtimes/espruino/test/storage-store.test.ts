/**
 * The `Store` on Espruino's Storage meets the store contract every runtime's store meets, over a
 * Storage with Espruino's API kept in this process (files as strings); reopening reads the files
 * back, as a rebooted board would. The `stored` ring keeps its byte bound, oldest dropped first.
 * The MQTT session store meets its contract on the same Storage, one small file per record.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeSessionStoreContract, describeStoreContract } from '@astarte-ts/runtime-testing'
import type { QueuedMessage, Store } from '@astarte-ts/sdk-core'
import type { EspruinoStorage } from '../src/espruino.js'
import { openStorageSessionStore, openStorageStore } from '../src/storage-store.js'

/** Espruino's Storage API over a map of files; JSON as Espruino writes it. */
function memoryStorage(files = new Map<string, string>()): EspruinoStorage & {
  files: Map<string, string>
} {
  return {
    files,
    read: (name) => files.get(name),
    readJSON(name, noExceptions) {
      const text = files.get(name)
      if (text === undefined) return undefined
      try {
        return JSON.parse(text)
      } catch (e) {
        if (noExceptions) return undefined
        throw e
      }
    },
    write(name, data) {
      files.set(name, data)
      return true
    },
    writeJSON(name, data) {
      files.set(name, JSON.stringify(data))
      return true
    },
    erase: (name) => void files.delete(name),
    list: () => [...files.keys()],
  }
}

const storageOf = new WeakMap<Store, ReturnType<typeof memoryStorage>>()

describeStoreContract(
  'Espruino Storage',
  () => {
    const storage = memoryStorage()
    const store = openStorageStore(storage, { maxStoredBytes: 1 << 20 })
    storageOf.set(store, storage)
    return store
  },
  {
    reopen: (store) => {
      const rebooted = memoryStorage(new Map(storageOf.get(store)?.files))
      const again = openStorageStore(rebooted, { maxStoredBytes: 1 << 20 })
      storageOf.set(again, rebooted)
      return again
    },
  },
)

test('the stored ring keeps its byte bound: the oldest messages go first, each reported', () => {
  const dropped: QueuedMessage[] = []
  const storage = memoryStorage()
  const store = openStorageStore(storage, {
    maxStoredBytes: 100,
    onOverflow: (m) => dropped.push(m),
  })
  const payload = new Uint8Array(20)
  for (let n = 0; n < 6; n++) {
    store.storedQueue.enqueue({ topic: `t/${n}`, payload, qos: 1, createdMs: n, expiresMs: null })
  }
  // 23 bytes each: four fit in 100
  assert.deepEqual(
    dropped.map((m) => m.topic),
    ['t/0', 't/1'],
  )
  const again = openStorageStore(memoryStorage(new Map(storage.files)), { maxStoredBytes: 100 })
  assert.deepEqual(
    again.storedQueue.peek(10, 0).map((m) => m.topic),
    ['t/2', 't/3', 't/4', 't/5'],
  )
  const next = again.storedQueue.enqueue({
    topic: 'x',
    payload,
    qos: 1,
    createdMs: 9,
    expiresMs: null,
  })
  assert.ok(next.id > 6, 'ids keep increasing across a reopen')
})

describeSessionStoreContract('Espruino Storage', () => {
  const storage = memoryStorage()
  return {
    store: openStorageSessionStore(storage),
    reopen: () => openStorageSessionStore(memoryStorage(storage.files)),
  }
})

test('session records: one 8-bit string file each, beside the other files, none when empty', () => {
  const storage = memoryStorage(new Map([['astarte.q', '{"n":1,"q":[]}']]))
  const store = openStorageSessionStore(storage)
  store.put(0, Uint8Array.of(0x00, 0x09))
  store.put(300, Uint8Array.of(0x01, 0xff))
  assert.deepEqual(
    [...storage.files],
    [
      ['astarte.q', '{"n":1,"q":[]}'],
      ['astarte.s0', '\x00\x09'],
      ['astarte.s300', '\x01\xff'],
    ],
  )
  store.put(0, new Uint8Array(0))
  store.delete(300)
  assert.deepEqual([...storage.files.keys()], ['astarte.q'])
})
