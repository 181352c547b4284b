/**
 * Device information against the sandbox over mutual TLS: every published value is read back
 * through AppEngine and checked against this machine, read here independently of the agent's
 * system source (a shell sourcing os-release, `uname`, `/proc`, `/sys`).
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { deviceInfoFeatures } from '../src/device-info/index.js'
import { linuxSystemSource } from '../src/system/index.js'
import {
  eventually,
  ManualTime,
  openDevice,
  RecordingLogger,
  startEnv,
  type Env,
} from './helpers/feature-sandbox.js'

const E = 'io.edgehog.devicemanager.'
let env: Env

before(async () => {
  env = await startEnv()
})
after(async () => {
  await env.stop()
})

/** os-release fields as the shell sees them (it sources the file). */
function osReleaseField(name: string): string {
  const file = existsSync('/etc/os-release') ? '/etc/os-release' : '/usr/lib/os-release'
  return execFileSync('sh', ['-c', `. ${file} && printf '%s' "$${name}"`], { encoding: 'utf8' })
}

/** `uname -m` as Rust names the target (32-bit ARM and x86 have several machine names). */
function targetOf(machine: string): string {
  if (/^armv\d/.test(machine)) return 'arm'
  if (/^i[3-6]86$/.test(machine)) return 'x86'
  return machine
}

function cpuField(key: string): string | undefined {
  const out = execFileSync(
    'awk',
    ['-F', '\t*: ', `$1 == "${key}" { print $2; exit }`, '/proc/cpuinfo'],
    {
      encoding: 'utf8',
    },
  ).trim()
  return out === '' ? undefined : out
}

/** Physical NICs: a `device` link, no bridge, ARPHRD_ETHER, by `/sys`. */
function physicalNics(): Record<string, { macAddress: string; technologyType: string }> {
  const out: Record<string, { macAddress: string; technologyType: string }> = {}
  for (const name of readdirSync('/sys/class/net')) {
    const dir = join('/sys/class/net', name)
    if (!existsSync(join(dir, 'device')) || existsSync(join(dir, 'bridge'))) continue
    if (readFileSync(join(dir, 'type'), 'utf8').trim() !== '1') continue
    const wifi =
      existsSync(join(dir, 'wireless')) ||
      /DEVTYPE=wlan/.test(readFileSync(join(dir, 'uevent'), 'utf8'))
    out[name] = {
      macAddress: readFileSync(join(dir, 'address'), 'utf8').trim().toLowerCase(),
      technologyType: wifi ? 'WiFi' : 'Ethernet',
    }
  }
  return out
}

function start(
  feature: ReturnType<typeof deviceInfoFeatures>[number],
  device: Parameters<typeof feature.start>[0]['device'],
  time: ManualTime,
  logger = new RecordingLogger(),
): Promise<void> {
  return feature.start({ device, clock: time, timers: time, logger, stateDir: env.tmp })
}

describe('device info on this machine', () => {
  test('OSInfo, HardwareInfo, RuntimeInfo, SystemInfo and NetworkInterfaceProperties are the machine’s', async () => {
    const serialNumber = `SN-${randomUUID()}`
    const partNumber = `PN-${randomUUID()}`
    const [feature] = deviceInfoFeatures({ serialNumber, partNumber, refreshSeconds: 0 })
    assert.ok(feature)
    const run = await openDevice(env, [feature])
    try {
      const time = new ManualTime(Date.now())
      await start(feature, run.device, time)

      const osName = osReleaseField('NAME')
      const osVersion = osReleaseField('VERSION_ID') || osReleaseField('BUILD_ID')
      const expectedOs: Record<string, string> = {}
      if (osName !== '') expectedOs['osName'] = osName
      if (osVersion !== '') expectedOs['osVersion'] = osVersion
      // each interface's properties reach the server in their own publishes: the server may have
      // the first interfaces and not yet the next, so each is read until it is complete
      const published = (name: string, expected: unknown) =>
        eventually(
          name,
          () => env.read(run.deviceId, `${E}${name}`),
          (v) => {
            assert.deepEqual(v, expected)
            return true
          },
        )
      await published('OSInfo', expectedOs)

      const memKb = execFileSync('awk', ['/^MemTotal:/ { print $2 }', '/proc/meminfo'], {
        encoding: 'utf8',
      }).trim()
      const cpu: Record<string, string> = {
        architecture: targetOf(execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim()),
      }
      for (const [key, field] of [
        ['model', 'model'],
        ['modelName', 'model name'],
        ['vendor', 'vendor_id'],
      ] as const) {
        const value = cpuField(field)
        if (value !== undefined) cpu[key] = value
      }
      await published('HardwareInfo', {
        cpu,
        mem: { totalBytes: String(BigInt(memKb) * 1024n) },
      })

      const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
        version: string
        homepage?: string
      }
      await published('RuntimeInfo', {
        name: 'astarte-ts-agent',
        version: pkg.version,
        environment: `Node ${process.versions.node}`,
        ...(pkg.homepage === undefined ? {} : { url: pkg.homepage }),
      })

      await published('SystemInfo', { serialNumber, partNumber })

      const nics = physicalNics()
      const introspection = (await env.api('GET', `devices/${run.deviceId}/interfaces`)).data
      assert.ok(Array.isArray(introspection))
      if (Object.keys(nics).length === 0) {
        assert.ok(!introspection.includes(`${E}NetworkInterfaceProperties`))
      } else {
        await published('NetworkInterfaceProperties', nics)
      }
      // No image fields in os-release and none configured: BaseImage isn't declared at all.
      assert.equal(
        introspection.includes(`${E}BaseImage`),
        osReleaseField('IMAGE_ID') !== '' || osReleaseField('IMAGE_VERSION') !== '',
      )
      await feature.stop()
    } finally {
      await run.stop()
    }
  })

  test('BaseImage from the configuration: /version whole, its build metadata as /buildId', async () => {
    const version = `1.${Date.now() % 1000}.0+build.${randomUUID().slice(0, 8)}`
    const [feature] = deviceInfoFeatures({
      baseImage: { name: 'board-image', version },
      refreshSeconds: 0,
    })
    assert.ok(feature)
    const run = await openDevice(env, [feature])
    try {
      await start(feature, run.device, new ManualTime(Date.now()))
      await eventually(
        'BaseImage',
        () => env.read(run.deviceId, `${E}BaseImage`),
        (v) => {
          assert.deepEqual(v, {
            name: 'board-image',
            version,
            buildId: version.slice(version.indexOf('+') + 1),
          })
          return true
        },
      )
      await feature.stop()
    } finally {
      await run.stop()
    }
  })

  test('a restart sends only what changed since the device cached it', async () => {
    const partNumber = `PN-${randomUUID()}`
    const [first] = deviceInfoFeatures({ serialNumber: 'SN-1', partNumber, refreshSeconds: 0 })
    assert.ok(first)
    const run = await openDevice(env, [first])
    try {
      await start(first, run.device, new ManualTime(Date.now()))
      await eventually(
        'SystemInfo',
        () => env.read(run.deviceId, `${E}SystemInfo`),
        (v) => {
          assert.deepEqual(v, { serialNumber: 'SN-1', partNumber })
          return true
        },
      )
      await first.stop()
      // The same device (its property cache) under a new feature whose serial number changed.
      const sets: string[] = []
      const device = new Proxy(run.device, {
        get(target, key) {
          const member = Reflect.get(target, key, target) as unknown
          if (key === 'setProperty') {
            return (iface: string, path: string, ...rest: unknown[]) => {
              sets.push(`${iface}${path}`)
              return (member as (...a: unknown[]) => unknown).call(target, iface, path, ...rest)
            }
          }
          return typeof member === 'function' ? member.bind(target) : member
        },
      })
      const [second] = deviceInfoFeatures({ serialNumber: 'SN-2', partNumber, refreshSeconds: 0 })
      assert.ok(second)
      await start(second, device, new ManualTime(Date.now()))
      await second.stop()
      assert.deepEqual(sets, [`${E}SystemInfo/serialNumber`])
      await eventually(
        'SystemInfo changed',
        () => env.read(run.deviceId, `${E}SystemInfo`),
        (v) => {
          assert.deepEqual(v, { serialNumber: 'SN-2', partNumber })
          return true
        },
      )
    } finally {
      await run.stop()
    }
  })

  test('a change is published on the refresh period: a NIC that disappears is unset', async () => {
    // The machine's readings, except the network, which comes from a tree this test changes.
    const root = await mkdtemp(join(env.tmp, 'root-'))
    const nic = async (name: string, mac: string): Promise<void> => {
      const dir = join(root, 'sys/class/net', name)
      await mkdir(join(dir, 'dev'), { recursive: true })
      await symlink('dev', join(dir, 'device'))
      await writeFile(join(dir, 'type'), '1\n')
      await writeFile(join(dir, 'address'), `${mac}\n`)
      await writeFile(join(dir, 'uevent'), `INTERFACE=${name}\n`)
    }
    await nic('enp1s0', '02:AA:BB:CC:DD:01')
    await nic('enp2s0', '02:aa:bb:cc:dd:02')
    const fake = linuxSystemSource({ root })
    const system = { ...linuxSystemSource(), networkInterfaces: fake.networkInterfaces }
    const [feature] = deviceInfoFeatures({ system, refreshSeconds: 30 })
    assert.ok(feature)
    const run = await openDevice(env, [feature])
    try {
      const time = new ManualTime(Date.now())
      await start(feature, run.device, time)
      const both = {
        enp1s0: { macAddress: '02:aa:bb:cc:dd:01', technologyType: 'Ethernet' },
        enp2s0: { macAddress: '02:aa:bb:cc:dd:02', technologyType: 'Ethernet' },
      }
      await eventually(
        'both NICs',
        () => env.read(run.deviceId, `${E}NetworkInterfaceProperties`),
        (v) => {
          assert.deepEqual(v, both)
          return true
        },
      )
      assert.deepEqual(time.pendingAt(), [time.now() + 30_000])
      await rm(join(root, 'sys/class/net/enp2s0'), { recursive: true })
      time.advance(30_000)
      await eventually(
        'enp2s0 unset',
        () => env.read(run.deviceId, `${E}NetworkInterfaceProperties`),
        (v) => JSON.stringify(v) === JSON.stringify({ enp1s0: both.enp1s0 }),
      )
      await feature.stop()
      assert.deepEqual(time.pendingAt(), [])
    } finally {
      await run.stop()
    }
  })
})
