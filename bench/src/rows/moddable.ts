/**
 * @module bench Moddable rows: the ESP32 bundle for Moddable's XS and what it costs on the heap.
 * - `esp32.bundle.moddable`: `npm run size`'s figure, the bundle plus the example's compiled
 *   interfaces, minified (the issue's budget: 60 KiB).
 * - `esp32.heap.moddable`: the bundle running in the real XS engine (`xsnap-worker`, see
 *   runtimes/moddable/test/xs, run as runtimes/moddable's heap probe) against the sandbox, from a factory-provisioned device: the heap
 *   slots live (garbage collected first) once connected and synced and once one value was sent,
 *   the larger of the two, less those live once the bundle was loaded (on the chip its code and
 *   module objects are preloaded into flash), at 16 bytes a slot (32-bit MCU). The chunk heap
 *   (strings, buffers) is not in XS's meter; nor is garbage between collections (in details: the
 *   most slots seen in use, collected or not).
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Measurement, RowSpec } from '../context.js'
import { repoRoot } from '../fleet/fleet-env.js'

const SLOT_BYTES = 16

const run = promisify(execFile)

/** `npm run size`'s Moddable figure, from scripts/size.mjs run as a command. */
async function bundleSize(): Promise<Measurement> {
  const size = join(repoRoot, 'scripts/size.mjs')
  const script =
    `const { moddableReport } = await import(${JSON.stringify(size)});` +
    'const { minified, gzipped } = await moddableReport();' +
    'console.log(JSON.stringify({ minified, gzipped }))'
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: repoRoot,
  })
  const { minified, gzipped } = JSON.parse(stdout) as { minified: number; gzipped: number }
  return { measured: minified / 1024, details: { minifiedBytes: minified, gzippedBytes: gzipped } }
}

interface HeapProbe {
  readonly slotsAfterLoad: number
  readonly slotsConnected: number
  readonly slotsSent: number
  readonly mostSlotsUncollected: number
}

/** runtimes/moddable's heap probe, run as a command (the XS harness is that package's test code). */
async function connectAndSendHeap(): Promise<Measurement> {
  const probe = join(repoRoot, 'runtimes/moddable/test/xs/heap-probe.ts')
  const { stdout } = await run(
    process.execPath,
    ['--conditions=@astarte-ts/source', '--import', 'tsx', probe],
    { cwd: repoRoot, timeout: 120_000 },
  )
  const heap = JSON.parse(stdout) as HeapProbe
  const slots = Math.max(heap.slotsConnected, heap.slotsSent) - heap.slotsAfterLoad
  return { measured: (slots * SLOT_BYTES) / 1024, details: { ...heap, slotBytes: SLOT_BYTES } }
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
    measure: () => connectAndSendHeap(),
  },
]
