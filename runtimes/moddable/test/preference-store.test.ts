/**
 * The `Preference` store on the store contract every runtime's store passes, over an in-memory
 * Preference with NVS's limits (names of 15 characters, values of 4000 bytes) that survives a
 * reboot; and its `stored` ring's bounds. The MQTT session store on the same Preference meets
 * its contract too. A record over one value is split in chunks and read back whole; a reboot at
 * any step of the writes leaves each record as it was before the write cut short, as after it,
 * or absent, never a mix; a record that fits keeps the key and format it always had.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { describeSessionStoreContract, describeStoreContract } from '@astarte-ts/runtime-testing'
import { base64Encode, type Store } from '@astarte-ts/sdk-core'
import {
  openPreferenceSessionStore,
  openPreferenceStore,
  type PreferenceApi,
} from '../src/preference-store.js'

type Value = string | number | boolean | ArrayBuffer
type Nvs = Map<string, Map<string, Value>>

/** Power lost: the step that threw and every later one did nothing. */
class PowerLoss extends Error {}

interface MemoryPreference extends PreferenceApi {
  readonly nvs: Nvs
  /** `set` and `delete` steps taken so far (a `set` is two). */
  readonly steps: number
  /** Whether the power was lost. */
  readonly dead: boolean
}

/**
 * Moddable's Preference on ESP32 NVS, in memory: names of 15 characters, a blob of 4000 bytes, a
 * string of 3999 (4000 with its NUL). A `set` erases the key, then writes it, as Moddable's does
 * (so a write NVS refuses leaves the key absent). Given `cut`, the power goes at that step (each
 * erase or write counts one): it and every step after it throw `PowerLoss`. Given `capacity`,
 * a write past that many value bytes in all is refused, like a full partition.
 */
function memoryPreference(
  nvs: Nvs = new Map(),
  { cut = Infinity, capacity = Infinity } = {},
): MemoryPreference {
  let steps = 0
  let dead = false
  const domain = (name: string) => {
    if (name.length > 15) throw new Error(`domain ${name} too long`)
    let d = nvs.get(name)
    if (d === undefined) nvs.set(name, (d = new Map()))
    return d
  }
  const step = () => {
    if (steps++ >= cut) dead = true
    if (dead) throw new PowerLoss('power lost')
  }
  const size = (value: Value) =>
    typeof value === 'string'
      ? Buffer.byteLength(value) + 1
      : value instanceof ArrayBuffer
        ? value.byteLength
        : 4
  const used = () =>
    [...nvs.values()].flatMap((d) => [...d.values()]).reduce<number>((n, v) => n + size(v), 0)
  return {
    nvs,
    get steps() {
      return steps
    },
    get dead() {
      return dead
    },
    get: (d, key) => domain(d).get(key),
    set(d, key, value) {
      step()
      domain(d).delete(key)
      step()
      if (key.length > 15) throw new Error(`key ${key} too long`)
      if (size(value) > 4000) throw new Error('value too large')
      if (used() + size(value) > capacity) throw new Error('no space')
      domain(d).set(key, value)
    },
    delete(d, key) {
      step()
      domain(d).delete(key)
    },
    keys: (d) => [...domain(d).keys()],
  }
}

/** A copy of `nvs`, as a reboot finds it. */
const reboot = (nvs: Nvs): Nvs => new Map([...nvs].map(([k, v]) => [k, new Map(v)]))

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
      const nvs = reboot(nvsOf.get(store) ?? new Map())
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

describeSessionStoreContract('Moddable Preference', () => {
  const prefs = memoryPreference()
  return {
    store: openPreferenceSessionStore(prefs),
    reopen: () => openPreferenceSessionStore(memoryPreference(prefs.nvs)),
  }
})

/** Bytes that tell one write from another: `seed` shifts every byte. */
const filled = (size: number, seed: number) =>
  Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed * 7 + 1) & 255)

/** A chunk key (`<key>.<i>` or `<key>:<i>`) split; `undefined` for a record key. */
const chunkOf = (key: string) => /^(.*)([.:])(\d+)$/.exec(key) ?? undefined

/** Chunks in `domain` that no head counts: a head is `chunks × 2 + set`, `:` marking set 1. */
function orphans(nvs: Nvs, domain: string): string[] {
  const d = nvs.get(domain) ?? new Map<string, Value>()
  return [...d.keys()].filter((key) => {
    const m = chunkOf(key)
    if (m === null || m === undefined) return false
    const head = d.get(m[1] as string)
    return !(
      typeof head === 'number' &&
      Number(m[3]) < head >> 1 &&
      (head & 1) === (m[2] === ':' ? 1 : 0)
    )
  })
}

const property = (path: string, payload: Uint8Array) => ({
  interfaceName: 'org.example.P',
  major: 1,
  path,
  ownership: 'device' as const,
  payload,
})

const message = (n: number, size: number) => ({
  topic: `t/${n}`,
  payload: filled(size, n),
  qos: 1 as const,
  createdMs: n,
  expiresMs: null,
})

test('a record over one preference goes in chunks and reads back whole after a reboot', () => {
  const prefs = memoryPreference()
  const store = openPreferenceStore(prefs)
  const session = openPreferenceSessionStore(prefs)
  store.properties.set(property('/big', filled(9000, 1)))
  const queued = store.storedQueue.enqueue(message(2, 9000))
  store.meta.set('long', 'x'.repeat(5000))
  session.put(5, filled(9000, 3))

  const nvs = reboot(prefs.nvs)
  const again = openPreferenceStore(memoryPreference(nvs))
  assert.deepEqual(again.properties.get('org.example.P', '/big')?.payload, filled(9000, 1))
  assert.deepEqual(again.storedQueue.peek(10, 0), [queued])
  assert.equal(again.meta.get('long'), 'x'.repeat(5000))
  assert.deepEqual(openPreferenceSessionStore(memoryPreference(nvs)).load(), [[5, filled(9000, 3)]])
  // under each record's key its head, a number counting the chunks next to it
  for (const [domain, key] of [
    ['astp', 'p0'],
    ['astq', `q${queued.id}`],
    ['astm', 'm'],
    ['astms', '5'],
  ] as const) {
    const d = nvs.get(domain) ?? new Map<string, Value>()
    const head = d.get(key)
    assert.equal(typeof head, 'number', `${domain}/${key}`)
    const chunks = [...d.keys()].filter((k) => chunkOf(k)?.[1] === key)
    assert.equal(chunks.length, (head as number) >> 1)
    assert.ok(chunks.length > 1)
    assert.deepEqual(orphans(nvs, domain), [])
  }

  // rewritten bigger, then small: the old chunks go, and the small one is one value again
  again.properties.set(property('/big', filled(13000, 4)))
  assert.deepEqual(orphans(nvs, 'astp'), [])
  assert.deepEqual(
    openPreferenceStore(memoryPreference(reboot(nvs))).properties.get('org.example.P', '/big')
      ?.payload,
    filled(13000, 4),
  )
  again.properties.set(property('/big', filled(10, 5)))
  assert.deepEqual([...(nvs.get('astp')?.keys() ?? [])], ['p0'])
  assert.equal(typeof nvs.get('astp')?.get('p0'), 'string')
  again.storedQueue.remove(queued.id)
  assert.deepEqual(
    [...(nvs.get('astq')?.keys() ?? [])].filter((k) => k !== 'n'),
    [],
  )
})

test('records that fit one preference keep the key and format they always had', () => {
  // as a device in the field holds them
  const nvs: Nvs = new Map([
    ['astp', new Map<string, Value>([['p3', '["org.example.P",1,"/a","device","AQI="]']])],
    [
      'astq',
      new Map<string, Value>([
        ['q7', '["t/7",1,70,null,"AwQF"]'],
        ['n', 8],
      ]),
    ],
    ['astm', new Map<string, Value>([['m', '{"astarte.synced":"1"}']])],
    ['astms', new Map<string, Value>([['4', Uint8Array.of(0x32, 0, 1, 0x74, 0, 4).buffer]])],
  ])
  const prefs = memoryPreference(nvs)
  const store = openPreferenceStore(prefs)
  assert.deepEqual(store.properties.get('org.example.P', '/a')?.payload, Uint8Array.of(1, 2))
  assert.deepEqual(store.storedQueue.peek(10, 0), [
    {
      id: 7,
      topic: 't/7',
      qos: 1,
      createdMs: 70,
      expiresMs: null,
      payload: Uint8Array.of(3, 4, 5),
    },
  ])
  assert.equal(store.meta.get('astarte.synced'), '1')
  const session = openPreferenceSessionStore(prefs)
  assert.deepEqual(session.load(), [[4, Uint8Array.of(0x32, 0, 1, 0x74, 0, 4)]])

  // and new ones are written so: a JSON array, an ArrayBuffer of exactly the record
  const m = store.storedQueue.enqueue(message(8, 3))
  assert.equal(
    nvs.get('astq')?.get(`q${m.id}`),
    JSON.stringify(['t/8', 1, 8, null, base64Encode(filled(3, 8))]),
  )
  session.put(6, filled(4000, 6))
  assert.deepEqual(new Uint8Array(nvs.get('astms')?.get('6') as ArrayBuffer), filled(4000, 6))
  assert.deepEqual([...(nvs.get('astms')?.keys() ?? [])], ['4', '6'])
})

test('a message larger than the ring is refused (local.store_full), nothing changed', () => {
  const prefs = memoryPreference()
  const store = openPreferenceStore(prefs, { storedBytes: 9000 })
  const kept = store.storedQueue.enqueue(message(1, 5000))
  const before = [...(prefs.nvs.get('astq') ?? [])]
  assert.throws(
    () => store.storedQueue.enqueue(message(2, 9000)),
    (e: unknown) => (e as { code?: string }).code === 'local.store_full',
  )
  assert.deepEqual(store.storedQueue.peek(10, 0), [kept])
  assert.deepEqual([...(prefs.nvs.get('astq') ?? [])], before)
  // one that fits the bound goes in, the oldest making room
  const big = store.storedQueue.enqueue(message(3, 8990))
  assert.deepEqual(store.storedQueue.peek(10, 0), [big])
})

test('a write the partition refuses: a typed error or onDropped, no chunk left, the previous version kept', () => {
  const prefs = memoryPreference(new Map(), { capacity: 12000 })
  const store = openPreferenceStore(prefs)
  store.properties.set(property('/p', filled(100, 1)))
  assert.throws(
    () => store.properties.set(property('/p', filled(9000, 2))),
    (e: unknown) => (e as { code?: string }).code === 'local.store_value_too_large',
  )
  assert.deepEqual(store.properties.get('org.example.P', '/p')?.payload, filled(100, 1))
  assert.deepEqual(prefs.keys('astp'), ['p0'])
  const again = openPreferenceStore(memoryPreference(reboot(prefs.nvs)))
  assert.deepEqual(again.properties.get('org.example.P', '/p')?.payload, filled(100, 1))

  const dropped: [number, number][] = []
  const session = openPreferenceSessionStore(prefs, (key, bytes) => dropped.push([key, bytes]))
  session.put(3, filled(9000, 3))
  assert.deepEqual(dropped, [[3, 9000]])
  assert.deepEqual(prefs.keys('astms'), [])
})

test('session records: an ArrayBuffer per record in astms, a longer one in chunks', () => {
  const prefs = memoryPreference()
  const dropped: [number, number][] = []
  const store = openPreferenceSessionStore(prefs, (key, bytes) => dropped.push([key, bytes]))
  store.put(12, Uint8Array.of(1, 2, 3))
  store.put(13, filled(4001, 13))
  assert.deepEqual(dropped, [])
  const astms = prefs.nvs.get('astms')
  assert.deepEqual(new Uint8Array(astms?.get('12') as ArrayBuffer), Uint8Array.of(1, 2, 3))
  assert.equal(typeof astms?.get('13'), 'number')
  assert.deepEqual(openPreferenceSessionStore(memoryPreference(reboot(prefs.nvs))).load(), [
    [12, Uint8Array.of(1, 2, 3)],
    [13, filled(4001, 13)],
  ])
  // a record's number grows with each publish of a run (from 1 after a reboot with none left): a
  // key stays within NVS's 15 characters up to 10^15 publishes, a chunked record's (two or three
  // characters more) up to 10^12
  store.put(99_999_999_999_999, Uint8Array.of(1))
  store.put(999_999_999_999, filled(9000, 1))
  // too long a key for its chunks: left out and told, the version before it kept
  store.put(99_999_999_999_999, filled(9000, 2))
  assert.deepEqual(dropped, [[99_999_999_999_999, 9000]])
  const loaded = new Map(openPreferenceSessionStore(memoryPreference(reboot(prefs.nvs))).load())
  assert.deepEqual(loaded.get(999_999_999_999), filled(9000, 1))
  assert.deepEqual(loaded.get(99_999_999_999_999), Uint8Array.of(1))
})

/**
 * Runs `ops` on a store `open` opens, the power lost at each step they take in turn: `check`
 * gets the NVS as the reboot finds it and the index of the op cut short (`ops.length`: none).
 */
function atEveryCut<S>(
  open: (prefs: PreferenceApi) => S,
  ops: readonly ((s: S) => void)[],
  check: (nvs: Nvs, cutOp: number) => void,
): void {
  const whole = memoryPreference()
  const s = open(whole)
  for (const op of ops) op(s)
  for (let cut = 0; cut <= whole.steps; cut++) {
    const prefs = memoryPreference(new Map(), { cut })
    const store = open(prefs)
    let i = 0
    try {
      for (; i < ops.length && !prefs.dead; i++) ops[i]?.(store)
      // the session store swallows a failed write (onDropped): the op that met the cut was last
      if (prefs.dead) i--
    } catch (e) {
      // what a store throws once the power is gone no one sees
      if (!prefs.dead) throw e
    }
    check(reboot(prefs.nvs), i)
  }
}

/**
 * Records after a cut in op `i` of a run whose records were `states[j]` after op `j - 1`: one
 * untouched by op `i` is as before it; the one it wrote or deleted is as before, as after, or
 * gone; nothing else is there. With no op cut short, the records are the last state.
 */
function assertBetween(
  loaded: Map<string, string>,
  states: readonly Map<string, string>[],
  i: number,
): void {
  const before = states[i] as Map<string, string>
  const after = states[i + 1] ?? before
  for (const key of new Set([...before.keys(), ...after.keys(), ...loaded.keys()])) {
    const allowed =
      before.get(key) === after.get(key)
        ? [before.get(key)]
        : [before.get(key), after.get(key), undefined]
    assert.ok(allowed.includes(loaded.get(key)), `record ${key} after a cut in op ${i}`)
  }
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

test('session store: a reboot at any step leaves each record before, after or gone, never a mix', () => {
  const op = fc.oneof(
    fc.record({
      key: fc.integer({ min: 1, max: 3 }),
      size: fc.oneof(fc.integer({ min: 0, max: 4000 }), fc.integer({ min: 4001, max: 12000 })),
    }),
    fc.record({ key: fc.integer({ min: 1, max: 3 }), size: fc.constant(-1) }),
  )
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 6 }), (spec) => {
      const ops = spec.map(
        ({ key, size }, n) =>
          (s: ReturnType<typeof openPreferenceSessionStore>) =>
            size < 0 ? s.delete(key) : s.put(key, filled(size, n)),
      )
      const states = [new Map<string, string>()]
      for (const [n, { key, size }] of spec.entries()) {
        const next = new Map(states[n])
        if (size > 0) next.set(`${key}`, hex(filled(size, n)))
        else next.delete(`${key}`)
        states.push(next)
      }
      atEveryCut(
        (prefs) =>
          openPreferenceSessionStore(prefs, () => {
            if (!(prefs as MemoryPreference).dead) assert.fail('a record dropped')
          }),
        ops,
        (nvs, i) => {
          const loaded = openPreferenceSessionStore(memoryPreference(nvs)).load()
          assertBetween(new Map(loaded.map(([k, r]) => [`${k}`, hex(r)])), states, i)
          assert.deepEqual(orphans(nvs, 'astms'), [])
        },
      )
    }),
    { numRuns: 40 },
  )
})

test('stored ring: a reboot at any step leaves each message before, after or gone, within its bounds', () => {
  const limits = { storedBytes: 20000, storedCount: 3 }
  const op = fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 9000 }) },
    { weight: 1, arbitrary: fc.constant(-1) },
  )
  const show = (store: Store) =>
    new Map(
      store.storedQueue
        .peek(100, 0)
        .map((m) => [
          `${m.id}`,
          JSON.stringify([m.topic, m.qos, m.createdMs, m.expiresMs, hex(m.payload)]),
        ]),
    )
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 6 }), (sizes) => {
      const ops = sizes.map((size, n) => (s: Store) => {
        if (size >= 0) s.storedQueue.enqueue(message(n, size))
        else for (const m of s.storedQueue.peek(1, 0)) s.storedQueue.remove(m.id)
      })
      const model = openPreferenceStore(memoryPreference(), limits)
      const states = [show(model)]
      for (const o of ops) {
        o(model)
        states.push(show(model))
      }
      atEveryCut(
        (prefs) => openPreferenceStore(prefs, limits),
        ops,
        (nvs, i) => {
          const again = openPreferenceStore(memoryPreference(nvs), limits)
          const loaded = again.storedQueue.peek(100, 0)
          assertBetween(show(again), states, i)
          assert.ok(loaded.length <= limits.storedCount)
          const bytes = loaded.reduce((n, m) => n + m.payload.length + m.topic.length, 0)
          assert.ok(bytes <= limits.storedBytes)
          assert.deepEqual(orphans(nvs, 'astq'), [])
        },
      )
    }),
    { numRuns: 40 },
  )
})

test('property cache: a reboot at any step leaves each property before, after or gone, never a mix', () => {
  const op = fc.record({
    path: fc.constantFrom('/a', '/b'),
    size: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 2001, max: 9000 })),
    remove: fc.boolean(),
  })
  const show = (store: Store) =>
    new Map(store.properties.list().map((p) => [p.path, hex(p.payload)]))
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 6 }), (spec) => {
      const ops = spec.map(({ path, size, remove }, n) => (s: Store) => {
        if (remove) s.properties.delete('org.example.P', path)
        else s.properties.set(property(path, filled(size, n)))
      })
      const model = openPreferenceStore(memoryPreference())
      const states = [show(model)]
      for (const o of ops) {
        o(model)
        states.push(show(model))
      }
      atEveryCut(openPreferenceStore, ops, (nvs, i) => {
        assertBetween(show(openPreferenceStore(memoryPreference(nvs))), states, i)
        assert.deepEqual(orphans(nvs, 'astp'), [])
      })
    }),
    { numRuns: 40 },
  )
})
