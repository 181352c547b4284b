/**
 * @module demo: `npm run demo`. Starts a local sandbox, installs the example interfaces through
 * Realm Management, registers and pairs the example device, streams for a few seconds, pushes a
 * server-owned property and a command through AppEngine, reads everything back through AppEngine;
 * then runs the Edgehog-compatible agent on the same sandbox (`agent-demo.ts`), an over-the-air
 * update through it (`ota-demo.ts`), and stops everything. Exit 0 when every step worked; otherwise the failing step and why, exit 1.
 */
import { readdir, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import {
  DEFAULT_DEVICE_ID_NAMESPACE,
  Device,
  consoleLogger,
  fetchHttpClient,
  registerDevice,
  type ServerMessage,
} from '@astarte-ts/runtime-node'
import { deviceIdFromUuidV5 } from '@astarte-ts/sdk-core'
import { startSandbox, type Sandbox } from '@astarte-ts/sandbox'
import { agentDemo } from './agent-demo.js'
import { otaDemo } from './ota-demo.js'
import { dataflowDemo } from './dataflow-demo.js'
import { realmApi } from './realm-api.js'
import { removeScratch, removeScratchOnInterrupt, scratchDir } from './scratch.js'

const TELEMETRY = 'org.astarte-ts.examples.Telemetry'
const ENVIRONMENT = 'org.astarte-ts.examples.Environment'
const STATUS = 'org.astarte-ts.examples.DeviceStatus'
const SETTINGS = 'org.astarte-ts.examples.Settings'
const COMMANDS = 'org.astarte-ts.examples.Commands'
const STREAM_MS = 3000

const interfacesDir = join(
  dirname(createRequire(import.meta.url).resolve('@astarte-ts/interfaces/package.json')),
  'examples',
)

const say = (line: string): void => {
  process.stdout.write(`${line}\n`)
}

async function step<T>(title: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now()
  try {
    const value = await fn()
    say(`  ✔ ${title} (${Date.now() - started} ms)`)
    return value
  } catch (e) {
    say(`  ✘ ${title}`)
    throw e
  }
}

/** Calls `done` on the first server message that `matches`; returns the unsubscribe. */
function onData(
  device: Device,
  matches: (m: ServerMessage) => boolean,
  done: () => void,
): () => void {
  const listener = (m: ServerMessage): void => {
    if (matches(m)) done()
  }
  device.on('data', listener)
  return () => void device.off('data', listener)
}

/** Waits for `predicate` to hold for a device event, or fails after `ms`. */
function waitFor(
  what: string,
  ms: number,
  subscribe: (done: () => void) => () => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off()
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`))
    }, ms)
    const off = subscribe(() => {
      clearTimeout(timer)
      off()
      resolve()
    })
  })
}

async function demo(sandbox: Sandbox, storeDir: string): Promise<void> {
  const api = realmApi(sandbox)
  say(`sandbox: realm '${sandbox.realm}', pairing ${sandbox.pairingUrl}, broker ${sandbox.mqttUrl}`)

  const files = (await readdir(interfacesDir)).filter((f) => f.endsWith('.json')).sort()
  await step(`install ${files.length} example interfaces through Realm Management`, async () => {
    for (const f of files)
      await api.installInterface(JSON.parse(await readFile(join(interfacesDir, f), 'utf8')))
  })

  const deviceId = deviceIdFromUuidV5(DEFAULT_DEVICE_ID_NAMESPACE, 'demo-sensor-0001')
  const credentialsSecret = await step(`register device ${deviceId} with the pairing JWT`, () =>
    registerDevice({
      http: fetchHttpClient({ caPem: sandbox.caPem }),
      pairingUrl: sandbox.pairingUrl,
      realm: sandbox.realm,
      jwt: sandbox.jwt,
      deviceId,
    }),
  )

  const device = await Device.open({
    realm: sandbox.realm,
    pairingUrl: sandbox.pairingUrl,
    deviceId,
    credentialsSecret,
    interfaces: [interfacesDir],
    storeDir,
    caPem: sandbox.caPem,
    logger: consoleLogger({ level: 'warn' }),
  })
  const received: string[] = []
  device.on('data', (m) => {
    const value =
      m.type === 'unset'
        ? '(unset)'
        : JSON.stringify(m.value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}` : v))
    received.push(`${m.interfaceName}${m.path} = ${value}`)
  })
  try {
    await step('pair (key + CSR → certificate), connect over mutual TLS, full sync', () =>
      device.connect({ signal: AbortSignal.timeout(20_000) }),
    )
    await step('set device properties', async () => {
      await device.setProperty(STATUS, '/firmwareVersion', '1.0.0')
      await device.setProperty(STATUS, '/bootTime', new Date())
      await device.setProperty(STATUS, '/sensors', ['s1', 's2'])
    })
    let sent = 0
    await step(`stream telemetry and environment snapshots for ${STREAM_MS / 1000} s`, async () => {
      const end = Date.now() + STREAM_MS
      for (let tick = 0; Date.now() < end; tick++) {
        const timestamp = new Date()
        await device.send(TELEMETRY, '/s1/temperature', 21 + Math.sin(tick / 3), { timestamp })
        await device.send(TELEMETRY, '/s1/uptimeSeconds', BigInt(tick), { timestamp })
        await device.sendObject(
          ENVIRONMENT,
          '/livingroom',
          { temperature: 21.5, humidity: 40 + tick, co2: 420 },
          { timestamp },
        )
        sent += 3
        await new Promise((r) => setTimeout(r, 250))
      }
    })
    say(
      `    ${sent} messages sent; metrics ${JSON.stringify(device.metrics(), (_k, v: unknown) => (v instanceof Error ? v.message : v))}`,
    )

    await step(
      'AppEngine sets server property Settings/samplingPeriodMs = 500; the device gets it',
      async () => {
        const got = waitFor('the property on the device', 10_000, (done) =>
          onData(
            device,
            (m) => m.interfaceName === SETTINGS && m.path === '/samplingPeriodMs',
            done,
          ),
        )
        await api.put(`devices/${deviceId}/interfaces/${SETTINGS}/samplingPeriodMs`, 500)
        await got
      },
    )
    await step('AppEngine sends command Commands/message; the device gets it', async () => {
      const got = waitFor('the command on the device', 10_000, (done) =>
        onData(device, (m) => m.interfaceName === COMMANDS, done),
      )
      await api.post(`devices/${deviceId}/interfaces/${COMMANDS}/message`, 'hello from the server')
      await got
    })
    say('    the device received:')
    for (const line of received) say(`      ${line}`)
    say(
      `    cached property: ${SETTINGS}/samplingPeriodMs = ${String(device.getProperty(SETTINGS, '/samplingPeriodMs'))}`,
    )

    const readBack = await step('read everything back through AppEngine', async () => {
      const status = (await api.get(`devices/${deviceId}`)) as {
        connected?: boolean
        introspection?: object
      }
      const temps = (await api.get(
        `devices/${deviceId}/interfaces/${TELEMETRY}/s1/temperature`,
      )) as unknown[]
      const env = (await api.get(
        `devices/${deviceId}/interfaces/${ENVIRONMENT}/livingroom`,
      )) as unknown[]
      if (temps.length === 0 || env.length === 0) throw new Error('AppEngine has no streamed data')
      return [
        `device status: connected=${String(status.connected)}, introspection=${Object.keys(status.introspection ?? {}).join(', ')}`,
        `${TELEMETRY}/s1/temperature: ${temps.length} values, last ${JSON.stringify(temps.at(-1))}`,
        `${ENVIRONMENT}/livingroom: ${env.length} objects, last ${JSON.stringify(env.at(-1))}`,
        `${STATUS}: ${JSON.stringify(await api.get(`devices/${deviceId}/interfaces/${STATUS}`))}`,
        `${SETTINGS}: ${JSON.stringify(await api.get(`devices/${deviceId}/interfaces/${SETTINGS}`))}`,
      ]
    })
    for (const line of readBack) say(`    ${line}`)
  } finally {
    await step('disconnect and close the device', () => device.close())
  }
}

async function main(): Promise<number> {
  say('astarte-ts demo')
  removeScratchOnInterrupt(say)
  const storeDir = await scratchDir('astarte-demo-')
  // its CA and realm keys, removed like the device's on Ctrl-C
  const sandboxDir = await scratchDir('astarte-demo-sandbox-')
  let sandbox: Sandbox | undefined
  try {
    sandbox = await step(
      'start the sandbox (Pairing, MQTT broker over mutual TLS, AppEngine)',
      () => startSandbox({ dataDir: sandboxDir, logger: { log: () => undefined } }),
    )
    await demo(sandbox, storeDir)
    await agentDemo(sandbox, say, step)
    await otaDemo(sandbox, say, step)
    await dataflowDemo(sandbox, say, step)
    say('demo finished: every step worked')
    return 0
  } catch (e) {
    say(`demo failed: ${e instanceof Error ? e.message : String(e)}`)
    return 1
  } finally {
    await sandbox?.stop()
    await removeScratch(storeDir)
    await removeScratch(sandboxDir)
  }
}

process.exitCode = await main()
