/**
 * @module OTA demo: an over-the-air update of a board without RAUC, through the agent's directory
 * A/B adapter. A bundle (a JSON manifest line and a 2 MiB image) served by a local HTTP server at
 * a deliberately slow pace, the OTARequest sent through the sandbox's AppEngine, every OTAEvent
 * read back from AppEngine and drawn as a progress bar, the reboot the agent asks for played by
 * stopping it, booting the board's new slot and starting the agent again, and Success read back.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import {
  Agent,
  agentFeatures,
  bootDirectorySlots,
  journalLogger,
  RecordingSystemControl,
  writeDirectoryBundle,
  type AgentConfig,
} from '@astarte-ts/agent'
import { Device, nodeTimers } from '@astarte-ts/runtime-node'
import type { Sandbox } from '@astarte-ts/sandbox'
import { demoConfig } from './demo-config.js'
import { realmApi } from './realm-api.js'
import { removeScratch, scratchDir } from './scratch.js'

const EDGEHOG = 'io.edgehog.devicemanager'
const DEVICE_ID = 'aGVsbG8tZWRnZWhvZy0wMg'
const COMPATIBLE = 'astarte-ts-demo-board'
const IMAGE_BYTES = 2 * 1024 * 1024

type Say = (line: string) => void
type Step = <T>(title: string, fn: () => Promise<T>) => Promise<T>

interface OtaEvent {
  readonly requestUUID: string
  readonly status: string
  readonly statusProgress: number
  readonly statusCode: string
  readonly message: string
}

/** `Downloading  [██████░░░░░░░░░░░░░░]  30%`. */
function bar(event: OtaEvent): string {
  const status = event.statusCode === '' ? event.status : `${event.status}/${event.statusCode}`
  if (event.status !== 'Downloading' && event.status !== 'Deploying') {
    return `${status}${event.message === '' ? '' : `  ${event.message}`}`
  }
  const filled = Math.round(event.statusProgress / 5)
  const line = `${status.padEnd(12)} [${'█'.repeat(filled)}${'░'.repeat(20 - filled)}] ${String(event.statusProgress).padStart(3)}%`
  return event.message === '' ? line : `${line}  ${event.message}`
}

/** Serves `body` at `/bundle.bin`, 32 KiB every 50 ms, so the download takes a few seconds. */
async function serveSlowly(body: Uint8Array): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (req.url !== '/bundle.bin') {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-length': body.length, etag: '"demo-bundle-1"' })
    let offset = 0
    const next = (): void => {
      if (offset >= body.length || res.destroyed) {
        res.end()
        return
      }
      res.write(body.subarray(offset, offset + 32 * 1024))
      offset += 32 * 1024
      setTimeout(next, 50)
    }
    next()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { server, url: `http://127.0.0.1:${port}/bundle.bin` }
}

/** Runs the OTA part of the demo on a started sandbox whose realm has the Edgehog interfaces. */
export async function otaDemo(sandbox: Sandbox, say: Say, step: Step): Promise<void> {
  const api = realmApi(sandbox)
  const work = await scratchDir('astarte-ota-demo-')
  const board = join(work, 'board')
  say('')
  say('astarte-agent: an over-the-air update (directory A/B adapter, a board without RAUC)')
  const toml = `
store_directory = "${join(work, 'store')}"
[astarte_device_sdk]
realm = "${sandbox.realm}"
device_id = "${DEVICE_ID}"
pairing_url = "${sandbox.pairingUrl}"
pairing_token = "${sandbox.jwt}"
[ota]
adapter = "directory"
[ota.directory]
root = "${board}"
compatible = "${COMPATIBLE}"
`
  const config = demoConfig(toml)

  let rebooted: () => void = () => undefined
  const rebootRequested = new Promise<void>((resolve) => (rebooted = resolve))
  const reboots = new RecordingSystemControl({ now: () => Date.now() }, () => rebooted())
  let served: { server: Server; url: string } | undefined
  let agent: Agent | undefined
  try {
    const image = randomBytes(IMAGE_BYTES)
    const bundleFile = join(work, 'bundle.bin')
    const manifest = await writeDirectoryBundle(bundleFile, image, {
      compatible: COMPATIBLE,
      version: '2.0.0',
    })
    served = await step(
      `build a ${IMAGE_BYTES / 1024 / 1024} MiB bundle for ${COMPATIBLE} 2.0.0 and serve it over HTTP`,
      async () => serveSlowly(await readFile(bundleFile)),
    )
    say(`    ${served.url}  sha256 of the image ${manifest.sha256.slice(0, 16)}…`)
    await bootDirectorySlots(board)

    agent = await step('start the agent on the board, booted from slot A', () =>
      startAgent(sandbox, config, reboots),
    )
    const uuid = randomUUID()
    const eventsPath = `devices/${DEVICE_ID}/interfaces/${EDGEHOG}.OTAEvent/event`
    const events = async (): Promise<OtaEvent[]> =>
      ((await api.get(eventsPath).catch(() => [])) as OtaEvent[]).filter(
        (e) => e.requestUUID === uuid,
      )
    let shown = 0
    const drawNew = async (): Promise<OtaEvent[]> => {
      const list = await events()
      for (const event of list.slice(shown)) say(`    ${bar(event)}`)
      shown = list.length
      return list
    }

    await step(`AppEngine sends OTARequest Update ${uuid}; OTAEvents read back`, async () => {
      const request = { operation: 'Update', url: served?.url, uuid }
      const path = `devices/${DEVICE_ID}/interfaces/${EDGEHOG}.OTARequest/request`
      // QoS 0, as Edgehog sends it: repeated (same uuid) until acknowledged
      for (let sent = Date.now() - 3000; (await events()).length === 0;) {
        if (Date.now() - sent >= 3000) {
          await api.post(path, request)
          sent = Date.now()
        }
        await new Promise((r) => setTimeout(r, 100))
      }
      const end = Date.now() + 60_000
      while (!(await drawNew()).some((e) => e.status === 'Rebooting')) {
        if (Date.now() > end) throw new Error('timed out waiting for Rebooting')
        await new Promise((r) => setTimeout(r, 200))
      }
      await rebootRequested
      say(
        `    SystemControl: reboot requested (simulated); primary slot now ${await primary(board)}`,
      )
    })

    await step(
      'simulated reboot: the agent stops, the board boots slot B, the agent starts',
      async () => {
        await agent?.stop()
        agent = undefined
        say(`    booted slot ${await bootDirectorySlots(board)}`)
        agent = await startAgent(sandbox, config, reboots)
      },
    )

    await step('Success read back from AppEngine; the new slot holds the image', async () => {
      const end = Date.now() + 30_000
      while (!(await drawNew()).some((e) => e.status === 'Success' || e.status === 'Failure')) {
        if (Date.now() > end) throw new Error('timed out waiting for the final event')
        await new Promise((r) => setTimeout(r, 200))
      }
      const final = (await events()).at(-1)
      if (final?.status !== 'Success') throw new Error(`the update ended in ${final?.status}`)
      const written = await readFile(join(board, 'slots', 'B', 'image'))
      if (!written.equals(image)) throw new Error('slot B does not hold the image')
      say(`    slot B: ${written.length} bytes, identical to the bundle's image; marked good`)
    })
  } finally {
    await agent?.stop()
    await new Promise<void>((resolve) =>
      served === undefined ? resolve() : served.server.close(() => resolve()),
    )
    await removeScratch(work)
  }
}

async function primary(board: string): Promise<string> {
  return (await readFile(join(board, 'primary'), 'utf8')).trim()
}

/** Opens the device (registered on first boot) and starts the agent's features on it. */
async function startAgent(
  sandbox: Sandbox,
  config: AgentConfig,
  reboots: RecordingSystemControl,
): Promise<Agent> {
  const sdk = config.astarteDeviceSdk
  if (sdk?.deviceId === undefined || sdk.pairingToken === undefined) {
    throw new Error('the demo configuration names its device and token')
  }
  const logger = journalLogger({ level: 'warn' })
  const declared = await Agent.interfacesOf(
    agentFeatures(config, { systemControl: reboots, rebootDelayMs: 500 }),
  )
  const device = await Device.open({
    realm: sdk.realm,
    pairingUrl: sdk.pairingUrl,
    deviceId: sdk.deviceId,
    pairingJwt: sdk.pairingToken,
    interfaces: declared.interfaces,
    storeDir: config.storeDirectory,
    caPem: sandbox.caPem,
    logger,
  })
  const agent = new Agent({
    device,
    features: declared,
    clock: { now: () => Date.now() },
    timers: nodeTimers,
    logger,
    stateDir: config.storeDirectory,
  })
  await agent.start()
  return agent
}
