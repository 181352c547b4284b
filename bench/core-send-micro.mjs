// A/B aid for the send path, beside the send rows: the CPU time sdk-core alone spends per message
// (validation, BSON, the DeviceMachine's `send` and its ack), with no transport and no façade —
// the part of `device.send` that is ours on every runtime, XS included. Plain node on the built
// packages: `node bench/core-send-micro.mjs [unreliable|guaranteed|unique]` (after `npm run build`).
import { DeviceMachine, parseInterface, validateIndividual } from '@astarte-ts/sdk-core'
import {
  FakeAstarte,
  Loopback,
  ManualClock,
  MemoryStore,
  zlibInflater,
} from '@astarte-ts/runtime-testing'

const reliability = process.argv[2] ?? 'unreliable'
const parsed = parseInterface({
  interface_name: 'org.astarte-ts.bench.Micro',
  version_major: 0,
  version_minor: 1,
  type: 'datastream',
  ownership: 'device',
  mappings: [{ endpoint: '/value', type: 'double', reliability }],
})
if (!parsed.ok) throw new Error(`couldn't parse the interface: ${parsed.error[0]?.message}`)
const iface = parsed.value
const device = { realm: 'bench', deviceId: 'AJInS0w3VpWpuOqkXhgZdA', inflater: zlibInflater }
const machine = new DeviceMachine({
  ...device,
  random: () => 0.5,
  broker: { host: 'broker.test', port: 8883 },
  interfaces: [iface],
  store: new MemoryStore(),
})
// the loopback plays the broker until the device is online; then the loop below does
const astarte = new FakeAstarte({ ...device, interfaces: [iface] })
new Loopback({ machine, astarte, clock: new ManualClock() }).feed({ type: 'start' })
if (machine.state.tag !== 'online') throw new Error(`couldn't go online: ${machine.state.tag}`)

let opId = 0
let completed = 0
function sendAndAck(n) {
  for (let i = 0; i < n; i++) {
    const v = validateIndividual(iface, '/value', 20 + (i % 1000) / 100)
    if (!v.ok) throw new Error('invalid value')
    for (const a of machine.handle({ type: 'send', opId: ++opId, data: v.value }, Date.now())) {
      if (a.type !== 'mqtt.publish') continue
      const acked = machine.handle({ type: 'mqtt.published', publishId: a.publishId }, Date.now())
      completed += acked.filter((b) => b.type === 'event').length
    }
  }
}

const N = 200_000
sendAndAck(N / 10)
const cpu = []
for (let round = 0; round < 7; round++) {
  const before = process.cpuUsage()
  sendAndAck(N)
  const used = process.cpuUsage(before)
  cpu.push((used.user + used.system) / N)
}
cpu.sort((a, b) => a - b)
const median = cpu[3]
console.log(
  JSON.stringify({ reliability, cpuMicrosecondsPerMessage: Number(median.toFixed(3)), completed }),
)
