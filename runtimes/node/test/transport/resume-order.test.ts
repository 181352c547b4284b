/**
 * Order across two broker kills, the second right after a resume: a device streams `unique` +
 * `stored` values to Mosquitto (which hands a QoS 2 message on at its PUBREL) while every
 * acknowledgement is held; the broker is killed, restarted, and killed again the moment the
 * device's session is resumed, with newer values in flight behind the resumed ones. Read from the
 * broker's other side, every value arrives once and in the order sent, with either transport.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import mqtt, { type MqttClient } from 'mqtt'
import { decodeBson } from '@astarte-ts/sdk-core'
import type { MqttTransport } from '@astarte-ts/sdk-core'
import { Device, MqttJsTransport, sessionTransport } from '../../src/index.js'
import { startMosquittoEnv } from '../interop/mosquitto-env.js'
import { OBSERVER_CN } from '../helpers/mosquitto.js'
import { tempDir } from '../helpers/tmp.js'
import { RESILIENCE, deviceOptions, drained, waitFor } from '../faults/sandbox-env.js'

const PER_PHASE = 12

/** `inner`, holding the relay's acknowledgements the moment a resumed session is connected. */
function holdingAfterResume(inner: MqttTransport, hold: () => void, armed: () => boolean) {
  return {
    async connect(...args: Parameters<MqttTransport['connect']>) {
      const connected = await inner.connect(...args)
      // still within the CONNACK's own I/O callback: no acknowledgement has been read yet
      if (connected.sessionPresent && armed()) hold()
      return connected
    },
    subscribe: (filters, qos) => inner.subscribe(filters, qos),
    unsubscribe: (filters) => inner.unsubscribe(filters),
    publish: (topic, payload, qos, publishId) => inner.publish(topic, payload, qos, publishId),
    end: () => inner.end(),
  } satisfies MqttTransport
}

for (const [name, makeTransport] of [
  ['MQTT.js', () => new MqttJsTransport()],
  ['MqttSession over node:tls', () => sessionTransport()],
] as const) {
  test(`${name}: the broker killed twice, the second time right after a resume: once each, in order`, async (t) => {
    const env = await startMosquittoEnv(t, { proxy: {} })
    const proxy = env.proxy
    assert.ok(proxy !== undefined)
    const options = deviceOptions(env.pairing, tempDir(t, 'astarte-resume-order-'))
    let armed = false
    const transport = holdingAfterResume(
      makeTransport(),
      () => proxy.hold(true),
      () => armed,
    )
    const device = await Device.open({ ...options, ports: { transport } })
    t.after(() => device.close())
    const sessions: boolean[] = []
    device.on('connected', (e) => sessions.push(e.sessionPresent === true))

    // the broker's other side, on a persistent session that survives the kills
    const topic = `${options.realm}/${options.deviceId}/${RESILIENCE}/order/unique`
    const observerCert = await env.broker.issueClient(OBSERVER_CN)
    const received: number[] = []
    let observer: MqttClient | undefined
    const watch = async (): Promise<void> => {
      observer = await mqtt.connectAsync({
        host: env.broker.host,
        port: env.broker.port,
        protocol: 'mqtts',
        protocolVersion: 4,
        clientId: `observer-order-${process.pid}`,
        clean: false,
        cert: observerCert.certificatePem,
        key: observerCert.privateKeyPem,
        ca: env.pairing.caPem,
        reconnectPeriod: 0,
      })
      observer.on('message', (_topic, payload) => {
        const v = decodeBson(new Uint8Array(payload)).get('v')
        received.push(v?.type === 'int32' ? v.value : -1)
      })
      await observer.subscribeAsync(topic, { qos: 2 })
    }
    t.after(() => observer?.endAsync(true))
    await watch()

    const kill = async (): Promise<void> => {
      await env.broker.stop()
      proxy.cutAll()
      proxy.hold(false)
      await env.broker.restart()
      await watch()
    }
    const send = async (from: number): Promise<void> => {
      for (let n = from; n < from + PER_PHASE; n++)
        await device.send(RESILIENCE, '/order/unique', n)
    }

    await device.connect({ signal: AbortSignal.timeout(20_000) })
    proxy.hold(true)
    await send(0)
    await waitFor(
      'the first values in flight',
      () => device.metrics().inflight,
      (n) => n === PER_PHASE,
    )
    armed = true
    await kill()
    await waitFor(
      'the resumed session',
      () => sessions.length,
      (n) => n === 2,
    )
    armed = false
    // acknowledgements held since the CONNACK: the resumed exchanges are still unfinished
    await send(PER_PHASE)
    await waitFor(
      'every value in flight',
      () => device.metrics().inflight,
      (n) => n === 2 * PER_PHASE,
    )
    await kill()
    await waitFor(
      'the device back online',
      () => device.state,
      (s) => s === 'online',
    )
    await drained(device)
    const all = Array.from({ length: 2 * PER_PHASE }, (_, n) => n)
    await waitFor(
      'every value at the broker',
      () => received.length,
      (n) => n >= all.length,
    )
    assert.deepEqual(sessions, [false, true, true], 'the broker kept the session both times')
    assert.deepEqual(received, all)
  })
}
