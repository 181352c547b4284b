/**
 * `DeviceMachine.writesStore`: which inputs a runtime must group in a store transaction. Sends
 * write for properties and `stored` retention only; acks only for stored-queue rows and control
 * publishes, so the acks of `discard` and `volatile` messages can skip the transaction.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { DeviceInput } from '@astarte-ts/sdk-core'
import { P, harness, ifaces, individual, unset } from './harness.js'

test('a send writes the store for properties and stored retention only', () => {
  const { machine } = harness()
  const send = (data: ReturnType<typeof individual>): DeviceInput => ({
    type: 'send',
    opId: 1,
    data,
  })
  assert.equal(machine.writesStore(send(individual(ifaces.stored, '/s/value', 1.5))), true)
  assert.equal(machine.writesStore(send(individual(ifaces.devProps, '/p/value', 1.5))), true)
  assert.equal(machine.writesStore(send(unset(ifaces.devProps, '/p/value'))), true)
  assert.equal(machine.writesStore(send(individual(ifaces.volatile, '/v/value', 1.5))), false)
  assert.equal(machine.writesStore(send(individual(ifaces.guaranteed, '/g/value', 1.5))), false)
})

test('an ack writes the store for stored-queue rows and control publishes only', () => {
  const h = harness()
  // per publish, before its ack, whether the machine announces a store write for that ack
  const acks: { topic: string; writesStore: boolean }[] = []
  let seen = 0
  const announce = (): void => {
    for (const a of h.lb.actions.slice(seen)) {
      if (a.type !== 'mqtt.publish') continue
      const ack: DeviceInput = { type: 'mqtt.published', publishId: a.publishId }
      acks.push({ topic: a.topic, writesStore: h.machine.writesStore(ack) })
    }
    seen = h.lb.actions.length
  }
  h.lb.holdAcks = true
  h.lb.feed({ type: 'start' })
  announce()
  h.lb.releaseAcks() // the sync's control publishes
  assert.equal(h.machine.state.tag, 'online')
  h.send(individual(ifaces.guaranteed, '/g/value', 1.5))
  h.send(individual(ifaces.volatile, '/v/value', 2.5))
  h.send(individual(ifaces.stored, '/s/value', 3.5))
  assert.equal(h.store.storedQueue.count(), 1)
  announce()
  h.lb.releaseAcks()
  assert.equal(h.store.storedQueue.count(), 0, 'the stored row is deleted on its ack')
  assert.equal(h.store.volatileQueue.count(), 0)
  const control = acks.filter((a) => !a.topic.startsWith(`${P}/org.dev.`))
  assert.ok(control.length > 0)
  assert.ok(control.every((a) => a.writesStore))
  const data = acks.filter((a) => a.topic.startsWith(`${P}/org.dev.`))
  assert.deepEqual(data, [
    { topic: `${P}/org.dev.Guaranteed/g/value`, writesStore: false },
    { topic: `${P}/org.dev.Volatile/v/value`, writesStore: false },
    { topic: `${P}/org.dev.Stored/s/value`, writesStore: true },
  ])
})

test('an ack of a publish not in flight writes nothing; any other input is reported as writing', () => {
  const { machine } = harness()
  assert.equal(machine.writesStore({ type: 'mqtt.published', publishId: 12345 }), false)
  assert.equal(machine.writesStore({ type: 'start' }), true)
  assert.equal(machine.writesStore({ type: 'mqtt.closed' }), true)
})
