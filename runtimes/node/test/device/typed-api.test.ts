/**
 * `Device` methods typed by `defineInterface` definitions: wrong paths and values are compile
 * errors (checked by `node scripts/typecheck.mjs` through the `@ts-expect-error` lines) AND
 * run-time rejections before anything is queued (checked here, offline, on a real SQLite store).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineInterface, SdkError } from '@astarte-ts/sdk-core'
import { Device } from '../../src/index.js'

const Sensors = defineInterface({
  interface_name: 'org.example.Sensors',
  version_major: 1,
  version_minor: 0,
  type: 'datastream',
  ownership: 'device',
  mappings: [
    {
      endpoint: '/%{room}/temperature',
      type: 'double',
      reliability: 'guaranteed',
      retention: 'stored',
    },
    {
      endpoint: '/%{room}/uptime',
      type: 'longinteger',
      reliability: 'guaranteed',
      retention: 'stored',
    },
  ],
})

const Air = defineInterface({
  interface_name: 'org.example.Air',
  version_major: 1,
  version_minor: 0,
  type: 'datastream',
  ownership: 'device',
  aggregation: 'object',
  mappings: [
    { endpoint: '/%{room}/co2', type: 'integer', required: true, retention: 'stored' },
    { endpoint: '/%{room}/humidity', type: 'double', retention: 'stored' },
  ],
})

const Status = defineInterface({
  interface_name: 'org.example.Status',
  version_major: 1,
  version_minor: 0,
  type: 'properties',
  ownership: 'device',
  mappings: [{ endpoint: '/firmware', type: 'string', allow_unset: true }],
})

const Config = defineInterface({
  interface_name: 'org.example.Config',
  version_major: 1,
  version_minor: 0,
  type: 'properties',
  ownership: 'server',
  mappings: [{ endpoint: '/period', type: 'integer' }],
})

let dir: string
let device: Device
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'astarte-typed-'))
  device = await Device.open({
    realm: 'test',
    pairingUrl: 'https://pairing.invalid/pairing',
    deviceId: 'AJInS0w3VpWpuOqkXhgZdA',
    credentialsSecret: 'not-used-offline',
    interfaces: [Sensors, Air, Status, Config],
    storeDir: dir,
    logger: { log: () => undefined },
  })
})
after(async () => {
  await device.close()
  await rm(dir, { recursive: true, force: true })
})

async function rejectsInvalid(p: Promise<void>): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof SdkError && e.code === 'local.invalid_value')
}

test('typed sends compile and are queued durably while offline', async () => {
  await device.send(Sensors, '/kitchen/temperature', 21.5)
  await device.send(Sensors, '/kitchen/uptime', 12n)
  await device.sendObject(Air, '/kitchen', { co2: 600 })
  await device.sendObject(Air, '/kitchen', { co2: 600, humidity: 40 })
  await device.setProperty(Status, '/firmware', '1.0.0')
  await device.unsetProperty(Status, '/firmware')
  // plain names are accepted too, checked at run time only
  await device.send('org.example.Sensors', '/hall/temperature', 19)
  assert.equal(device.metrics().queued, 7)
})

test('wrong paths, value types and ownership are compile errors and run-time rejections', async () => {
  const before = device.metrics().queued
  // @ts-expect-error unknown endpoint
  await rejectsInvalid(device.send(Sensors, '/kitchen/pressure', 1))
  // @ts-expect-error a string where a double is declared
  await rejectsInvalid(device.send(Sensors, '/kitchen/temperature', 'hot'))
  // @ts-expect-error a path that is one level short
  await rejectsInvalid(device.send(Sensors, '/temperature', 1))
  // @ts-expect-error the required key co2 is missing
  await rejectsInvalid(device.sendObject(Air, '/kitchen', { humidity: 40 }))
  // @ts-expect-error an unknown object key
  await rejectsInvalid(device.sendObject(Air, '/kitchen', { co2: 1, smoke: true }))
  // @ts-expect-error server-owned: the device may not write it
  await rejectsInvalid(device.setProperty(Config, '/period', 10))
  // @ts-expect-error a number where a string is declared
  await rejectsInvalid(device.setProperty(Status, '/firmware', 2))
  await rejectsInvalid(device.send('org.example.Sensors', '/kitchen/temperature', 'hot'))
  assert.equal(device.metrics().queued, before)
})

test('getProperty is typed by the definition', async () => {
  await device.setProperty(Status, '/firmware', '2.0.0')
  const firmware: string | undefined = device.getProperty(Status, '/firmware')
  assert.equal(firmware, '2.0.0')
  const period: number | undefined = device.getProperty(Config, '/period')
  assert.equal(period, undefined)
  // @ts-expect-error the value of /firmware is a string
  const wrong: number | undefined = device.getProperty(Status, '/firmware')
  assert.equal(typeof wrong, 'string')
})
