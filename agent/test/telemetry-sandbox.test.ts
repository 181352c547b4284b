/**
 * Telemetry against the sandbox over mutual TLS, on a manual clock: sampled values read back
 * through AppEngine and checked against this machine's `/proc` and `statfs` read independently;
 * the `[[telemetry_config]]` periods; `config.Telemetry` overrides sent through AppEngine (set,
 * persisted across a restart of the feature, unset); bad server data logged with its path.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { AstarteDevice, ServerMessage } from '@astarte-ts/sdk-core'
import type { Feature } from '../src/core/feature.js'
import { linuxSystemSource, type SystemSource } from '../src/system/index.js'
import { telemetryFeature, type TelemetryConfigEntry } from '../src/telemetry/index.js'
import {
  eventually,
  ManualTime,
  openDevice,
  RecordingLogger,
  startEnv,
  type Env,
} from './helpers/feature-sandbox.js'

const E = 'io.edgehog.devicemanager.'
const CONFIG = `${E}config.Telemetry`
let env: Env

before(async () => {
  env = await startEnv()
})
after(async () => {
  await env.stop()
})

const procText = (file: string): string => readFileSync(file, 'utf8')
const memAvailable = (): bigint =>
  BigInt(/^MemAvailable:\s+(\d+)/m.exec(procText('/proc/meminfo'))?.[1] ?? 'x') * 1024n
const memTotal = (): bigint =>
  BigInt(/^MemTotal:\s+(\d+)/m.exec(procText('/proc/meminfo'))?.[1] ?? 'x') * 1024n
/** `/proc/uptime` in ms, read as a float then rounded: another reading than the agent's. */
const uptimeMs = (): number => Math.round(Number(procText('/proc/uptime').split(' ')[0]) * 1000)
/** Threads by the `Threads:` lines of every process's status (the agent counts `task` entries). */
function threadCount(): number {
  let n = 0
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      n += Number(/^Threads:\s+(\d+)/m.exec(procText(`/proc/${pid}/status`))?.[1] ?? 0)
    } catch {
      // ended meanwhile
    }
  }
  return n
}
/** Block devices mounted directly under /dev, by the mount table, each statfs'd by `stat -f`. */
function disks(): Map<string, { total: bigint; avail: bigint }> {
  const out = new Map<string, { total: bigint; avail: bigint }>()
  for (const line of procText('/proc/self/mounts').split('\n')) {
    const [source, target] = line.split(' ')
    const m = /^\/dev\/([^/]+)$/.exec(source ?? '')
    if (m?.[1] === undefined || target === undefined || out.has(m[1])) continue
    const [bsize, blocks, avail] = execFileSync(
      'stat',
      ['-f', '-c', '%s %b %a', target.replace(/\\040/g, ' ')],
      {
        encoding: 'utf8',
      },
    )
      .trim()
      .split(' ')
      .map(BigInt)
    if (bsize === undefined || blocks === undefined || avail === undefined) continue
    out.set(m[1], { total: bsize * blocks, avail: bsize * avail })
  }
  return out
}
const within = (
  value: bigint | number,
  expected: bigint | number,
  slack: bigint | number,
): boolean => {
  const d = BigInt(value) - BigInt(expected)
  return (d < 0n ? -d : d) <= BigInt(slack)
}

type Sample = Record<string, unknown> & { timestamp: string }

async function history(deviceId: string, iface: string, path: string): Promise<Sample[]> {
  const res = await env.api('GET', `devices/${deviceId}/interfaces/${E}${iface}${path}`)
  if (res.status === 404) return []
  assert.equal(res.status, 200, JSON.stringify(res.data))
  return res.data as Sample[]
}
const times = (samples: readonly Sample[]): number[] => samples.map((s) => Date.parse(s.timestamp))
async function samplesAt(
  deviceId: string,
  iface: string,
  path: string,
  expected: number[],
): Promise<Sample[]> {
  return eventually(
    `${iface}${path} samples at ${expected.map((t) => new Date(t).toISOString()).join(', ')}`,
    () => history(deviceId, iface, path),
    (s) => JSON.stringify(times(s)) === JSON.stringify(expected),
  )
}

function startFeature(
  feature: Feature,
  device: AstarteDevice,
  time: ManualTime,
  stateDir: string,
  logger = new RecordingLogger(),
): Promise<void> {
  return feature.start({ device, clock: time, timers: time, logger, stateDir })
}

/** Manual time starting on a whole second (AppEngine timestamps are millisecond ISO strings). */
const manualTime = (): ManualTime => new ManualTime(Math.floor(Date.now() / 1000) * 1000)

describe('telemetry on this machine', () => {
  test('SystemStatus and StorageUsage values are the machine’s; absent hardware is not declared', async () => {
    const feature = telemetryFeature({
      config: [{ interface_name: `${E}SystemStatus`, enabled: true, period: 10 }],
    })
    const run = await openDevice(env, [feature])
    const stateDir = await mkdtemp(join(env.tmp, 'state-'))
    try {
      const time = manualTime()
      const t0 = time.now()
      const before = { uptime: uptimeMs(), mem: memAvailable(), threads: threadCount() }
      await startFeature(feature, run.device, time, stateDir)
      const [status] = await samplesAt(run.deviceId, 'SystemStatus', '/systemStatus', [t0])
      const storage = new Map<string, Sample>()
      for (const label of disks().keys()) {
        const [sample] = await samplesAt(run.deviceId, 'StorageUsage', `/${label}`, [t0])
        if (sample !== undefined) storage.set(label, sample)
      }
      const afterReads = {
        uptime: uptimeMs(),
        mem: memAvailable(),
        threads: threadCount(),
        disks: disks(),
      }

      assert.ok(status)
      assert.equal(status['bootId'], procText('/proc/sys/kernel/random/boot_id').trim())
      const uptime = Number(status['uptimeMillis'])
      assert.ok(
        before.uptime - 10 <= uptime && uptime <= afterReads.uptime + 10,
        `uptime ${uptime}`,
      )
      // Memory and threads move with the other processes: within a margin of both readings.
      const memSlack = memTotal() / 50n
      const mem = BigInt(status['availMemoryBytes'] as string)
      assert.ok(
        within(mem, before.mem, memSlack) || within(mem, afterReads.mem, memSlack),
        `mem ${mem}`,
      )
      const tasks = status['taskCount'] as number
      const taskSlack = Math.max(20, Math.round(before.threads / 10))
      assert.ok(
        within(tasks, before.threads, taskSlack) || within(tasks, afterReads.threads, taskSlack),
        `tasks ${tasks}`,
      )

      assert.deepEqual([...storage.keys()].sort(), [...afterReads.disks.keys()].sort())
      for (const [label, sample] of storage) {
        const disk = afterReads.disks.get(label)
        assert.ok(disk)
        assert.equal(BigInt(sample['totalBytes'] as string), disk.total)
        assert.ok(
          within(BigInt(sample['freeBytes'] as string), disk.avail, disk.total / 100n),
          label,
        )
      }

      const introspection = (await env.api('GET', `devices/${run.deviceId}/interfaces`))
        .data as string[]
      const battery = existsSync('/sys/class/power_supply')
        ? readdirSync('/sys/class/power_supply').some(
            (n) => procText(`/sys/class/power_supply/${n}/type`).trim() === 'Battery',
          )
        : false
      assert.equal(introspection.includes(`${E}BatteryStatus`), battery)
      assert.ok(introspection.includes(`${E}SystemStatus`))
      assert.ok(introspection.includes(CONFIG))
      await feature.stop()
    } finally {
      await run.stop()
    }
  })

  test('periods from the configuration, config.Telemetry overrides set, persisted across a restart, unset', async () => {
    const config: TelemetryConfigEntry[] = [
      { interface_name: `${E}SystemStatus`, enabled: true, period: 10 },
    ]
    let feature = telemetryFeature({ config })
    const stateDir = await mkdtemp(join(env.tmp, 'state-'))
    const overridesFile = join(stateDir, 'telemetry.json')
    const run = await openDevice(env, [feature], { route: (m) => feature.onServerMessage?.(m) })
    const storagePath = `/${[...disks().keys()][0]}`
    const setting = (iface: string, field: string): string =>
      `devices/${run.deviceId}/interfaces/${CONFIG}/request/${E}${iface}/${field}`
    const overrides = async (): Promise<unknown> =>
      existsSync(overridesFile) ? JSON.parse(await readFile(overridesFile, 'utf8')) : undefined
    try {
      const time = manualTime()
      const t0 = time.now()
      await startFeature(feature, run.device, time, stateDir)
      // SystemStatus on its configured 10 s; StorageUsage, not configured, once at start.
      assert.deepEqual(time.pendingAt(), [t0 + 10_000])
      await samplesAt(run.deviceId, 'SystemStatus', '/systemStatus', [t0])
      await samplesAt(run.deviceId, 'StorageUsage', storagePath, [t0])
      time.advance(10_000)
      await samplesAt(run.deviceId, 'SystemStatus', '/systemStatus', [t0, t0 + 10_000])
      assert.deepEqual(time.pendingAt(), [t0 + 20_000])

      // Enabled by the server: a sample now, then every 60 s (the default period).
      time.advance(1_000)
      assert.equal((await env.api('PUT', setting('StorageUsage', 'enable'), true)).status, 200)
      await eventually(
        'StorageUsage enabled',
        () => time.pendingAt(),
        (p) => p.length === 2,
      )
      assert.deepEqual(time.pendingAt(), [t0 + 20_000, t0 + 71_000])
      // Its period set: restarted, a sample now and every 5 s.
      time.advance(1_000)
      assert.equal((await env.api('PUT', setting('StorageUsage', 'periodSeconds'), 5)).status, 200)
      await eventually(
        'StorageUsage every 5 s',
        () => time.pendingAt(),
        (p) => p[0] === t0 + 17_000,
      )
      assert.deepEqual(time.pendingAt(), [t0 + 17_000, t0 + 20_000])
      await eventually(
        'overrides saved',
        overrides,
        (o) =>
          JSON.stringify(o) ===
          JSON.stringify([{ interface_name: `${E}StorageUsage`, enabled: true, period: 5 }]),
      )
      time.advance(5_000)
      const storageTimes = [t0, t0 + 11_000, t0 + 12_000, t0 + 17_000]
      await samplesAt(run.deviceId, 'StorageUsage', storagePath, storageTimes)

      // A restart: the overrides come back from the state directory alone.
      await feature.stop()
      assert.deepEqual(time.pendingAt(), [])
      time.advance(1_000)
      const t1 = time.now()
      feature = telemetryFeature({ config })
      await startFeature(feature, run.device, time, stateDir)
      assert.deepEqual(time.pendingAt(), [t1 + 5_000, t1 + 10_000])
      assert.deepEqual(
        (feature as ReturnType<typeof telemetryFeature>).schedules()[`${E}StorageUsage`],
        {
          enabled: true,
          periodSeconds: 5,
        },
      )
      storageTimes.push(t1)
      await samplesAt(run.deviceId, 'StorageUsage', storagePath, storageTimes)

      // Unsetting the period reverts to the default 60 s, the enable override stays.
      time.advance(1_000)
      assert.equal((await env.api('DELETE', setting('StorageUsage', 'periodSeconds'))).status, 204)
      await eventually(
        'StorageUsage back to 60 s',
        () => time.pendingAt(),
        (p) => p.includes(t1 + 61_000),
      )
      assert.deepEqual(time.pendingAt(), [t1 + 10_000, t1 + 61_000])
      storageTimes.push(t1 + 1_000)
      await samplesAt(run.deviceId, 'StorageUsage', storagePath, storageTimes)
      await eventually(
        'period override dropped',
        overrides,
        (o) =>
          JSON.stringify(o) ===
          JSON.stringify([{ interface_name: `${E}StorageUsage`, enabled: true }]),
      )
      // Unsetting enable reverts to the configuration: no entry, so no task.
      assert.equal((await env.api('DELETE', setting('StorageUsage', 'enable'))).status, 204)
      await eventually(
        'StorageUsage stopped',
        () => time.pendingAt(),
        (p) => p.length === 1,
      )
      assert.deepEqual(time.pendingAt(), [t1 + 10_000])
      await eventually('no overrides left', overrides, (o) => JSON.stringify(o) === '[]')
      time.advance(60_000)
      await samplesAt(run.deviceId, 'SystemStatus', '/systemStatus', [
        t0,
        t0 + 10_000,
        t1,
        ...Array.from({ length: 6 }, (_, i) => t1 + 10_000 * (i + 1)),
      ])
      assert.deepEqual(
        times(await history(run.deviceId, 'StorageUsage', storagePath)),
        storageTimes,
      )
      await feature.stop()
    } finally {
      await run.stop()
    }
  })

  test('a period longer than a host timer allows waits in hops, then samples once', async () => {
    const period = 30 * 24 * 3600
    const feature = telemetryFeature({
      config: [{ interface_name: `${E}StorageUsage`, enabled: true, period }],
    })
    const run = await openDevice(env, [feature])
    const stateDir = await mkdtemp(join(env.tmp, 'state-'))
    const storagePath = `/${[...disks().keys()][0]}`
    try {
      const time = manualTime()
      const t0 = time.now()
      await startFeature(feature, run.device, time, stateDir)
      const hop = 2 ** 31 - 1
      assert.deepEqual(time.pendingAt(), [t0 + hop])
      time.advance(hop)
      assert.deepEqual(time.pendingAt(), [t0 + period * 1000])
      time.advance(period * 1000 - hop)
      await samplesAt(run.deviceId, 'StorageUsage', storagePath, [t0, t0 + period * 1000])
      await feature.stop()
    } finally {
      await run.stop()
    }
  })

  test('bad server data is logged with its path and ignored; the schedule is unchanged', async () => {
    const logger = new RecordingLogger()
    const feature = telemetryFeature({
      config: [
        { interface_name: `${E}SystemStatus`, enabled: true, period: 10 },
        { interface_name: `${E}Geolocation`, enabled: true },
      ],
    })
    const stateDir = await mkdtemp(join(env.tmp, 'state-'))
    const received: ServerMessage[] = []
    const run = await openDevice(env, [feature], {
      route: (m) => {
        received.push(m)
        feature.onServerMessage?.(m)
      },
    })
    try {
      const time = manualTime()
      const t0 = time.now()
      await startFeature(feature, run.device, time, stateDir, logger)
      assert.ok(logger.warnings().some((w) => w.ctx['interfaceName'] === `${E}Geolocation`))
      const base = `devices/${run.deviceId}/interfaces/${CONFIG}`
      const outOfRange = `/request/${E}SystemStatus/periodSeconds`
      const unknown = `/request/${E}Geolocation/enable`
      assert.equal((await env.api('PUT', `${base}${outOfRange}`, -5)).status, 200)
      assert.equal((await env.api('PUT', `${base}${unknown}`, true)).status, 200)
      await eventually(
        'both delivered',
        () => received.length,
        (n) => n === 2,
      )
      const wrongType = `/request/${E}SystemStatus/enable`
      feature.onServerMessage?.({
        type: 'individual',
        interfaceName: CONFIG,
        path: wrongType,
        value: 'yes',
      })
      const otherPath = '/request/enable'
      feature.onServerMessage?.({
        type: 'individual',
        interfaceName: CONFIG,
        path: otherPath,
        value: true,
      })

      const warnedAt = logger.warnings().map((w) => w.ctx['path'])
      for (const path of [outOfRange, unknown, wrongType, otherPath]) {
        assert.ok(
          warnedAt.includes(path),
          `no warning for ${path}: ${JSON.stringify(logger.warnings())}`,
        )
      }
      assert.deepEqual(time.pendingAt(), [t0 + 10_000])
      assert.equal(existsSync(join(stateDir, 'telemetry.json')), false)
      time.advance(10_000)
      await samplesAt(run.deviceId, 'SystemStatus', '/systemStatus', [t0, t0 + 10_000])

      // A value the server sends again (as after a clean session) changes nothing, restarts nothing.
      time.advance(1_000)
      assert.equal((await env.api('PUT', `${base}${wrongType}`, true)).status, 200)
      await eventually(
        'restarted by the override',
        () => time.pendingAt(),
        (p) => p[0] === t0 + 21_000,
      )
      time.advance(1_000)
      assert.equal((await env.api('PUT', `${base}${wrongType}`, true)).status, 200)
      await eventually(
        'delivered again',
        () => received.length,
        (n) => n === 4,
      )
      assert.deepEqual(time.pendingAt(), [t0 + 21_000])
      await samplesAt(run.deviceId, 'SystemStatus', '/systemStatus', [t0, t0 + 10_000, t0 + 11_000])
      await feature.stop()
    } finally {
      await run.stop()
    }
  })

  test('BatteryStatus from power_supply and WiFiScanResults from nmcli, where the machine has them', async () => {
    const root = await mkdtemp(join(env.tmp, 'root-'))
    const supply = async (name: string, files: Record<string, string>): Promise<void> => {
      const dir = join(root, 'sys/class/power_supply', name)
      await mkdir(dir, { recursive: true })
      for (const [file, text] of Object.entries(files))
        await writeFile(join(dir, file), `${text}\n`)
    }
    await supply('AC', { type: 'Mains', online: '1' })
    await supply('BAT0', {
      type: 'Battery',
      status: 'Discharging',
      capacity: '87',
      present: '1',
      serial_number: 'SER123',
    })
    const nmcli = join(root, 'nmcli')
    await writeFile(
      nmcli,
      [
        '#!/bin/sh',
        'case "$*" in',
        '  "-t -f TYPE device") printf "ethernet\\nwifi\\nloopback\\n" ;;',
        '  *"wifi list"*) printf "*:AA\\\\:BB\\\\:CC\\\\:DD\\\\:EE\\\\:01:home:6:80\\n:AA\\\\:BB\\\\:CC\\\\:DD\\\\:EE\\\\:02:office\\\\:2:11:40\\n" ;;',
        '  *) exit 2 ;;',
        'esac',
        '',
      ].join('\n'),
    )
    await chmod(nmcli, 0o755)
    const system: SystemSource = {
      ...linuxSystemSource({ nmcli }),
      batteries: linuxSystemSource({ root }).batteries,
    }
    const feature = telemetryFeature({
      system,
      config: [{ interface_name: `${E}BatteryStatus`, enabled: true, period: 30 }],
    })
    const run = await openDevice(env, [feature])
    const stateDir = await mkdtemp(join(env.tmp, 'state-'))
    try {
      const time = manualTime()
      const t0 = time.now()
      await startFeature(feature, run.device, time, stateDir)
      const [battery] = await samplesAt(run.deviceId, 'BatteryStatus', '/SER123', [t0])
      assert.deepEqual(battery, {
        timestamp: new Date(t0).toISOString(),
        levelPercentage: 87,
        levelAbsoluteError: 0,
        status: 'Discharging',
      })
      // One scan, one timestamp: the backend geolocates from the APs of the newest one.
      const aps = await samplesAt(run.deviceId, 'WiFiScanResults', '/ap', [t0, t0])
      const ts = new Date(t0).toISOString()
      assert.deepEqual(
        [...aps].sort((a, b) => String(a['essid']).localeCompare(String(b['essid']))),
        [
          {
            timestamp: ts,
            channel: 6,
            connected: true,
            essid: 'home',
            macAddress: 'aa:bb:cc:dd:ee:01',
            rssi: -52,
          },
          {
            timestamp: ts,
            channel: 11,
            connected: false,
            essid: 'office:2',
            macAddress: 'aa:bb:cc:dd:ee:02',
            rssi: -76,
          },
        ],
      )
      await writeFile(join(root, 'sys/class/power_supply/BAT0/status'), 'Charging\n')
      await writeFile(join(root, 'sys/class/power_supply/BAT0/capacity'), '88\n')
      time.advance(30_000)
      const both = await samplesAt(run.deviceId, 'BatteryStatus', '/SER123', [t0, t0 + 30_000])
      assert.equal(both[1]?.['status'], 'Charging')
      assert.equal(both[1]?.['levelPercentage'], 88)
      await feature.stop()
    } finally {
      await run.stop()
    }
  })
})
