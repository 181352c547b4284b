// Send-row child of `npm run bench`: the contenders of the send rows in one plain-node process on
// the BUILT packages (no tsx, no source condition), as deployed code runs.
//   ours       `device.send` (or `sendObject`) as its users write it: one call per message
//              without awaiting, then `Promise.all`; default options
//   raw        MQTT.js as its users write it: `client.publish(topic, payload, { qos })` per
//              message without awaiting, the same bytes pre-encoded by sdk-core, same topic and
//              certificate, no window; then wait for every callback (QoS 0: the last one's, see
//              `rawAll`)
//   raw-window        `publishAsync`, at most `window` awaited at once
//   transport-window  the runtime's `MqttJsTransport` alone, at most `window` in flight: the
//                     MQTT.js build and TLS stream device.send runs on, at the device's window,
//                     without the façade and the core
//   ours@N     `device.send` as `ours`, on a device opened with `maxInflight: N` (`devices`)
// Driven over IPC by bench/src/rows/send.ts, one request at a time:
//   { type: 'devices', maxInflight: [N, …] } → { type: 'ready' }   (one more device per N)
//   { type: 'case', interfaceName, path, qos, values, window } → { type: 'ready' }
//   { type: 'trial', contender } → { type: 'trial', units, seconds, cpuSeconds } (this process's)
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
const quiet = { log() {} }

const device = await Device.open({ ...options, logger: quiet })
await device.connect()
const dir = join(options.storeDir, device.deviceId)
const key = readFileSync(join(dir, 'device.key'))
const cert = readFileSync(join(dir, 'device.crt'))
const raw = await mqtt.connectAsync({
  protocol: 'mqtts',
  host: broker.host,
  port: broker.port,
  protocolVersion: 4,
  clientId: `${device.realm}/${device.deviceId}/raw`,
  clean: true,
  reconnectPeriod: 0,
  key,
  cert,
  ca: options.caPem,
})

/** Devices opened with `maxInflight`, by that value (`ours@N`). */
const windowed = new Map()

// The runtime's transport on a connection of its own, publishing what `raw` publishes. It
// reports outcomes by publish id; a trial's ids are consecutive, so a counter is its bookkeeping.
const transport = new MqttJsTransport()
let transportTrial
await transport.connect(
  {
    host: broker.host,
    port: broker.port,
    clientId: `${device.realm}/${device.deviceId}/transport`,
    clean: true,
    keepaliveSec: 60,
    certificatePem: cert.toString('utf8'),
    privateKeyPem: key.toString('utf8'),
    caPem: options.caPem,
    ignoreTlsErrors: false,
  },
  {
    message() {},
    published(publishId, error) {
      transportTrial?.settle(publishId, error)
    },
    close() {
      transportTrial?.settle(undefined, new Error('transport closed'))
    },
  },
)
let lastPublishId = 0

/** The transport's publishes, at most `window` awaiting, each one a promise as a caller's. */
function transportWindow(n, window, topic, payloads, qos) {
  // by publish id, as the runtime keeps its own (a churned `Map` would add its rehashing)
  const waiting = new AscendingIdMap()
  transportTrial = {
    settle(publishId, error) {
      if (publishId === undefined) {
        for (const settle of waiting.values()) settle(error)
        return waiting.clear()
      }
      const settle = waiting.get(publishId)
      waiting.delete(publishId)
      settle?.(error)
    },
  }
  return inWindow(
    n,
    window,
    (i) =>
      new Promise((resolve, reject) => {
        const publishId = ++lastPublishId
        waiting.set(publishId, (error) => (error === undefined ? resolve() : reject(error)))
        transport.publish(topic, payloads[i], qos, publishId)
      }),
  )
}

/**
 * Starts `n` raw publishes at once, as MQTT.js users write it; resolves once all are done. At
 * QoS 0 only the last publish has a callback: MQTT.js writes in order, so it says every one was
 * handed to the socket, and a callback on each would cost MQTT.js a `drain` listener per
 * publish once the socket buffers (removing n of them is quadratic: ~7 000 msg/s at 20 000).
 */
function rawAll(n, topic, payloads, publishOptions) {
  return new Promise((resolve, reject) => {
    let left = publishOptions.qos === 0 ? 1 : n
    const done = (error) => {
      if (error) return reject(error)
      if (--left === 0) resolve()
    }
    if (publishOptions.qos === 0) {
      for (let i = 0; i < n - 1; i++) raw.publish(topic, payloads[i], publishOptions)
      raw.publish(topic, payloads[n - 1], publishOptions, done)
      return
    }
    for (let i = 0; i < n; i++) raw.publish(topic, payloads[i], publishOptions, done)
  })
}

/** Starts `n` sends at once, as device users write it; resolves once all resolved. */
function oursAll(target, send, n, interfaceName, path, values) {
  const sends = new Array(n)
  for (let i = 0; i < n; i++) sends[i] = send.call(target, interfaceName, path, values[i])
  return Promise.all(sends)
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

async function openWindowed(maxInflight) {
  for (const n of maxInflight) {
    if (windowed.has(n)) continue
    const d = await Device.open({
      ...options,
      hardwareId: `${options.hardwareId}-w${n}`,
      maxInflight: n,
      logger: quiet,
    })
    await d.connect()
    windowed.set(n, d)
  }
}

function prepare({ interfaceName, path, qos, values, window }) {
  const iface = device.interfaces().find((i) => i.name === interfaceName)
  if (iface === undefined) throw new Error(`couldn't find bench interface ${interfaceName}`)
  const prefix = deviceTopicPrefix(device.realm, device.deviceId)
  if (!prefix.ok) throw new Error(`couldn't build the topic of ${device.deviceId}`)
  const topic = dataTopic(prefix.value, interfaceName, path)
  const payloads = values.map((value) => preEncode(iface, path, value))
  const publishOptions = { qos }
  const n = values.length
  const send = typeof values[0] === 'number' ? Device.prototype.send : Device.prototype.sendObject
  trials = {
    n,
    ours: () => oursAll(device, send, n, interfaceName, path, values),
    raw: () => rawAll(n, topic, payloads, publishOptions),
    'raw-window': () =>
      inWindow(n, window, (i) => raw.publishAsync(topic, payloads[i], publishOptions)),
    'transport-window': () => transportWindow(n, window, topic, payloads, qos),
  }
  for (const [maxInflight, d] of windowed) {
    trials[`ours@${maxInflight}`] = () => oursAll(d, send, n, interfaceName, path, values)
  }
}

async function trial(contender) {
  const run = trials[contender]
  if (run === undefined) throw new Error(`couldn't find contender ${contender}`)
  const cpu = process.cpuUsage()
  const start = process.hrtime.bigint()
  await run()
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const { user, system } = process.cpuUsage(cpu)
  return { type: 'trial', units: trials.n, seconds, cpuSeconds: (user + system) / 1e6 }
}

async function answer(request) {
  switch (request.type) {
    case 'devices':
      await openWindowed(request.maxInflight)
      return { type: 'ready' }
    case 'case':
      prepare(request)
      return { type: 'ready' }
    case 'trial':
      return trial(request.contender)
    case 'close':
      await raw.endAsync()
      await transport.end()
      await Promise.all([device, ...windowed.values()].map((d) => d.close()))
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
