/**
 * The driver refuses an interface with an encrypted mapping (spec §1.2) at `addInterface`: the
 * promise rejects, and neither the driver's interfaces nor the machine change.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DeviceDriver, DeviceMachine, SdkError } from '@astarte-ts/sdk-core'
import type { DeviceDriverOptions } from '@astarte-ts/sdk-core'
import { ManualClock, MemoryStore, zlibInflater } from '@astarte-ts/runtime-testing'
import { DEVICE_ID, REALM, iface } from '../protocol/fixtures.js'

const plain = iface('org.dev.Plain', { type: 'datastream', ownership: 'device' })
const sealed = iface('org.dev.Sealed', { type: 'properties', ownership: 'server' }, [
  { endpoint: '/%{id}/sealed', encrypted: true },
])

/** A driver that is never started: no port is ever called. */
function driver(): { driver: DeviceDriver; machine: DeviceMachine } {
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
