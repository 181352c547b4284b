/**
 * Load: 100,000 back-to-back `guaranteed` sends (QoS 1, spec §3.5) to Mosquitto through a proxy
 * that stalls the broker→device bytes for 50–200 ms at a time, so acknowledgements come late and
 * in bursts. Every value reaches a subscriber connected straight to Mosquitto exactly once, the
 * device never has more than its in-flight window out, and no packet id is reused while in
 * flight even though 100,000 publishes wrap the 16-bit id space (Mosquitto's debug log is the
 * witness of the ids on the wire).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { deserialize } from 'bson'
import { Device } from '../../src/index.js'
import { tempDir } from '../helpers/tmp.js'
import { MAX_INFLIGHT, RESILIENCE, deviceOptions, waitFor } from '../faults/sandbox-env.js'
import { startMosquittoEnv } from '../interop/mosquitto-env.js'

const N = 100_000

/** Packet ids Mosquitto saw reused by `clientId` while still unacknowledged. */
function idsReusedInFlight(log: string, clientId: string): { publishes: number; reused: number[] } {
  const inFlight = new Set<number>()
  const reused: number[] = []
  let publishes = 0
  const received = `Received PUBLISH from ${clientId} (d`
  const acked = `Sending PUBACK to ${clientId} (m`
  for (const line of log.split('\n')) {
    let at = line.indexOf(received)
    if (at >= 0) {
      const m = /\(d(\d), q1, r\d, m(\d+),/.exec(line.slice(at))
      if (m === null) continue
      publishes++
      const id = Number(m[2])
      if (inFlight.has(id) && m[1] === '0') reused.push(id)
      inFlight.add(id)
      continue
    }
    at = line.indexOf(acked)
    if (at >= 0) inFlight.delete(Number(/\(m(\d+)/.exec(line.slice(at))?.[1]))
  }
  return { publishes, reused }
}

test(`${N.toLocaleString('en')} guaranteed sends through a slow broker: all arrive once, window never exceeded`, async (t) => {
  const env = await startMosquittoEnv(t, {
    proxy: { stalls: { stallMs: [50, 200], flowMs: [150, 500] } },
    extraConfig: ['log_type debug'],
  })
  const options = deviceOptions(env.pairing, tempDir(t, 'astarte-load-'))
  const device = await Device.open(options)
  t.after(() => device.close())

  const path = '/load/burst'
  const topic = `${options.realm}/${options.deviceId}/${RESILIENCE}${path}`
  const seen = new Uint8Array(N)
  let received = 0
  const observer = await env.observer()
  observer.on('message', (_topic, payload) => {
    const { v } = deserialize(payload) as { v: number }
    seen[v] = (seen[v] ?? 0) + 1
    received++
  })
  await observer.subscribeAsync(topic, { qos: 1 })
  await device.connect({ signal: AbortSignal.timeout(30_000) })

  let peak = 0
  const sample = (): void => {
    peak = Math.max(peak, device.metrics().inflight)
  }
  const started = Date.now()
  const sends: Array<Promise<void>> = []
  for (let n = 0; n < N; n++) {
    sends.push(device.send(RESILIENCE, path, n).then(sample))
    sample()
  }
  await Promise.all(sends)
  const ms = Date.now() - started
  t.diagnostic(`${N} sends acknowledged in ${ms} ms, ${env.proxy?.stallsHit} stalls hit`)
  await waitFor(
    `${N} messages at the subscriber`,
    () => received,
    (r) => r >= N,
    30_000,
  )

  const missing = seen.findIndex((c) => c === 0)
  const twice = seen.findIndex((c) => c > 1)
  assert.equal(missing, -1, `value ${missing} never arrived`)
  assert.equal(twice, -1, `value ${twice} arrived ${seen[twice]} times`)
  assert.equal(received, N)
  assert.ok(peak <= MAX_INFLIGHT, `peak in flight ${peak}`)
  assert.equal(peak, MAX_INFLIGHT, 'the window filled: sends waited for acknowledgements')
  const m = device.metrics()
  assert.deepEqual(
    { dropped: m.dropped, reconnects: m.reconnects, inflight: m.inflight },
    { dropped: 0, reconnects: 0, inflight: 0 },
  )
  assert.ok(env.proxy !== undefined && env.proxy.stallsHit > 10, 'acknowledgements were held back')

  const log = readFileSync(join(env.broker.dir, 'mosquitto.log'), 'utf8')
  const wire = idsReusedInFlight(log, `${options.realm}/${options.deviceId}`)
  assert.ok(wire.publishes >= N, `Mosquitto logged ${wire.publishes} publishes`)
  assert.deepEqual(wire.reused, [], 'packet ids reused while in flight')
})
