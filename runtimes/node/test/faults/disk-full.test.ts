/**
 * Fault: the device's store sits on a small disk (a 3 MB tmpfs; 8 MB too for the repeated case,
 * where SQLite's WAL matters less) that fills up while `stored` data
 * streams to the sandbox; every value is numbered and read back through AppEngine. Offline; online
 * with the disk held full while acknowledgements arrive; and with the disk filling and emptying
 * again and again. Whatever happens, every send either resolves and arrives (QoS 1 duplicates
 * only, counted and bounded: no publish storm) or rejects with `local.io_failed` and never
 * arrives; once space is freed the device carries on by itself; it warns (event and log) once
 * when its store can't write and once when it writes again.
 *
 * Mounting a tmpfs needs root on Linux: elsewhere these tests are skipped, and the failing-commit
 * store (sdk-core/test/device/store-failure.test.ts) covers the behaviour.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { SdkError, type LogLevel } from '@astarte-ts/sdk-core'
import { Device } from '../../src/index.js'
import { tempDir } from '../helpers/tmp.js'
import { mountSmallDisk, type SmallDisk } from '../store/small-disk.js'
import {
  MAX_INFLIGHT,
  RESILIENCE,
  deviceOptions,
  drained,
  interfacesDir,
  startSandboxProcess,
  storedSequence,
  waitFor,
  type SandboxProcess,
} from './sandbox-env.js'

const DISK_BYTES = 3 * 1024 * 1024
const FAILING = "couldn't write the store: stored messages wait until it accepts writes again"
const RECOVERED = 'the store accepts writes again: stored messages flow'

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

interface Rig {
  readonly disk: SmallDisk
  readonly sandbox: SandboxProcess
  readonly device: Device
  readonly deviceId: string
  /** Store warnings, as events and as log lines (level, message). */
  readonly warnings: string[]
  readonly logs: { readonly level: LogLevel; readonly message: string }[]
}

async function rig(t: TestContext, diskBytes = DISK_BYTES): Promise<Rig | undefined> {
  const disk = mountSmallDisk(t, diskBytes)
  if (disk === undefined) return undefined
  const tmp = tempDir(t, 'astarte-fault-disk-full-')
  const sandbox = await startSandboxProcess(t, { dataDir: join(tmp, 'sandbox'), interfacesDir })
  const logs: { level: LogLevel; message: string }[] = []
  const options = {
    ...deviceOptions(sandbox, disk.dir),
    logger: { log: (level: LogLevel, message: string) => logs.push({ level, message }) },
  }
  const device = await Device.open(options)
  t.after(() => device.close())
  const warnings: string[] = []
  device.on('warning', ({ message }) => {
    if (message.includes('the store')) warnings.push(message)
  })
  await device.connect({ signal: AbortSignal.timeout(30_000) })
  return { disk, sandbox, device, deviceId: options.deviceId, warnings, logs }
}

/** Every numbered send's outcome on one path. */
class Outcomes {
  readonly resolved = new Set<number>()
  readonly rejected = new Map<number, string>()
  readonly #pending = new Set<Promise<void>>()
  #next = 0

  constructor(
    readonly device: Device,
    readonly path: string,
  ) {}

  get sent(): number {
    return this.#next
  }

  /** Sends the next value; its outcome is recorded when it settles. */
  send(): Promise<void> {
    const n = this.#next++
    const p = this.device.send(RESILIENCE, this.path, n).then(
      () => {
        this.resolved.add(n)
      },
      (e: unknown) => {
        this.rejected.set(n, e instanceof SdkError ? e.code : String(e))
      },
    )
    this.#pending.add(p)
    void p.finally(() => this.#pending.delete(p))
    return p
  }

  /** Sends `count` values in groups of `perTick` (one store transaction each). */
  async sendMany(count: number, perTick = 10): Promise<void> {
    for (let i = 0; i < count; i += perTick) {
      await Promise.all(Array.from({ length: Math.min(perTick, count - i) }, () => this.send()))
    }
  }

  settled(): Promise<unknown> {
    return Promise.all([...this.#pending])
  }
}

/**
 * Reads the path back from AppEngine and checks the contract: resolved ⇒ arrived, rejected ⇒
 * never arrived (and with a `local.*` code); returns the duplicates, counted.
 */
async function check(r: Rig, o: Outcomes): Promise<{ copies: number; duplicates: number }> {
  await o.settled()
  assert.equal(o.resolved.size + o.rejected.size, o.sent, 'every send settled')
  const want = o.resolved.size
  const values = await waitFor(
    `the ${want} resolved values in AppEngine`,
    () => storedSequence(r.sandbox, r.deviceId, o.path),
    (v) => new Set(v).size >= want,
  )
  const seen = new Set(values)
  const lost = [...o.resolved].filter((n) => !seen.has(n))
  assert.deepEqual(lost, [], 'resolved but never arrived')
  const ghosts = [...o.rejected.keys()].filter((n) => seen.has(n))
  assert.deepEqual(ghosts, [], 'rejected yet delivered')
  for (const code of new Set(o.rejected.values())) assert.equal(code, 'local.io_failed')
  return { copies: values.length, duplicates: values.length - seen.size }
}

/** The store warned once for each failure and once for each recovery, alternating, ending writable. */
function assertWarnedInPairs(r: Rig): number {
  assert.ok(r.warnings.length >= 2, `warnings: ${JSON.stringify(r.warnings)}`)
  r.warnings.forEach((w, i) => assert.equal(w, i % 2 === 0 ? FAILING : RECOVERED))
  const logged = r.logs.filter((l) => l.message === FAILING || l.message === RECOVERED)
  assert.deepEqual(
    logged.map((l) => [l.level, l.message]),
    r.warnings.map((w) => [w === FAILING ? 'warn' : 'info', w]),
    'logged as warned',
  )
  return r.warnings.length / 2
}

test('offline on a full disk: stored sends reject with local.io_failed and never arrive; after space is freed the rest arrives', async (t) => {
  const r = await rig(t)
  if (r === undefined) return
  await r.device.disconnect()
  const o = new Outcomes(r.device, '/offline/guaranteed')
  await o.sendMany(100)
  r.disk.fill()
  await o.sendMany(200)
  assert.ok(o.rejected.size > 0, 'the full disk refused sends')
  r.disk.free()
  // the probe finds the store writable again by itself (backoff bounds: at most 1 s here)
  await waitFor(
    'the store to write again',
    () => r.warnings.length,
    (n) => n === 2,
  )
  await o.sendMany(100)
  await r.device.connect({ signal: AbortSignal.timeout(30_000) })
  await drained(r.device)
  const { duplicates } = await check(r, o)
  assert.equal(duplicates, 0, 'offline, nothing is sent twice')
  assert.equal(assertWarnedInPairs(r), 1)
  assert.ok(o.resolved.size >= 200)
})

test('online with the disk held full while acks arrive: no publish storm, nothing lost, then it carries on', async (t) => {
  const r = await rig(t)
  if (r === undefined) return
  await r.device.disconnect()
  const o = new Outcomes(r.device, '/held/guaranteed')
  await o.sendMany(600, 50)
  assert.equal(o.resolved.size, 600)
  r.disk.fill()
  const before = r.device.metrics().sent
  await r.device.connect({ signal: AbortSignal.timeout(30_000) })
  await waitFor(
    'the store failure',
    () => r.warnings.length,
    (n) => n === 1,
  )
  await sleep(3_000)
  // acknowledgements can't be recorded: the device published one window and then waited
  const whileFull = r.device.metrics().sent - before
  assert.ok(whileFull <= MAX_INFLIGHT + 10, `${whileFull} publishes with the disk full`)
  await sleep(1_000)
  assert.equal(r.device.metrics().sent - before, whileFull, 'and publishes nothing more')
  r.disk.free()
  await drained(r.device)
  const { duplicates } = await check(r, o)
  assert.ok(duplicates <= MAX_INFLIGHT, `${duplicates} duplicates`)
  assert.equal(assertWarnedInPairs(r), 1)
  t.diagnostic(`publishes while full: ${whileFull}; duplicates: ${duplicates}`)
})

for (const mb of [3, 8]) {
  test(`a ${mb} MB disk filling and emptying again and again while the device streams`, async (t) => {
    const r = await rig(t, mb * 1024 * 1024)
    if (r === undefined) return
    const o = new Outcomes(r.device, '/cycle/guaranteed')
    let streaming = true
    const stream = (async () => {
      while (streaming) {
        void o.send()
        await sleep(2)
      }
    })()
    const cycles = 5
    for (let c = 0; c < cycles; c++) {
      await sleep(400)
      r.disk.fill()
      await sleep(700)
      r.disk.free()
    }
    await sleep(400)
    streaming = false
    await stream
    await o.settled()
    await waitFor(
      'the store to write again',
      () => r.warnings.length % 2,
      (odd) => odd === 0,
    )
    await drained(r.device)
    const { copies, duplicates } = await check(r, o)
    // a nearly full disk may take a small write and refuse the next: episodes can outnumber the
    // fills, each warned once
    const failures = assertWarnedInPairs(r)
    // at-least-once: what was in flight when an episode began may be sent again, no more
    assert.ok(duplicates <= MAX_INFLIGHT * failures, `${duplicates} duplicates`)
    assert.ok(o.resolved.size > 0 && o.rejected.size > 0, 'sends both resolved and failed')
    const { sent } = r.device.metrics()
    const bound = copies + MAX_INFLIGHT * (failures + 1)
    assert.ok(sent <= bound, `${sent} publishes for ${copies} copies`)
    t.diagnostic(
      `sent ${o.sent}: resolved ${o.resolved.size}, rejected ${o.rejected.size}; ` +
        `arrived ${copies} (${duplicates} duplicates); ${failures} store failures`,
    )
  })
}
