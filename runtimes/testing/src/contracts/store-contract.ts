/**
 * @module store contract: the behaviour every `Store` adapter must show (style rule 13), run by
 * each runtime against its own store: in-memory here, SQLite in runtime-node.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { NewQueuedMessage, RetentionQueue, Store, StoredProperty } from '@astarte-ts/sdk-core'

export interface StoreContractOptions {
  /** Reopens the store as a restarted process would; enables the durability tests. */
  readonly reopen?: (store: Store) => Store | Promise<Store>
  /** Releases a store made by the factory or by `reopen`. */
  readonly dispose?: (store: Store) => void | Promise<void>
}

const prop = (path: string, overrides: Partial<StoredProperty> = {}): StoredProperty => ({
  interfaceName: 'org.example.Props',
  major: 1,
  path,
  ownership: 'device',
  payload: Uint8Array.from([0x09, 0, 0, 0, 0x08, 0x76, 0, 1, 0]),
  ...overrides,
})

const message = (n: number, overrides: Partial<NewQueuedMessage> = {}): NewQueuedMessage => ({
  topic: `realm/dev/org.example.Stream/${n}`,
  payload: Uint8Array.from([n & 0xff, (n >> 8) & 0xff]),
  qos: 1,
  createdMs: 1_000 + n,
  expiresMs: null,
  ...overrides,
})

function describeQueue(
  label: string,
  open: () => Promise<Store>,
  pick: (s: Store) => RetentionQueue,
  done: (s: Store) => Promise<void>,
): void {
  const withQueue = (fn: (q: RetentionQueue) => void | Promise<void>) => async () => {
    const store = await open()
    try {
      await fn(pick(store))
    } finally {
      await done(store)
    }
  }
  describe(label, () => {
    test(
      'enqueue assigns increasing ids and keeps every field',
      withQueue((q) => {
        const a = q.enqueue(message(1))
        const b = q.enqueue(message(2, { qos: 2, expiresMs: 99_999 }))
        assert.ok(b.id > a.id)
        assert.deepEqual({ ...b, id: 0 }, { ...message(2, { qos: 2, expiresMs: 99_999 }), id: 0 })
        assert.equal(q.count(), 2)
      }),
    )
    test(
      'peek returns up to limit, oldest first, without removing',
      withQueue((q) => {
        for (let n = 0; n < 10; n++) q.enqueue(message(n))
        assert.deepEqual(
          q.peek(3, 0).map((m) => m.topic),
          [0, 1, 2].map((n) => message(n).topic),
        )
        assert.equal(q.peek(100, 0).length, 10)
        assert.equal(q.count(), 10)
      }),
    )
    test(
      'remove forgets one message; unknown ids are ignored',
      withQueue((q) => {
        const ids = [0, 1, 2, 3].map((n) => q.enqueue(message(n)).id)
        q.remove(ids[1] as number)
        q.remove(ids[0] as number)
        q.remove(123_456_789)
        assert.deepEqual(
          q.peek(10, 0).map((m) => m.id),
          ids.slice(2),
        )
        assert.equal(q.count(), 2)
      }),
    )
    test(
      'peek drops expired messages and never returns them',
      withQueue((q) => {
        q.enqueue(message(0, { expiresMs: 5_000 }))
        const live = q.enqueue(message(1, { expiresMs: null }))
        q.enqueue(message(2, { expiresMs: 5_001 }))
        assert.equal(q.peek(10, 4_999).length, 3)
        assert.deepEqual(
          q
            .peek(10, 5_000)
            .map((m) => m.id)
            .slice(0, 1),
          [live.id],
        )
        assert.deepEqual(
          q.peek(10, 6_000).map((m) => m.id),
          [live.id],
        )
        assert.equal(q.count(), 1)
      }),
    )
    test(
      'payload bytes are copied on enqueue',
      withQueue((q) => {
        const m = message(7)
        const payload = m.payload.slice()
        q.enqueue(m)
        m.payload.fill(0xee)
        assert.deepEqual(q.peek(1, 0)[0]?.payload, payload)
      }),
    )
    test(
      'ids stay increasing after the queue drained',
      withQueue((q) => {
        const first = q.enqueue(message(1))
        q.remove(first.id)
        assert.equal(q.count(), 0)
        assert.ok(q.enqueue(message(2)).id > first.id)
      }),
    )
  })
}

/** Registers the `Store` contract tests for one adapter under `describe(name)`. */
export function describeStoreContract(
  name: string,
  makeStore: () => Store | Promise<Store>,
  options: StoreContractOptions = {},
): void {
  const open = async (): Promise<Store> => makeStore()
  const done = async (store: Store): Promise<void> => {
    await options.dispose?.(store)
  }
  const withStore = (fn: (s: Store) => void | Promise<void>) => async () => {
    const store = await open()
    try {
      await fn(store)
    } finally {
      await done(store)
    }
  }

  describe(`Store contract: ${name}`, () => {
    test(
      'properties: set, get, overwrite, delete',
      withStore((s) => {
        assert.equal(s.properties.get('org.example.Props', '/a'), undefined)
        s.properties.set(prop('/a'))
        assert.deepEqual(s.properties.get('org.example.Props', '/a'), prop('/a'))
        const newer = prop('/a', { major: 2, payload: Uint8Array.from([1, 2, 3]) })
        s.properties.set(newer)
        assert.deepEqual(s.properties.get('org.example.Props', '/a'), newer)
        s.properties.delete('org.example.Props', '/a')
        s.properties.delete('org.example.Props', '/never-set')
        assert.equal(s.properties.get('org.example.Props', '/a'), undefined)
      }),
    )
    test(
      'properties: list filters by ownership; keys are (interface, path)',
      withStore((s) => {
        s.properties.set(prop('/a'))
        s.properties.set(prop('/a', { interfaceName: 'org.example.Other' }))
        s.properties.set(prop('/b', { interfaceName: 'org.example.Server', ownership: 'server' }))
        const key = (p: StoredProperty): string => `${p.interfaceName}${p.path}`
        assert.deepEqual(s.properties.list().map(key).sort(), [
          'org.example.Other/a',
          'org.example.Props/a',
          'org.example.Server/b',
        ])
        assert.deepEqual(s.properties.list('server').map(key), ['org.example.Server/b'])
        assert.equal(s.properties.list('device').length, 2)
      }),
    )
    test(
      'meta: get, set, overwrite, delete',
      withStore((s) => {
        assert.equal(s.meta.get('k'), undefined)
        s.meta.set('k', 'one')
        s.meta.set('k', 'two;with:punctuation')
        assert.equal(s.meta.get('k'), 'two;with:punctuation')
        s.meta.delete('k')
        s.meta.delete('missing')
        assert.equal(s.meta.get('k'), undefined)
      }),
    )
    test(
      'the two queues are independent',
      withStore((s) => {
        s.storedQueue.enqueue(message(1))
        assert.equal(s.volatileQueue.count(), 0)
        assert.equal(s.storedQueue.count(), 1)
      }),
    )
    describeQueue('stored queue', open, (s) => s.storedQueue, done)
    describeQueue('volatile queue', open, (s) => s.volatileQueue, done)

    const reopen = options.reopen
    if (reopen !== undefined) {
      test('a restart keeps properties, stored queue and meta, not volatile', async () => {
        const first = await open()
        first.properties.set(prop('/kept'))
        first.meta.set('synced', '1')
        const kept = first.storedQueue.enqueue(message(1))
        const acked = first.storedQueue.enqueue(message(2))
        first.storedQueue.remove(acked.id)
        first.volatileQueue.enqueue(message(3))
        const second = await reopen(first)
        try {
          assert.deepEqual(second.properties.get('org.example.Props', '/kept'), prop('/kept'))
          assert.equal(second.meta.get('synced'), '1')
          assert.deepEqual(second.storedQueue.peek(10, 0), [kept])
          assert.equal(second.volatileQueue.count(), 0)
          assert.ok(second.storedQueue.enqueue(message(4)).id > acked.id)
        } finally {
          await done(second)
        }
      })
    }
  })
}
