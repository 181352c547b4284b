/**
 * @module bench send rows: `device.send` throughput through the whole SDK (validation, BSON,
 * the core's queue and in-flight window, MQTT.js) against raw MQTT.js publishing the same
 * payloads, pre-encoded, on the same topic of the same Mosquitto, 100 in flight for both.
 */
import type { Device } from '@astarte-ts/runtime-node'
import {
  dataTopic,
  deviceTopicPrefix,
  encodePayload,
  validateIndividual,
  validateObject,
  type Interface,
  type Qos,
  type Validated,
} from '@astarte-ts/sdk-core'
import type { MqttClient } from 'mqtt'
import type { BenchContext, Measurement, RowSpec } from '../context.js'
import { openBenchDevice, rawClient } from '../device-env.js'
import { interleave, windowed } from '../rounds.js'

const WINDOW = 100

interface SendCase {
  readonly id: string
  readonly title: string
  readonly interfaceName: string
  /** The object path or the individual path. */
  readonly path: string
  readonly value: (i: number) => number | Readonly<Record<string, number>>
  readonly qos: Qos
}

const individual = (name: string, qos: Qos, title: string): SendCase => ({
  id: `send.qos${qos}`,
  title,
  interfaceName: `org.astarte-ts.bench.${name}`,
  path: '/value',
  value: (i) => 20 + (i % 1000) / 100,
  qos,
})

const cases: readonly SendCase[] = [
  individual('Unreliable', 0, 'device.send: double, QoS 0'),
  individual('Guaranteed', 1, 'device.send: double, QoS 1'),
  individual('Unique', 2, 'device.send: double, QoS 2'),
  {
    id: 'send.object',
    title: 'device.sendObject: 4 doubles, QoS 1',
    interfaceName: 'org.astarte-ts.bench.Object',
    path: '/s1',
    value: (i) => ({ hum: 40 + (i % 10), temp: 21.5, press: 1013.2, co2: 400 + (i % 50) }),
    qos: 1,
  },
]

interface Connected {
  readonly device: Device
  readonly raw: MqttClient
}

function connectedDevice(ctx: BenchContext): Promise<Connected> {
  return ctx.shared('send-device', async () => {
    const device = await openBenchDevice(ctx, 'bench-send')
    await device.connect()
    return { device, raw: await rawClient(ctx, device) }
  })
}

function interfaceOf(device: Device, name: string): Interface {
  const iface = device.interfaces().find((i) => i.name === name)
  if (iface === undefined) throw new Error(`couldn't find bench interface ${name}`)
  return iface
}

/** The bytes `device.send` puts on the wire, made once for the raw client. */
function preEncode(iface: Interface, c: SendCase, n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => {
    const value = c.value(i)
    const v =
      typeof value === 'number'
        ? validateIndividual(iface, c.path, value)
        : validateObject(iface, c.path, value)
    if (!v.ok) throw new Error(`couldn't encode a ${c.id} payload: ${v.error[0]?.message ?? ''}`)
    return encodePayload(v.value as Validated)
  })
}

async function measureSend(ctx: BenchContext, c: SendCase): Promise<Measurement> {
  const { device, raw } = await connectedDevice(ctx)
  const iface = interfaceOf(device, c.interfaceName)
  const n = ctx.count(10_000, 1_000, 20)
  const payloads = preEncode(iface, c, n)
  const prefix = deviceTopicPrefix(device.realm, device.deviceId)
  if (!prefix.ok) throw new Error(`couldn't build the topic of ${device.deviceId}`)
  const topic = dataTopic(prefix.value, c.interfaceName, c.path)
  const ours = (): Promise<number> =>
    windowed(n, WINDOW, (i) => {
      const value = c.value(i)
      return typeof value === 'number'
        ? device.send(c.interfaceName, c.path, value)
        : device.sendObject(c.interfaceName, c.path, value)
    })
  const options = { qos: c.qos }
  const bytes = payloads.map((p) => Buffer.from(p))
  const theirs = (): Promise<number> =>
    windowed(n, WINDOW, (i) => raw.publishAsync(topic, bytes[i] as Buffer, options))
  const result = await interleave(
    [
      { name: 'device.send', trial: ours },
      { name: 'raw MQTT.js', trial: theirs },
    ],
    ctx.rounds,
  )
  return {
    measured: result.medians[0] ?? Number.NaN,
    reference: { name: 'raw MQTT.js', measured: result.medians[1] ?? Number.NaN },
    details: { messagesPerTrial: n, window: WINDOW, qos: c.qos, rounds: result.rounds },
  }
}

export const sendRows: readonly RowSpec[] = cases.map((c) => ({
  id: c.id,
  title: c.title,
  unit: 'msg/s',
  goal: { op: '>=', value: 0.9, on: 'ratio' },
  measure: (ctx: BenchContext) => measureSend(ctx, c),
}))
