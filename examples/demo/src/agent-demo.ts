/**
 * @module agent demo: the second half of `npm run demo`. The Edgehog interfaces installed through
 * Realm Management, a device registered on first boot by `astarte-agent`'s code (its TOML
 * configuration, its features on this machine's real system information), telemetry arriving, a
 * `config.Telemetry` override sent through AppEngine taking effect, a LedBehavior command drawn
 * as the simulated LED's timeline, a Reboot recorded by a simulated SystemControl, then a
 * graceful stop. Nothing is left running.
 */
import { readdir, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import {
  Agent,
  agentFeatures,
  journalLogger,
  RecordingSystemControl,
  type LedChange,
  type TelemetryFeature,
} from '@astarte-ts/agent'
import { nodeTimers } from '@astarte-ts/runtime-node'
import type { Sandbox } from '@astarte-ts/sandbox'
import { demoDeviceConfig, openDemoDevice } from './demo-config.js'
import { realmApi } from './realm-api.js'
import { removeScratch, scratchDir } from './scratch.js'

const EDGEHOG = 'io.edgehog.devicemanager'
const TELEMETRY_CONFIG = `${EDGEHOG}.config.Telemetry`
const LED_SHOWN_MS = 3600

const edgehogDir = join(
  dirname(createRequire(import.meta.url).resolve('@astarte-ts/interfaces/package.json')),
  'edgehog',
)

type Say = (line: string) => void
type Step = <T>(title: string, fn: () => Promise<T>) => Promise<T>

/** Resolves with the first value of `poll` that `ok` accepts; fails after `ms`. */
async function until<T>(what: string, ms: number, poll: () => Promise<T>, ok: (v: T) => boolean) {
  const end = Date.now() + ms
  for (;;) {
    const value = await poll()
    if (ok(value)) return value
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** One character per 100 ms: █ on, ▁ off. */
function drawTimeline(changes: readonly LedChange[], fromMs: number, toMs: number): string {
  let out = ''
  for (let t = fromMs; t < toMs; t += 100) {
    const last = changes.filter((c) => c.atMs <= t).at(-1)
    out += last?.on === true ? '█' : '▁'
  }
  return out
}

const short = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}` : x))

/** Runs the agent part of the demo on a started sandbox. */
export async function agentDemo(sandbox: Sandbox, say: Say, step: Step): Promise<void> {
  const api = realmApi(sandbox)
  const store = await scratchDir('astarte-agent-demo-')
  say('')
  say('astarte-agent: an Edgehog-compatible device agent')
  try {
    const files = (await readdir(edgehogDir)).filter((f) => f.endsWith('.json')).sort()
    await step(
      `install the ${files.length} Edgehog interfaces through Realm Management`,
      async () => {
        for (const f of files)
          await api.installInterface(JSON.parse(await readFile(join(edgehogDir, f), 'utf8')))
      },
    )

    // the daemon reads this as edgehog-device-runtime would; the demo skips the file only
    const toml = `
store_directory = "${store}"
[astarte_device_sdk]
realm = "${sandbox.realm}"
device_id = "aGVsbG8tZWRnZWhvZy0wMQ"
pairing_url = "${sandbox.pairingUrl}"
pairing_token = "${sandbox.jwt}"
[[telemetry_config]]
interface_name = "${EDGEHOG}.SystemStatus"
enabled = true
period = 1
[[telemetry_config]]
interface_name = "${EDGEHOG}.StorageUsage"
enabled = false
[hardware]
serial_number = "DEMO-0001"
part_number = "ASTARTE-TS-DEMO"
[[hardware.leds]]
id = "indicator"
type = "simulated"
`
    const { config, sdk } = demoDeviceConfig(toml)

    const clock = { now: () => Date.now() }
    const timeline: LedChange[] = []
    const reboots = new RecordingSystemControl(clock, (r) =>
      say(`    SystemControl: reboot requested at ${new Date(r.atMs).toISOString()} (simulated)`),
    )
    const features = agentFeatures(config, {
      systemControl: reboots,
      rebootDelayMs: 500,
      clock,
      onSimulatedLedChange: (_id, change) => timeline.push(change),
    })
    const telemetry = features.find((f) => f.name === 'telemetry') as TelemetryFeature | undefined
    const declared = await Agent.interfacesOf(features)
    const device = await step(
      `register ${sdk.deviceId} with pairing_token on first boot, open it with the features' ${declared.interfaces.length} interfaces`,
      () => openDemoDevice(sdk, declared.interfaces, store, sandbox.caPem),
    )
    const agent = new Agent({
      device,
      features: declared,
      clock,
      timers: nodeTimers,
      logger: journalLogger({ level: 'warn' }),
      stateDir: store,
    })
    const deviceApi = (path: string) =>
      api.get(`devices/${device.deviceId}${path === '' ? '' : `/${path}`}`)
    try {
      await step(`start the agent: ${features.map((f) => f.name).join(', ')}`, () => agent.start())
      const status = (await until(
        'the agent online',
        20_000,
        () => deviceApi('') as Promise<{ connected?: boolean; introspection?: object }>,
        (s) => s.connected === true,
      )) as { introspection?: object }
      say(
        `    introspection: ${Object.keys(status.introspection ?? {})
          .map((n) => n.replace(`${EDGEHOG}.`, ''))
          .join(', ')}`,
      )

      await step('device information read back through AppEngine (this machine)', async () => {
        for (const name of ['OSInfo', 'HardwareInfo', 'RuntimeInfo', 'SystemInfo']) {
          const value = await until(
            name,
            10_000,
            () => deviceApi(`interfaces/${EDGEHOG}.${name}`),
            (v) => v !== undefined && Object.keys(v as object).length > 0,
          )
          say(`    ${name}: ${short(value)}`)
        }
      })

      const systemStatus = `interfaces/${EDGEHOG}.SystemStatus/systemStatus`
      await step(
        'telemetry: SystemStatus every second ([[telemetry_config]] period = 1)',
        async () => {
          const samples = (await until(
            'two SystemStatus samples',
            10_000,
            () => deviceApi(systemStatus).catch(() => []) as Promise<unknown[]>,
            (s) => s.length >= 2,
          )) as unknown[]
          say(`    ${samples.length} samples, last ${short(samples.at(-1))}`)
        },
      )

      const storageUsage = `interfaces/${EDGEHOG}.StorageUsage`
      await step(
        'AppEngine sets config.Telemetry StorageUsage enable = true, periodSeconds = 2',
        async () => {
          const setAt = Date.now()
          const base = `devices/${device.deviceId}/interfaces/${TELEMETRY_CONFIG}/request/${EDGEHOG}.StorageUsage`
          await api.put(`${base}/enable`, true)
          await api.put(`${base}/periodSeconds`, 2)
          const usage = await until(
            'a StorageUsage sample taken after the override',
            10_000,
            () => deviceApi(storageUsage).catch(() => ({})) as Promise<Record<string, unknown>>,
            (v) =>
              Object.values(v).some((samples) =>
                (samples as { timestamp: string }[]).some((s) => Date.parse(s.timestamp) >= setAt),
              ),
          )
          say(`    schedules now: ${short(telemetry?.schedules())}`)
          say(`    StorageUsage: ${short(usage)}`)
        },
      )

      await step(
        'AppEngine sends LedBehavior /indicator/behavior = DoubleBlink60Seconds',
        async () => {
          const sentAt = Date.now()
          await api.post(
            `devices/${device.deviceId}/interfaces/${EDGEHOG}.LedBehavior/indicator/behavior`,
            'DoubleBlink60Seconds',
          )
          await until(
            'the LED on',
            10_000,
            async () => timeline.length,
            (n) => n > 0,
          )
          const from = timeline[0]?.atMs ?? sentAt
          await new Promise((r) => setTimeout(r, LED_SHOWN_MS))
          say(`    indicator, first ${LED_SHOWN_MS / 1000} s (100 ms a cell):`)
          say(`    ${drawTimeline(timeline, from, from + LED_SHOWN_MS)}`)
        },
      )

      await step(
        'AppEngine sends Commands /request = Reboot; SystemControl records it',
        async () => {
          await api.post(
            `devices/${device.deviceId}/interfaces/${EDGEHOG}.Commands/request`,
            'Reboot',
          )
          await until(
            'the reboot',
            10_000,
            async () => reboots.reboots.length,
            (n) => n === 1,
          )
        },
      )
    } finally {
      await step('stop the agent: features stop, in-flight work settles, device closes', () =>
        agent.stop(),
      )
    }
  } finally {
    await removeScratch(store)
  }
}
