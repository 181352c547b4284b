/**
 * The device build (`scripts/device-bundle.mjs`) shortens property names internal to sdk-core,
 * never one the application reads by name: a probe built by it answers with the same keys as its
 * sources for a device's metrics and for errors' `ctx` (a Pairing error, a session's protocol
 * error), keys that sdk-core declares outside its contract files.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as source from './probe.js'

const { bundleDevice } = (await import(
  new URL('../../../scripts/device-bundle.mjs', import.meta.url).href
)) as { bundleDevice(options: { entry: string }): Promise<{ code: string }> }

const entry = new URL('./probe.ts', import.meta.url).pathname
const { code } = await bundleDevice({ entry })
const built = (await import(
  `data:text/javascript;base64,${Buffer.from(code).toString('base64')}`
)) as typeof source

test("a device's metrics keep their names", () => {
  assert.deepEqual(built.metricsKeys(), source.metricsKeys())
  assert.ok(source.metricsKeys().includes('reconnects'))
})

test("errors' ctx keep their keys", () => {
  assert.deepEqual(Object.keys(built.pairingErrorCtx()), Object.keys(source.pairingErrorCtx()))
  assert.deepEqual(built.pairingErrorCtx(), { route: 'deviceInfo', status: 503, detail: 'down' })
  assert.deepEqual(built.unsolicitedAckCtx(), source.unsolicitedAckCtx())
  assert.deepEqual(Object.keys(source.unsolicitedAckCtx()).sort(), ['ack', 'packetId'])
})
