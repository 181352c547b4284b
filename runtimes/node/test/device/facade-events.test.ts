/**
 * The Node façade's event rules, on a real `Device` over in-memory ports: it is an
 * `EventEmitter` (`events.once` works), a throwing listener never stops the device, an `error`
 * that nobody handles is thrown (the process ends, as with any emitter) while one a `connect()`
 * received or a listener took is not, and `signal` abandons a send's wait.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { encodePayload, validateIndividual } from '@astarte-ts/sdk-core'
import { interfaceFromSource } from '../../src/index.js'
import { inMemoryDevice } from '../helpers/in-memory-device.js'

const root = new URL('../../../../', import.meta.url).pathname
const fixture = new URL('../fixtures/facade-events.ts', import.meta.url).pathname

const Values = interfaceFromSource({
  interface_name: 'org.astarte-ts.test.FacadeValues',
  version_major: 1,
  version_minor: 0,
  type: 'datastream',
  ownership: 'device',
  mappings: [{ endpoint: '/%{id}/value', type: 'integer', reliability: 'unique' }],
})

function runFixture(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(
    process.execPath,
    ['--conditions=@astarte-ts/source', '--import', 'tsx', fixture, ...args],
    { cwd: root, encoding: 'utf8', timeout: 60_000 },
  )
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

test('events.once(device, "synced") resolves when the device syncs', async () => {
  const { device } = inMemoryDevice()
  const synced = once(device, 'synced')
  await device.connect()
  await synced
  assert.equal(device.state, 'online')
  await device.close()
})

test('a throwing listener is reported and the device and other listeners carry on', async () => {
  const { device, listenerErrors } = inMemoryDevice()
  const states: string[] = []
  device.on('stateChanged', () => {
    throw new Error('listener bug')
  })
  device.on('stateChanged', ({ state }) => states.push(state))
  await device.connect()
  await device.close()
  assert.ok(listenerErrors.length > 0, 'the throw reached onListenerError')
  assert.ok(listenerErrors.every((e) => e instanceof Error && e.message === 'listener bug'))
  assert.deepEqual(states.at(-1), 'closed')
  assert.ok(states.includes('online'))
})

test('an error a listener took is not thrown; an unhandled one ends the process', () => {
  const handled = runFixture('listen')
  assert.equal(handled.status, 0, handled.stderr)
  assert.match(handled.stdout, /synced\nerror remote\.pairing_forbidden/)
  const unhandled = runFixture()
  assert.match(unhandled.stdout, /synced/)
  assert.equal(unhandled.status, 1, 'the unhandled error is thrown')
  assert.match(unhandled.stderr, /remote\.pairing_forbidden/)
  assert.doesNotMatch(unhandled.stderr, /c2VjcmV0/, 'no secret in the crash report')
})

test('an error a connect() received is not thrown again', async () => {
  const { device, dropConnection, refusePairing } = inMemoryDevice()
  await device.connect()
  refusePairing()
  dropConnection()
  // the reconnect fails for good while this connect() waits: it is the error's only receiver
  await device.disconnect()
  await assert.rejects(device.connect(), { code: 'remote.pairing_forbidden' })
  assert.equal(device.state, 'error')
  await device.close()
})

test('a send whose signal aborts rejects with its reason; the late ack is harmless', async () => {
  const { device, held, holdAcks, releaseAcks } = inMemoryDevice({ interfaces: [Values] })
  await device.connect()
  holdAcks()
  const controller = new AbortController()
  const sent = device.send(Values, '/a/value', 1, { signal: controller.signal })
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(held.length, 1, 'the value is on the wire, waiting for its ack')
  controller.abort(new Error('gave up'))
  await assert.rejects(sent, { message: 'gave up' })
  releaseAcks()
  await assert.rejects(
    device.send(Values, '/a/value', 2, { signal: AbortSignal.abort() }),
    (e: unknown) => e instanceof DOMException && e.name === 'AbortError',
  )
  const ok = device.send(Values, '/a/value', 3, { signal: new AbortController().signal })
  await new Promise((resolve) => setImmediate(resolve))
  releaseAcks()
  await ok
  assert.equal(device.metrics().inflight, 0)
  await device.close()
})

test('a message the connection reports while disconnecting reaches the device', async () => {
  const Settings = interfaceFromSource({
    interface_name: 'org.astarte-ts.test.FacadeSettings',
    version_major: 1,
    version_minor: 0,
    type: 'properties',
    ownership: 'server',
    mappings: [{ endpoint: '/%{id}/value', type: 'integer' }],
  })
  const value = validateIndividual(Settings, '/late/value', 7)
  assert.ok(value.ok)
  const topic = 'test/AJInS0w3VpWpuOqkXhgZdA/org.astarte-ts.test.FacadeSettings/late/value'
  const { device } = inMemoryDevice({
    interfaces: [Settings],
    messageOnEnd: { topic, payload: encodePayload(value.value) },
  })
  await device.connect()
  const data = once(device, 'data')
  await device.disconnect()
  assert.deepEqual((await data)[0], {
    type: 'individual',
    interfaceName: Settings.name,
    path: '/late/value',
    value: 7,
  })
  assert.equal(device.getProperty(Settings, '/late/value'), 7)
  await device.close()
})
