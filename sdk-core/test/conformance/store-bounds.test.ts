/**
 * spec §3.8, §3.9: properties are always effectively `stored`, and device-owned properties changed
 * while offline must reach Astarte after reconnecting, whatever a bounded store does when full —
 * refuse the new message (`reject-new`) or evict the oldest (`drop-oldest`). And a queued message
 * is sent only if it still fits the interface version in the introspection (spec §3.3, §3.10).
 * On the Loopback: `FakeAstarte.deviceProperties` is what Astarte ends up with.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { SdkError } from '@astarte-ts/sdk-core'
import type { NewQueuedMessage, QueuedMessage } from '@astarte-ts/sdk-core'
import { MemoryQueue, MemoryStore } from '@astarte-ts/runtime-testing'
import { fcOptions } from '../bson/fc-config.js'
import { iface } from '../protocol/fixtures.js'
import { P, harness, ifaces, individual, unset } from '../device/harness.js'

/** A stored queue holding at most `max` messages, with either overflow policy. */
class BoundedQueue extends MemoryQueue {
  constructor(
    readonly max: number,
    readonly policy: 'drop-oldest' | 'reject-new',
  ) {
    super()
  }

  override enqueue(message: NewQueuedMessage): QueuedMessage {
    if (this.count() >= this.max && this.policy === 'reject-new') {
      throw new SdkError('local.store_full', "couldn't enqueue: the stored retention queue is full")
    }
    while (this.count() >= this.max) {
      const [oldest] = this.peek(1, 0)
      if (oldest === undefined) break
      this.remove(oldest.id)
    }
    return super.enqueue(message)
  }
}

const deviceCache = (store: MemoryStore): Map<string, Uint8Array> =>
  new Map(store.properties.list('device').map((p) => [`${p.interfaceName}${p.path}`, p.payload]))

type Op =
  | { readonly type: 'set'; readonly id: string; readonly value: number }
  | { readonly type: 'unset'; readonly id: string }
  | { readonly type: 'data'; readonly value: number }

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    type: fc.constant('set' as const),
    id: fc.constantFrom('a', 'b'),
    value: fc.constantFrom(1, 2),
  }),
  fc.record({ type: fc.constant('unset' as const), id: fc.constantFrom('a', 'b') }),
  fc.record({ type: fc.constant('data' as const), value: fc.integer({ min: 0, max: 9 }) }),
)

test('property: whatever a full bounded store drops or refuses offline, Astarte ends up with the device cache after reconnecting', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3 }),
      fc.constantFrom('drop-oldest' as const, 'reject-new' as const),
      fc.array(op, { maxLength: 12 }),
      fc.array(op, { maxLength: 4 }),
      (max, policy, online, offline) => {
        const store = new MemoryStore({
          properties: new MemoryStore().properties,
          meta: new MemoryStore().meta,
          storedQueue: new BoundedQueue(max, policy),
        })
        const h = harness({ store })
        h.lb.feed({ type: 'start' })
        const run = (o: Op): void => {
          const data =
            o.type === 'set'
              ? individual(ifaces.devProps, `/${o.id}/value`, o.value)
              : o.type === 'unset'
                ? unset(ifaces.devProps, `/${o.id}/value`)
                : individual(ifaces.stored, '/s/value', o.value)
          try {
            h.send(data)
          } catch (e) {
            // a refused enqueue fails that send (the runtime rejects its promise)
            assert.ok(e instanceof SdkError && e.code === 'local.store_full', String(e))
          }
        }
        for (const o of online) run(o)
        h.lb.dropConnection()
        for (const o of offline) run(o)
        h.lb.advance(60_000)
        // once there is room again, setting each property to what the device holds is a no-op
        // for the device and must leave Astarte with the same value
        for (const o of offline) if (o.type === 'set') run(o)
        h.lb.advance(60_000)
        assert.ok(h.astarte.connected)
        assert.deepEqual(h.astarte.deviceProperties, deviceCache(store))
      },
    ),
    { ...fcOptions, numRuns: Math.min(fcOptions.numRuns, 500) },
  )
})

test('reject-new: a refused property set leaves the cache as it was', () => {
  const store = new MemoryStore({
    properties: new MemoryStore().properties,
    meta: new MemoryStore().meta,
    storedQueue: new BoundedQueue(1, 'reject-new'),
  })
  const h = harness({ store })
  h.send(individual(ifaces.stored, '/s/value', 1))
  const opId = h.send(individual(ifaces.devProps, '/a/value', 5))
  const failed = h.lb.eventsOf('sendFailed').find((e) => e.opId === opId)
  assert.equal(failed?.error.code, 'local.store_full', 'the send fails with the queue full')
  assert.equal(store.properties.get('org.dev.Props', '/a/value'), undefined)
})

test('a queued datapoint that no longer fits the interface after a major change is dropped, not sent', () => {
  const v2 = iface('org.dev.Stored', { type: 'datastream', ownership: 'device', major: 2 }, [
    { endpoint: '/%{id}/value', type: 'string', reliability: 'guaranteed', retention: 'stored' },
  ])
  const h = harness()
  h.send(individual(ifaces.stored, '/s/value', 1.5))
  h.lb.feed({ type: 'addInterface', iface: v2 })
  h.send(individual(v2, '/s/value', 'two'))
  h.lb.feed({ type: 'start' })
  const data = h.astarte.received.filter((m) => m.topic === `${P}/org.dev.Stored/s/value`)
  assert.equal(data.length, 1, 'only the datapoint of major 2')
  assert.equal(h.store.storedQueue.count(), 0, 'the stale one left the queue')
})
