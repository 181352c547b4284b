/**
 * @module bench Moddable rows: the ESP32 bundle for Moddable's XS and what it costs on the heap.
 * - `esp32.bundle.moddable`: `npm run size`'s figure, the bundle plus the example's compiled
 *   interfaces, minified (the issue's budget: 60 KiB).
 * - `esp32.heap.moddable`: the bundle running in the real XS engine (`xsnap-worker`, see
 *   runtimes/moddable/test/xs) against the sandbox, from a factory-provisioned device: the heap
 *   slots live (garbage collected first) once connected and synced and once one value was sent,
 *   the larger of the two, less those live once the bundle was loaded (on the chip its code and
 *   module objects are preloaded into flash), at 16 bytes a slot (32-bit MCU). The chunk heap
 *   (strings, buffers) is not in XS's meter; nor is garbage between collections (in details: the
 *   most slots seen in use, collected or not).
 */
import { join } from 'node:path'
import type { BenchContext, Measurement, RowSpec } from '../context.js'
import { repoRoot } from '../fleet/fleet-env.js'
import { startSandboxEnv } from '../../../runtimes/moddable/test/xs/sandbox-env.js'
import { XsDevice } from '../../../runtimes/moddable/test/xs/xs-device.js'

const SLOT_BYTES = 16

interface SizeScript {
  moddableReport(): Promise<{ minified: number; gzipped: number }>
}

async function bundleSize(): Promise<Measurement> {
  const size = (await import(join(repoRoot, 'scripts/size.mjs'))) as SizeScript
  const { minified, gzipped } = await size.moddableReport()
  return { measured: minified / 1024, details: { minifiedBytes: minified, gzippedBytes: gzipped } }
}

async function connectAndSendHeap(ctx: BenchContext): Promise<Measurement> {
  const env = await startSandboxEnv()
  ctx.defer(() => env.stop())
  const { preferences } = await env.provision()
  const device = await XsDevice.start({ preferences, open: { interfaces: env.compiled } })
  try {
    await device.call('connect')
    const connected = await device.liveHeapCount()
    await device.call('send', 'org.astarte-ts.test.Volatile', '/count', 1)
    const sent = await device.liveHeapCount()
    const slots = Math.max(connected, sent) - device.loadedHeapCount
    return {
      measured: (slots * SLOT_BYTES) / 1024,
      details: {
        slotsAfterLoad: device.loadedHeapCount,
        slotsConnected: connected,
        slotsSent: sent,
        mostSlotsUncollected: device.peakHeapCount,
        slotBytes: SLOT_BYTES,
      },
    }
  } finally {
    await device.stop()
  }
}

export const moddableRows: readonly RowSpec[] = [
  {
    id: 'esp32.bundle.moddable',
    title: 'ESP32 bundle size (Moddable, with compiled interfaces, minified)',
    unit: 'KiB',
    goal: { op: '<=', value: 60, on: 'measured' },
    measure: () => bundleSize(),
  },
  {
    id: 'esp32.heap.moddable',
    title: 'XS live heap after connect + send (Moddable bundle in xsnap, slots × 16 B)',
    unit: 'KiB',
    goal: { op: '<=', value: 64, on: 'measured' },
    measure: (ctx) => connectAndSendHeap(ctx),
  },
]
