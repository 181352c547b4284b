/**
 * The session against a broker that acks late, loses acks with the connection, and keeps the
 * session across reconnects: every op completes exactly once, QoS 2 reaches the broker exactly
 * once, QoS 1 at least once, and no packet id is reused in flight (checked by the broker). Against
 * one that also loses the session: every op completes once or is dropped once, never both, and
 * nothing reaches the broker twice but QoS 1.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { MqttSession } from '@astarte-ts/sdk-core'
import { numRuns } from '../bson/fc-config.js'
import { BrokerResponder, Loopback } from './broker-responder.js'

type Step =
  | { readonly kind: 'publish'; readonly qos: 0 | 1 | 2 }
  | { readonly kind: 'ack'; readonly n: number; readonly lost: boolean }
  | { readonly kind: 'reconnect' }

const arbStep: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('publish' as const), qos: fc.constantFrom(0, 1, 2) }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('ack' as const), n: fc.nat(6), lost: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'reconnect' as const }) },
)

const arbSteps = fc.array(arbStep, { maxLength: 80 })

function reconnect(loop: Loopback, t: number): void {
  loop.run({ type: 'closed' }, t)
  loop.broker.reconnect()
  loop.connect(t, true)
}

test('ops complete exactly once through late and lost acks and reconnects', () => {
  fc.assert(
    fc.property(arbSteps, fc.integer({ min: 1, max: 8 }), (steps, maxInflight) => {
      const loop = new Loopback(new MqttSession({ maxInflight }), new BrokerResponder())
      const qosOf: (0 | 1 | 2)[] = []
      let t = 0
      loop.connect(t)
      for (const step of steps) {
        t += 1
        switch (step.kind) {
          case 'publish': {
            const opId = qosOf.push(step.qos) - 1
            const payload = Uint8Array.of(opId)
            loop.run({ type: 'publish', topic: 'r/d/p', payload, qos: step.qos, opId }, t)
            break
          }
          case 'ack': {
            const acks = loop.broker.ack(step.n)
            if (!step.lost) loop.run({ type: 'bytes', data: acks }, t)
            else reconnect(loop, t)
            break
          }
          case 'reconnect':
            reconnect(loop, t)
        }
      }
      // Settle: every loss is repaired by a resend once the connection is back.
      reconnect(loop, ++t)
      for (let round = 0; loop.session.inflightCount + loop.session.queuedCount > 0; round++) {
        assert.ok(round < 200, 'the session settles')
        loop.run({ type: 'bytes', data: loop.broker.ack() }, ++t)
      }
      const published = loop.events.flatMap((e) => (e.type === 'published' ? [e.opId] : []))
      assert.deepEqual(
        [...published].sort((a, b) => a - b),
        qosOf.map((_, i) => i),
      )
      const accepted = new Map<number, number>()
      for (const b of loop.broker.accepted) accepted.set(b[0]!, (accepted.get(b[0]!) ?? 0) + 1)
      qosOf.forEach((qos, i) => {
        const n = accepted.get(i) ?? 0
        assert.ok(qos === 1 ? n >= 1 : n === 1, `op ${i} qos ${qos} accepted ${n} times`)
      })
    }),
    { seed: 0x5e55_1011, numRuns: Math.max(100, Math.floor(numRuns / 20)) },
  )
})

test('a broker that also loses the session: each op completes or is dropped, once; no QoS 2 twice', () => {
  const arbLossy = fc.array(
    fc.oneof(
      { weight: 9, arbitrary: arbStep },
      { weight: 1, arbitrary: fc.constant({ kind: 'lost' as const }) },
    ),
    { maxLength: 80 },
  )
  fc.assert(
    fc.property(arbLossy, fc.integer({ min: 1, max: 8 }), (steps, maxInflight) => {
      const loop = new Loopback(new MqttSession({ maxInflight }), new BrokerResponder())
      const qosOf: (0 | 1 | 2)[] = []
      let t = 0
      loop.connect(t)
      for (const step of steps) {
        t += 1
        switch (step.kind) {
          case 'publish': {
            const opId = qosOf.push(step.qos) - 1
            const payload = Uint8Array.of(opId)
            loop.run({ type: 'publish', topic: 'r/d/p', payload, qos: step.qos, opId }, t)
            break
          }
          case 'ack': {
            const acks = loop.broker.ack(step.n)
            if (!step.lost) loop.run({ type: 'bytes', data: acks }, t)
            else reconnect(loop, t)
            break
          }
          case 'reconnect':
            reconnect(loop, t)
            break
          case 'lost':
            loop.run({ type: 'closed' }, t)
            loop.broker.forgetSession()
            loop.connect(t, false)
        }
      }
      reconnect(loop, ++t)
      for (let round = 0; loop.session.inflightCount + loop.session.queuedCount > 0; round++) {
        assert.ok(round < 200, 'the session settles')
        loop.run({ type: 'bytes', data: loop.broker.ack() }, ++t)
      }
      const ends = new Map<number, number>()
      for (const e of loop.events) {
        const ids = e.type === 'published' ? [e.opId] : e.type === 'connected' ? e.dropped : []
        for (const id of ids) ends.set(id, (ends.get(id) ?? 0) + 1)
      }
      qosOf.forEach((_, i) => assert.equal(ends.get(i), 1, `op ${i} ends once`))
      const accepted = new Map<number, number>()
      for (const b of loop.broker.accepted) accepted.set(b[0]!, (accepted.get(b[0]!) ?? 0) + 1)
      qosOf.forEach((qos, i) => {
        if (qos !== 1) assert.ok((accepted.get(i) ?? 0) <= 1, `op ${i} qos ${qos} twice`)
      })
    }),
    { seed: 0x5e55_1012, numRuns: Math.max(100, Math.floor(numRuns / 20)) },
  )
})
