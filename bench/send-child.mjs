// Send-row child of `npm run bench`: the contenders of the send rows — `device.send` through the
// whole SDK, raw MQTT.js publishing the same bytes with the device's certificate, and our
// transport alone publishing those bytes (where device.send's time goes) — in one plain-node
// process on the BUILT packages (no tsx, no source condition), as deployed code runs.
// Driven over IPC by bench/src/rows/send.ts, one request at a time:
//   { type: 'case', interfaceName, path, qos, values, window } → { type: 'ready' }
//   { type: 'trial', contender: 'ours' | 'raw' | 'transport' } → { type: 'trial', units, seconds }
//   { type: 'close' } → exits
// Options come in the environment (BENCH_DEVICE_OPTIONS, BENCH_BROKER, JSON) so that the pairing
// JWT is not in the process list. Failures answer { type: 'error', message }.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Device, MqttJsTransport } from '@astarte-ts/runtime-node'
import {
  AscendingIdMap,
  dataTopic,
  deviceTopicPrefix,
  encodePayload,
  validateIndividual,
  validateObject,
} from '@astarte-ts/sdk-core'
import mqtt from 'mqtt'
import { inWindow } from './in-window.mjs'

const options = JSON.parse(process.env.BENCH_DEVICE_OPTIONS ?? '{}')
const broker = JSON.parse(process.env.BENCH_BROKER ?? '{}')

const device = await Device.open({ ...options, logger: { log() {} } })
await device.connect()
const dir = join(options.storeDir, device.deviceId)
const raw = await mqtt.connectAsync({
  protocol: 'mqtts',
  host: broker.host,
  port: broker.port,
  protocolVersion: 4,
  clientId: `${device.realm}/${device.deviceId}/raw`,
  clean: true,
  reconnectPeriod: 0,
  key: readFileSync(join(dir, 'device.key')),
  cert: readFileSync(join(dir, 'device.crt')),
  ca: options.caPem,
})

// The runtime's transport on a connection of its own, publishing what `raw` publishes: the
// MQTT.js build and the TLS stream device.send runs on, without the façade and the core.
const transport = new MqttJsTransport()
// by publish id, as the runtime keeps its own (a churned `Map` would add its rehashing)
const transportWaiting = new AscendingIdMap()
await transport.connect(
  {
    host: broker.host,
    port: broker.port,
    clientId: `${device.realm}/${device.deviceId}/transport`,
    clean: true,
    keepaliveSec: 60,
    certificatePem: readFileSync(join(dir, 'device.crt'), 'utf8'),
    privateKeyPem: readFileSync(join(dir, 'device.key'), 'utf8'),
    caPem: options.caPem,
    ignoreTlsErrors: false,
  },
  {
    message() {},
    published(publishId, error) {
      const settle = transportWaiting.get(publishId)
      transportWaiting.delete(publishId)
      settle?.(error)
    },
    close() {
      for (const settle of transportWaiting.values()) settle(new Error('transport closed'))
      transportWaiting.clear()
    },
  },
)
let lastPublishId = 0

function transportPublish(topic, payload, qos) {
  return new Promise((resolve, reject) => {
    const publishId = ++lastPublishId
    transportWaiting.set(publishId, (error) => (error === undefined ? resolve() : reject(error)))
    try {
      transport.publish(topic, payload, qos, publishId)
    } catch (error) {
      transportWaiting.delete(publishId)
      reject(error)
    }
  })
}

/** The bytes `device.send` puts on the wire, made once for the raw client. */
function preEncode(iface, path, value) {
  const v =
    typeof value === 'number'
      ? validateIndividual(iface, path, value)
      : validateObject(iface, path, value)
  if (!v.ok) throw new Error(`couldn't encode a payload: ${v.error[0]?.message ?? ''}`)
  return Buffer.from(encodePayload(v.value))
}

let trials

function prepare({ interfaceName, path, qos, values, window }) {
  const iface = device.interfaces().find((i) => i.name === interfaceName)
  if (iface === undefined) throw new Error(`couldn't find bench interface ${interfaceName}`)
  const prefix = deviceTopicPrefix(device.realm, device.deviceId)
  if (!prefix.ok) throw new Error(`couldn't build the topic of ${device.deviceId}`)
  const topic = dataTopic(prefix.value, interfaceName, path)
  const payloads = values.map((value) => preEncode(iface, path, value))
  const publishOptions = { qos }
  const n = values.length
  const send = typeof values[0] === 'number' ? device.send : device.sendObject
  trials = {
    n,
    ours: () => inWindow(n, window, (i) => send.call(device, interfaceName, path, values[i])),
    raw: () => inWindow(n, window, (i) => raw.publishAsync(topic, payloads[i], publishOptions)),
    transport: () => inWindow(n, window, (i) => transportPublish(topic, payloads[i], qos)),
  }
}

async function trial(contender) {
  const start = process.hrtime.bigint()
  await trials[contender]()
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  return { type: 'trial', units: trials.n, seconds }
}

async function answer(request) {
  switch (request.type) {
    case 'case':
      prepare(request)
      return { type: 'ready' }
    case 'trial':
      return trial(request.contender)
    case 'close':
      await raw.endAsync()
      await transport.end()
      await device.close()
      process.disconnect()
      return undefined
    default:
      throw new Error(`couldn't understand request ${request.type}`)
  }
}

process.on('message', (request) => {
  answer(request).then(
    (reply) => reply !== undefined && process.send(reply),
    (e) => process.send({ type: 'error', message: e instanceof Error ? e.message : String(e) }),
  )
})
process.send({ type: 'ready' })
