/**
 * The driver refuses an interface with an encrypted mapping (spec §1.2) at `addInterface`: the
 * promise rejects, and neither the driver's interfaces nor the machine change. A device opened
 * without the optional pieces (`interfaceChanges`, `messageStream`: the ESP32 builds) refuses
 * what they do with `local.unsupported`, nothing changed.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  DeviceDriver,
  DeviceMachine,
  SdkError,
  createMessageStream,
  interfaceChanges,
} from '@astarte-ts/sdk-core'
import type { DeviceDriverOptions } from '@astarte-ts/sdk-core'
import { ManualClock, MemoryStore, zlibInflater } from '@astarte-ts/runtime-testing'
import { DEVICE_ID, REALM, iface } from '../protocol/fixtures.js'

const plain = iface('org.dev.Plain', { type: 'datastream', ownership: 'device' })
const sealed = iface('org.dev.Sealed', { type: 'properties', ownership: 'server' }, [
  { endpoint: '/%{id}/sealed', encrypted: true },
])

/** A driver that is never started: no port is ever called. */
function driver(pieces = true): { driver: DeviceDriver; machine: DeviceMachine } {
  const store = new MemoryStore()
  const interfaces = [plain]
  const machine = new DeviceMachine({
    realm: REALM,
    deviceId: DEVICE_ID,
    interfaces,
    store,
    inflater: zlibInflater,
    random: () => 0.5,
    broker: { host: 'broker.test', port: 8883 },
    ...(pieces ? { interfaceChanges } : {}),
  })
  const unused = new Proxy(
    {},
    {
      get: (_, key) => {
        throw new Error(`port used: ${String(key)}`)
      },
    },
  )
  const options: DeviceDriverOptions = {
    realm: REALM,
    deviceId: DEVICE_ID,
    interfaces,
    machine,
    store,
    closeStore: () => undefined,
    clock: new ManualClock(),
    scheduler: { defer: (fn) => fn() },
    timers: { set: () => undefined, clear: () => undefined },
    ports: {
      transport: unused as DeviceDriverOptions['ports']['transport'],
      http: unused as DeviceDriverOptions['ports']['http'],
      crypto: unused as DeviceDriverOptions['ports']['crypto'],
      logger: { log: () => undefined },
      saveCredentials: () => Promise.resolve(),
      ignoreTlsErrors: false,
    },
    emit: () => undefined,
    ...(pieces ? { messageStream: createMessageStream } : {}),
  }
  return { driver: new DeviceDriver(options), machine }
}

test('addInterface with an encrypted mapping rejects, nothing changed', async () => {
  const { driver: d, machine } = driver()
  await assert.rejects(d.addInterface(sealed), (e: unknown) => {
    assert.ok(e instanceof SdkError)
    assert.equal(e.code, 'local.unsupported_interface')
    assert.deepEqual(e.ctx, { interfaceName: 'org.dev.Sealed', endpoint: '/%{id}/sealed' })
    return true
  })
  assert.deepEqual(
    d.interfaces().map((i) => i.name),
    ['org.dev.Plain'],
  )
  assert.equal(machine.state.tag, 'idle')
  // the machine itself still takes a supported interface
  await d.addInterface(iface('org.dev.Other', { type: 'datastream', ownership: 'device' }))
  assert.deepEqual(
    d.interfaces().map((i) => i.name),
    ['org.dev.Plain', 'org.dev.Other'],
  )
})

const unsupported = (e: unknown): boolean => {
  assert.ok(e instanceof SdkError)
  assert.equal(e.code, 'local.unsupported')
  return true
}

test('without interfaceChanges, adding or removing an interface rejects, nothing changed', async () => {
  const { driver: d, machine } = driver(false)
  const other = iface('org.dev.Other', { type: 'datastream', ownership: 'device' })
  await assert.rejects(d.addInterface(other), unsupported)
  await assert.rejects(d.removeInterface('org.dev.Plain'), unsupported)
  assert.deepEqual(
    d.interfaces().map((i) => i.name),
    ['org.dev.Plain'],
  )
  assert.equal(machine.acceptsInterfaceChanges, false)
  // the machine refuses the input itself, before any change
  assert.throws(() => machine.handle({ type: 'addInterface', iface: other }, 0), unsupported)
  assert.throws(
    () => machine.handle({ type: 'removeInterface', name: 'org.dev.Plain' }, 0),
    unsupported,
  )
  assert.equal(machine.state.tag, 'idle')
  // a closed device says so first
  await d.close()
  await assert.rejects(d.addInterface(other), (e: unknown) => {
    assert.ok(e instanceof SdkError)
    assert.equal(e.code, 'local.closed')
    return true
  })
})

test('without messageStream, messages() throws local.unsupported; with it, a stream', async () => {
  assert.throws(() => driver(false).driver.messages(), unsupported)
  const { driver: d } = driver()
  const stream = d.messages()
  await d.close()
  // closing the device ends its streams
  assert.deepEqual(await stream.next(), { done: true, value: undefined })
})
