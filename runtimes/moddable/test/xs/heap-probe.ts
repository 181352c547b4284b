/**
 * The XS heap of a connect + send, as a command (the bench runs it; nothing imports it): a
 * factory-provisioned device in the XS engine against a fresh sandbox, with XS's live heap slots
 * (garbage collected first) once the bundle was loaded, once connected and synced, and once one
 * value was sent, and the most slots seen in use at all. Prints one JSON line.
 * Usage: node --conditions=@astarte-ts/source --import tsx runtimes/moddable/test/xs/heap-probe.ts
 */
import { startSandboxEnv } from './sandbox-env.js'
import { XsDevice } from './xs-device.js'

const env = await startSandboxEnv()
try {
  const { preferences } = await env.provision()
  const device = await XsDevice.start({ preferences, open: { interfaces: env.compiled } })
  try {
    await device.call('connect')
    const connected = await device.liveHeapCount()
    await device.call('send', 'org.astarte-ts.test.Volatile', '/count', 1)
    const sent = await device.liveHeapCount()
    process.stdout.write(
      `${JSON.stringify({
        slotsAfterLoad: device.loadedHeapCount,
        slotsConnected: connected,
        slotsSent: sent,
        mostSlotsUncollected: device.peakHeapCount,
      })}\n`,
    )
  } finally {
    await device.stop()
  }
} finally {
  await env.stop()
}
