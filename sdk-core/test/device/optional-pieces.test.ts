/**
 * The optional pieces a runtime passes the device machine (`interfaceChanges`,
 * `storeTransactions`, `directPaths`, `idTable`): a machine without them, as an ESP32 build
 * makes it, gives the outcomes one with them gives (Node's), sending, acknowledging, losing its
 * connection and resuming; and what needs a missing piece is refused, not done another way.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SdkError } from '@astarte-ts/sdk-core'
import type { DeviceEvent } from '@astarte-ts/sdk-core'
import { harness, ifaces, individual } from './harness.js'

interface Outcome {
  readonly wire: readonly string[]
  readonly events: readonly DeviceEvent['type'][]
  readonly metrics: ReturnType<import('@astarte-ts/sdk-core').DeviceMachine['metrics']>
}

/** One session: every kind of send online, a lost connection with acks held, a resume. */
function session(pieces: boolean): Outcome {
  const h = harness({ pieces })
  h.lb.feed({ type: 'start' })
  assert.equal(h.machine.state.tag, 'online')
  const sendAll = (v: number): void => {
    h.send(individual(ifaces.guaranteed, '/a/value', v))
    h.send(individual(ifaces.stored, '/a/value', v))
    h.send(individual(ifaces.volatile, '/a/value', v))
    h.send(individual(ifaces.devProps, '/a/value', v))
  }
  for (let v = 1; v <= 3; v++) sendAll(v)
  h.lb.holdAcks = true
  for (let v = 4; v <= 6; v++) sendAll(v)
  h.lb.dropConnection()
  h.lb.holdAcks = false
  for (let v = 7; v <= 8; v++) sendAll(v)
  // the backoff's longest wait: the device is back online
  h.lb.advance(60_000)
  assert.equal(h.machine.state.tag, 'online')
  sendAll(9)
  return {
    wire: h.astarte.received.map(
      (m) => `${m.topic} ${m.qos} ${Buffer.from(m.payload).toString('hex')}`,
    ),
    events: h.lb.events.map((e) => e.type),
    metrics: h.machine.metrics(),
  }
}

test('without the optional pieces, a session has the outcomes it has with them', () => {
  const bare = session(false)
  assert.deepEqual(bare, session(true))
  assert.ok(bare.wire.length > 0)
  assert.ok(bare.events.includes('sendCompleted'))
})

test('without directPaths, no send or ack takes a direct path; handle does it', () => {
  const h = harness({ pieces: false })
  h.lb.feed({ type: 'start' })
  assert.equal(h.machine.state.tag, 'online')
  const data = individual(ifaces.guaranteed, '/a/value', 1)
  assert.equal(h.machine.sendDirect(1, data), undefined)
  const opId = h.send(data)
  assert.deepEqual(
    h.lb.eventsOf('sendCompleted').map((e) => e.opId),
    [opId],
  )
  const withPieces = harness()
  withPieces.lb.feed({ type: 'start' })
  assert.notEqual(withPieces.machine.sendDirect(1, data), undefined)
})

test('a batch without storeTransactions is refused when the queue is made', () => {
  assert.throws(
    () => harness({ pieces: false, transactions: true }),
    (e: unknown) => e instanceof SdkError && e.code === 'local.invalid_config',
  )
  const h = harness({ pieces: false })
  assert.equal(h.machine.transactional, false)
  assert.throws(
    () => h.machine.beginTransaction(),
    (e: unknown) => e instanceof SdkError && e.code === 'local.unsupported',
  )
})
