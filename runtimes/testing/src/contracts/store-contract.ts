/**
 * @module store contract: the behaviour every `Store` adapter must show (style rule 13), run by
 * each runtime against its own store: in-memory here, SQLite in runtime-node. An adapter with
 * transactions (the runtime's group commit) also shows that a transaction that fails, in its
 * body or at its commit, leaves the durable parts exactly as they were.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { NewQueuedMessage, RetentionQueue, Store, StoredProperty } from '@astarte-ts/sdk-core'

export interface StoreContractOptions {
  /** Reopens the store as a restarted process would; enables the durability tests. */
  readonly reopen?: (store: Store) => Store | Promise<Store>
  /** Releases a store made by the factory or by `reopen`. */
  readonly dispose?: (store: Store) => void | Promise<void>
  /** Runs `fn` in one transaction of `store`; enables the transaction tests. */
  readonly batch?: <T>(store: Store, fn: () => T) => T
  /** Makes the next commit of `store` fail, as a full disk does; enables that test. */
  readonly failNextCommit?: (store: Store) => void
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

    const batch = options.batch
    if (batch !== undefined) describeTransactions(withStore, batch, options.failNextCommit)

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

type WithStore = (fn: (s: Store) => void | Promise<void>) => () => Promise<void>

// what a test transaction changes, and what the store holds (to compare before and after)
function writeSome(s: Store, removed: number): void {
  s.storedQueue.enqueue(message(90))
  s.storedQueue.remove(removed)
  s.properties.set(prop('/in-tx'))
  s.properties.delete('org.example.Props', '/kept')
  s.meta.set('k', 'in-tx')
  s.meta.delete('gone')
}

function contents(s: Store): unknown {
  return {
    queue: s.storedQueue.peek(100, 0),
    count: s.storedQueue.count(),
    properties: s.properties.list(),
    meta: [s.meta.get('k'), s.meta.get('gone')],
  }
}

function describeTransactions(
  withStore: WithStore,
  batch: <T>(store: Store, fn: () => T) => T,
  failNextCommit: ((store: Store) => void) | undefined,
): void {
  const seed = (s: Store): number => {
    s.properties.set(prop('/kept'))
    s.meta.set('k', 'before')
    s.meta.set('gone', 'still here')
    s.storedQueue.enqueue(message(1))
    return s.storedQueue.enqueue(message(2)).id
  }
  test(
    'transaction: a committed one keeps every write',
    withStore((s) => {
      const removed = seed(s)
      batch(s, () => writeSome(s, removed))
      assert.deepEqual(
        s.storedQueue.peek(10, 0).map((m) => m.topic),
        [message(1).topic, message(90).topic],
      )
      assert.deepEqual(s.properties.get('org.example.Props', '/in-tx'), prop('/in-tx'))
      assert.equal(s.properties.get('org.example.Props', '/kept'), undefined)
      assert.deepEqual([s.meta.get('k'), s.meta.get('gone')], ['in-tx', undefined])
    }),
  )
  test(
    'transaction: one whose body throws leaves the store as it was, ids still increasing',
    withStore((s) => {
      const removed = seed(s)
      const before = contents(s)
      const failure = new Error('thrown in the transaction')
      assert.throws(
        () =>
          batch(s, () => {
            writeSome(s, removed)
            throw failure
          }),
        (e: unknown) => e === failure,
      )
      assert.deepEqual(contents(s), before)
      assert.ok(s.storedQueue.enqueue(message(3)).id > removed)
    }),
  )
  if (failNextCommit !== undefined) {
    test(
      'transaction: one whose commit fails throws and leaves the store as it was',
      withStore((s) => {
        const removed = seed(s)
        const before = contents(s)
        failNextCommit(s)
        assert.throws(() => batch(s, () => writeSome(s, removed)))
        assert.deepEqual(contents(s), before)
        batch(s, () => s.meta.set('k', 'after'))
        assert.equal(s.meta.get('k'), 'after', 'the store writes again')
      }),
    )
  }
}
