// A/B aid for the send path, beside the send rows: the CPU time `device.send` spends per message
// in the SDK alone (façade, action runner, core, validation, BSON and the transport's completion
// path), with the socket write left out. A real device pairs with a local sandbox and connects
// over mutual TLS; once it is online, its transport reports QoS 0 publishes as written without
// writing them, as MQTT.js does for writes the socket took: all those of one turn of the event
// loop together, in the next (`setImmediate`), as a socket's callbacks come. Plain node on the
// built packages: `node bench/device-send-micro.mjs` (after `npm run build`). Prints the CPU time
// per send (min and median of 9 rounds of 200 000) in the two ways the send rows call it:
//   windowed       at most 100 sends awaited at once (`inWindow`): each send finds room in the
//                  device's window (default `maxInflight` 100), so it takes the direct paths
//   allAtOnce      every send started without awaiting, then `Promise.all`, as users write it:
//                  all but the first window wait in the device's queue for an ack to make room
// and the same loops over bare promises, the harness's own share.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Device, MqttJsTransport } from '@astarte-ts/runtime-node'
import { silentLogger, startSandbox } from '@astarte-ts/sandbox'
import { inWindow } from './in-window.mjs'

const N = 200_000
const ROUNDS = 9
const INTERFACE = 'org.astarte-ts.bench.Unreliable'
const interfacesDir = new URL('./interfaces', import.meta.url).pathname

const tmp = mkdtempSync(join(tmpdir(), 'astarte-send-micro-'))
const sandbox = await startSandbox({
  dataDir: join(tmp, 'sandbox'),
  interfacesDir,
  logger: silentLogger,
})
const inner = new MqttJsTransport()
let events
let stubbed = false
let written = []
const report = () => {
  const ids = written
  written = []
  for (const publishId of ids) events.published(publishId)
}
const transport = {
  connect(options, e) {
    events = e
    return inner.connect(options, e)
  },
  subscribe: (filters, qos) => inner.subscribe(filters, qos),
  unsubscribe: (filters) => inner.unsubscribe(filters),
  publish(topic, payload, qos, publishId) {
    if (!stubbed || qos !== 0) return inner.publish(topic, payload, qos, publishId)
    if (written.length === 0) setImmediate(report)
    written.push(publishId)
  },
  end: () => inner.end(),
}
const device = await Device.open({
  realm: sandbox.realm,
  pairingUrl: sandbox.pairingUrl,
  hardwareId: 'send-micro',
  pairingJwt: sandbox.jwt,
  interfaces: [interfacesDir],
  storeDir: join(tmp, 'devices'),
  caPem: sandbox.caPem,
  logger: { log() {} },
  ports: { transport },
})
await device.connect()

/** Every op started at once, then all awaited. */
function allAtOnce(n, op) {
  const started = new Array(n)
  for (let i = 0; i < n; i++) started[i] = op(i)
  return Promise.all(started)
}

/** CPU microseconds per op over ROUNDS rounds of N: { min, median }. */
async function cpuPerOp(loop, op) {
  const perOp = []
  for (let round = 0; round < ROUNDS; round++) {
    const before = process.cpuUsage()
    await loop(N, op)
    const used = process.cpuUsage(before)
    perOp.push((used.user + used.system) / N)
  }
  perOp.sort((a, b) => a - b)
  const round3 = (x) => Number(x.toFixed(3))
  return { min: round3(perOp[0]), median: round3(perOp[Math.floor(ROUNDS / 2)]) }
}

const send = (i) => device.send(INTERFACE, '/value', 20 + (i % 1000) / 100)
const windowed = (n, op) => inWindow(n, 100, op)
stubbed = true
await inWindow(N / 10, 100, send)
const result = {
  cpuMicrosecondsPerSend: {
    windowed: await cpuPerOp(windowed, send),
    allAtOnce: await cpuPerOp(allAtOnce, send),
  },
  harnessCpuMicrosecondsPerOp: {
    windowed: await cpuPerOp(windowed, () => Promise.resolve()),
    allAtOnce: await cpuPerOp(allAtOnce, () => Promise.resolve()),
  },
}
stubbed = false
await device.close()
await sandbox.stop()
rmSync(tmp, { recursive: true, force: true })
console.log(JSON.stringify(result))
