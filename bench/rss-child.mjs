// Memory-row child of `npm run bench`: a device process on the BUILT packages (plain node, no
// tsx), stopping at each step of a device's life so that bench/src/rows/memory.ts reads its
// resident memory from outside (/proc/<pid>/status), as `ps` or a board's monitor would:
//   node bench/rss-child.mjs            started → imported → opened → connected → streamed →
//                                       streamed again → idle (connected, nothing sent for
//                                       BENCH_IDLE_MS, default 15 s) → collected, closed (with
//                                       --expose-gc: after a full collection, then after
//                                       device.close() and another)
//   node bench/rss-child.mjs <dep>      started → <dep> loaded alone (mqtt, better-sqlite3,
//                                       x509, tls): what one dependency costs by itself
// At each step it sends { type: 'step', name, heap } over IPC (`heap`: V8's view, from
// `process.memoryUsage()` and node:v8, and its CPU time so far) and waits for { type: 'next' }.
// Device options come in the environment (BENCH_DEVICE_OPTIONS, JSON) so that the pairing JWT is
// not in the process list; BENCH_STORED_SENDS says how many `stored` sends each of the two
// streams makes. Nothing is imported before the first step but what Node has loaded anyway, and
// node:v8.

import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8'

// V8's side of the split (the parent reads the process's side from /proc): its heap as
// `process.memoryUsage()` reports it, how much of it is resident, the young generation's share
// (its semi-spaces grow to 16 MiB each under a high allocation rate and shrink only in a full
// collection), and what V8 itself has malloc'ed (compiler zones, GC worklists)
// `cpu`: the process's CPU time so far (user + system, µs), for what a stream costs per send
function heapView() {
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage()
  const { user, system } = process.cpuUsage()
  const { total_physical_size: v8Resident, malloced_memory: v8Malloced } = getHeapStatistics()
  let newSpace = 0
  for (const s of getHeapSpaceStatistics()) {
    if (s.space_name === 'new_space' || s.space_name === 'new_large_object_space') {
      newSpace += s.physical_space_size
    }
  }
  return {
    rss,
    heapUsed,
    heapTotal,
    external,
    arrayBuffers,
    v8Resident,
    v8Malloced,
    newSpace,
    cpu: user + system,
  }
}

/** Two full collections, each followed by a second for V8's background tasks. */
async function collect() {
  for (let i = 0; i < 2; i++) {
    globalThis.gc()
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
}

function step(name) {
  process.send({ type: 'step', name, heap: heapView() })
  return new Promise((resolve) => process.once('message', resolve))
}

// one dependency alone, loaded as the runtime bundle loads it
const alone = {
  mqtt: async () => (await import('mqtt')).default,
  'better-sqlite3': async () => {
    const { default: Database } = await import('better-sqlite3')
    new Database(':memory:').close()
  },
  x509: async () => {
    await import('reflect-metadata')
    await import('@peculiar/x509')
  },
  // Node's first TLS context parses its ~140 bundled root certificates, even when `ca` is given
  tls: async () => (await import('node:tls')).createSecureContext({}),
}

async function deviceSteps() {
  const options = JSON.parse(process.env.BENCH_DEVICE_OPTIONS ?? '{}')
  const sends = Number(process.env.BENCH_STORED_SENDS ?? '20000')
  const { Device } = await import('@astarte-ts/runtime-node')
  const { inWindow } = await import('./in-window.mjs')
  await step('imported')
  const device = await Device.open({ ...options, logger: { log() {} } })
  await step('opened')
  await device.connect()
  await step('connected')
  // a sustained stream, twice: at most 1000 sends awaiting at once, as a busy producer's bursts;
  // the second says whether memory keeps growing or stays where the first left it
  for (const name of ['streamed', 'streamed again']) {
    await inWindow(sends, 1000, (i) =>
      device.send('org.astarte-ts.bench.Stored', '/value', i + 0.5),
    )
    for (;;) {
      const { queued, inflight } = device.metrics()
      if (queued + inflight === 0) break
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await step(name)
  }
  // what the process gives back once the producer pauses: V8's memory reducer shrinks the heap
  // some seconds after the allocation rate drops (its first check comes after 8 s)
  await new Promise((resolve) => setTimeout(resolve, Number(process.env.BENCH_IDLE_MS ?? '15000')))
  await step('idle')
  // a full collection, where the row runs the child with --expose-gc: what of the heap V8 keeps
  // is room, not live objects
  if (typeof globalThis.gc === 'function') {
    // V8 hands freed pages back from a background task after a collection, and releases the
    // old generation's emptied pages only at the next one: read right after one, one round in
    // three still counted them (+74 MiB against +30)
    await collect()
    await step('collected')
  }
  await device.close()
  // what the device's native resources held (SQLite's connection and page cache, the TLS
  // session, MQTT.js): closed, collected, and what is left is the process's, not the device's
  if (typeof globalThis.gc === 'function') {
    await collect()
    await step('closed')
  }
}

const dependency = process.argv[2]
await step('started')
if (dependency === undefined) await deviceSteps()
else {
  const load = alone[dependency]
  if (load === undefined) throw new Error(`couldn't find dependency ${dependency}`)
  await load()
  await step(dependency)
}
process.disconnect()
