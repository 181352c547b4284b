/**
 * At least once into the SDK across an agent restart: a flow to a `stored` interface runs while
 * Astarte is down; every message it took is accepted (on disk in the device's SQLite store)
 * before the agent's stop returns; the restarted agent, on the same store, delivers them all
 * once Astarte is back, read through AppEngine.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { randomDeviceId, type Interface } from '@astarte-ts/sdk-core'
import { startSandbox, type Sandbox } from '@astarte-ts/sandbox'
import { Device } from '@astarte-ts/runtime-node'
import { Agent } from '../../src/core/agent.js'
import {
  dataflowFeature,
  shippedExamplesDirectory,
  type DataflowFeature,
} from '../../src/dataflow/index.js'
import { flow } from '../../src/dataflow/builder.js'
import { eventually, quiet, RecordingLogger } from '../helpers/feature-sandbox.js'
import { EX, example, realTime, ScriptedEndpoint } from './helpers.js'

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

test('messages a flow took before the stop reach Astarte after the restart (stored retention)', async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'astarte-dataflow-'))
  const options = {
    logger: quiet,
    dataDir: join(tmp, 'sandbox'),
    httpPort: await freePort(),
    mqttPort: await freePort(),
  }
  const storeDir = join(tmp, 'store')
  const deviceId = randomDeviceId(new Uint8Array(randomBytes(16)))
  const Environment = await example('Environment')
  let sandbox: Sandbox | undefined = await startSandbox(options)
  const started: Agent[] = []
  try {
    const s = sandbox
    const res = await fetch(`${s.realmManagementUrl}/v1/${s.realm}/interfaces`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.jwt}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        data: JSON.parse(
          await readFile(join(shippedExamplesDirectory(), `${EX}Environment.json`), 'utf8'),
        ),
      }),
    })
    assert.ok(res.status === 201, `install: ${res.status}`)
    const open = (interfaces: Interface[]) =>
      Device.open({
        realm: s.realm,
        pairingUrl: s.pairingUrl,
        deviceId,
        pairingJwt: s.jwt,
        interfaces,
        storeDir,
        caPem: s.caPem,
        logger: quiet,
        backoff: { minMs: 100, maxMs: 500 },
      })
    // first boot: registered and paired while Astarte is up
    const first = await open([Environment])
    await first.connect()
    await first.close()
    await sandbox.stop()
    sandbox = undefined

    const runAgent = async (feature: DataflowFeature) => {
      const features = await Agent.interfacesOf([feature])
      const device = await open([...features.interfaces])
      const agent = new Agent({
        device,
        features,
        clock: realTime,
        timers: realTime,
        logger: new RecordingLogger(),
        stateDir: join(tmp, 'state'),
      })
      started.push(agent)
      await agent.start()
      return agent
    }
    const kitchen = new ScriptedEndpoint('kitchen')
    const spec = flow('environment').push(kitchen).to(Environment, '/%{room}').build()
    const feature = dataflowFeature({ specs: [spec] })
    const agent = await runAgent(feature)
    const base = Date.parse('2026-01-01T00:00:00Z')
    for (let i = 0; i < 20; i++) {
      kitchen.emit?.({
        value: { temperature: 20 + i / 10 },
        timestamp: base + i * 1000,
        tags: { room: 'kitchen' },
      })
    }
    await agent.stop()
    const m = feature.metrics()[0]
    assert.equal(m?.accepted, 20, 'every message taken is accepted before the stop returns')
    assert.equal(
      Object.values(m?.dropped ?? {}).reduce((a, b) => a + b, 0),
      0,
    )

    sandbox = await startSandbox(options)
    const again = await runAgent(
      dataflowFeature({
        specs: [
          flow('environment')
            .push(new ScriptedEndpoint('kitchen'))
            .to(Environment, '/%{room}')
            .build(),
        ],
      }),
    )
    const up = sandbox
    const samples = await eventually(
      '20 samples',
      async () => {
        const r = await fetch(
          `${up.appengineUrl}/v1/${up.realm}/devices/${deviceId}/interfaces/${EX}Environment/kitchen`,
          {
            headers: { authorization: `Bearer ${up.jwt}` },
          },
        )
        return r.status === 200
          ? ((await r.json()) as { data: Array<{ temperature: number }> }).data
          : []
      },
      (d) => d.length >= 20,
      30_000,
    )
    assert.deepEqual(
      samples.map((x) => x.temperature),
      Array.from({ length: 20 }, (_, i) => 20 + i / 10),
    )
    await again.stop()
  } finally {
    await Promise.all(started.map((a) => a.stop()))
    await sandbox?.stop()
    await rm(tmp, { recursive: true, force: true })
  }
})
