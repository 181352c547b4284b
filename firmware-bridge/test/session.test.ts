import { strict as assert } from 'node:assert'
import { randomBytes } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { randomDeviceId, type Interface } from '@astarte-ts/sdk-core'
import { Device, loadInterfaces } from '@astarte-ts/runtime-node'
import { type CborValue, Float64, McuPeer, Session } from '../src/index.js'
import {
  BOARD_INTERFACES,
  type Env,
  eventually,
  interfacesDir,
  quiet,
  startEnv,
} from './helpers/env.js'

let env: Env
before(async () => {
  env = await startEnv()
})
after(async () => {
  await env.stop()
})

test('after its server-data window stalled, the host keeps its sequence numbers for the same boot: frames it stored whose ACKs were lost are not stored again', async (t) => {
  const known = new Map(
    (await loadInterfaces([interfacesDir])).map((i): [string, Interface] => [
      `${i.name}:${i.major}:${i.minor}`,
      i,
    ]),
  )
  const deviceId = randomDeviceId(new Uint8Array(randomBytes(16)))
  const device = await Device.open({
    realm: env.sandbox.realm,
    pairingUrl: env.sandbox.pairingUrl,
    deviceId,
    pairingJwt: env.sandbox.jwt,
    interfaces: [...known.values()],
    storeDir: await mkdtemp(join(env.tmp, 'store-')),
    caPem: env.sandbox.caPem,
    logger: quiet,
    backoff: { minMs: 100, maxMs: 1000 },
  })
  await device.connect()
  const boots = new Map<string, number>()
  // The line: a direct link between the two ends, its host → MCU half cut on demand.
  let cut = false
  let peer: McuPeer | undefined
  const session = new Session({
    write: (b) => {
      if (!cut) setImmediate(() => peer?.receive(b))
    },
    findInterface: (n) => known.get(n),
    device: async () => device,
    lastBoot: async (id) => boots.get(id),
    saveBoot: async (id, b) => void boots.set(id, b),
    logger: quiet,
    link: { rtoMs: 50, maxRtoMs: 100, maxTries: 2 },
  })
  const acked: number[] = []
  const setpoints: (CborValue | undefined)[] = []
  peer = new McuPeer({
    write: (b) => setImmediate(() => session.receive(b)),
    interfaces: BOARD_INTERFACES,
    bootCounter: 7,
    identity: 'board-stall',
    onSettled: (m) => {
      if (m.type === 'send') acked.push(...m.samples.map((s) => (s.value as Float64).value))
    },
    onServerData: (_t, v) => setpoints.push(v),
  })
  t.after(async () => {
    peer?.close()
    session.close()
    await device.close()
  })
  peer.hello()
  await eventually('the session', () => peer!.established, Boolean)

  cut = true
  const t0 = Date.UTC(2026, 11, 7, 3)
  for (let f = 0; f < 2; f++) {
    peer.send(
      Array.from({ length: 8 }, (_, k) => ({
        target: { mapping: 0, params: [] },
        value: new Float64(f * 8 + k + 0.5),
        time: t0 + (f * 8 + k) * 100,
      })),
    )
  }
  await eventually(
    'the host storing both frames',
    () => session.metrics.samplesStored,
    (n) => n === 16,
  )
  assert.equal(
    (
      await env.api(
        'PUT',
        `devices/${deviceId}/interfaces/org.astarte-ts.bridge.Setpoint/setpoint`,
        22,
      )
    ).status,
    200,
  )
  await eventually(
    'the host giving up on the silent MCU',
    () => session.inSession,
    (s) => !s,
  )
  assert.deepEqual(acked, [], 'an ACK crossed the cut line')

  cut = false
  // The MCU's retransmission meets NO_SESSION, it says HELLO with the same boot counter, and
  // learns the host had both frames.
  await eventually(
    'both frames acknowledged',
    () => acked.length,
    (n) => n === 16,
  )
  await eventually(
    'the setpoint at the MCU',
    () => setpoints,
    (s) => s.length === 1,
  )
  assert.deepEqual(setpoints, [22])
  assert.equal(session.metrics.samplesStored, 16, 'frames stored twice')
  const stored = await eventually(
    'the samples in Astarte',
    () => env.samples(deviceId, 'org.astarte-ts.bridge.Sensor', '/temperature'),
    (s) => s.length >= 16,
  )
  assert.equal(stored.length, 16)
})
