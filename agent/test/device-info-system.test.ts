/**
 * The Linux system source on real files: the text formats of `/proc`, os-release and nmcli, and
 * a `/sys` tree of this test's own for the hardware the test machine may not have (batteries,
 * Wi-Fi and cellular links, bridges).
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import fc from 'fast-check'
import {
  parseCpuInfo,
  parseKernelParameters,
  parseMemInfo,
  parseMounts,
  parseOsRelease,
  parseUptimeMillis,
  parseWifiList,
  qualityToDbm,
  splitTerse,
} from '../src/system/parse.js'
import { linuxSystemSource } from '../src/system/index.js'
import { readDeviceInfo } from '../src/device-info/readings.js'

const E = 'io.edgehog.devicemanager.'
const quietLogger = { log: () => undefined }

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'agent-root-'))
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), text)
  }
  return root
}

describe('system text formats', () => {
  test('os-release: quotes, escapes, comments', () => {
    assert.deepEqual(
      parseOsRelease(
        '# c\nNAME="Poky (Yocto)"\nVERSION_ID=4.0\nIMAGE_ID=\'core-image\'\nX="a \\"b\\" \\$c"\nbad line\n',
      ),
      { NAME: 'Poky (Yocto)', VERSION_ID: '4.0', IMAGE_ID: 'core-image', X: 'a "b" $c' },
    )
  })

  test('cpuinfo: the first processor only, empty fields left out', () => {
    const text =
      'processor\t: 0\nvendor_id\t: GenuineIntel\nmodel\t\t: 85\nmodel name\t: \n\nprocessor\t: 1\nmodel name\t: Other\n'
    assert.deepEqual(parseCpuInfo(text), { vendor: 'GenuineIntel', model: '85' })
  })

  test('meminfo in bytes; uptime in whole ms without float error', () => {
    assert.deepEqual(parseMemInfo('MemTotal:  2048 kB\nMemFree: 1 kB\nMemAvailable:   1024 kB\n'), {
      totalBytes: 2048n * 1024n,
      availableBytes: 1024n * 1024n,
    })
    assert.equal(parseMemInfo('MemTotal: 1 kB\n'), undefined)
    fc.assert(
      fc.property(fc.nat(10_000_000), fc.integer({ min: 0, max: 99 }), (s, cs) => {
        const text = `${s}.${String(cs).padStart(2, '0')} 1.00\n`
        return parseUptimeMillis(text) === s * 1000 + cs * 10
      }),
    )
  })

  test('kernel parameters and mount table escapes', () => {
    assert.deepEqual(parseKernelParameters('ro quiet edgehog_system_part_number=P-1 a=b=c\n'), {
      edgehog_system_part_number: 'P-1',
      a: 'b=c',
    })
    assert.deepEqual(parseMounts('/dev/sda1 /mnt/my\\040disk ext4 rw 0 0\n'), [
      { source: '/dev/sda1', mountPoint: '/mnt/my disk' },
    ])
  })

  test('nmcli terse lines split on unescaped colons, whatever the fields hold', () => {
    const field = fc.string({ unit: fc.constantFrom('a', ':', '\\', ' ', 'é') })
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 6 }), (fields) => {
        const line = fields.map((f) => f.replace(/[\\:]/g, (c) => `\\${c}`)).join(':')
        assert.deepEqual(splitTerse(line), fields)
      }),
    )
  })

  test('nmcli wifi list: lower-case BSSID, in-use as connected, quality as dBm', () => {
    assert.deepEqual(parseWifiList('*:AA\\:BB\\:CC\\:DD\\:EE\\:FF:net:36:100\n:bad:x:1:2\n'), [
      { channel: 36, connected: true, essid: 'net', macAddress: 'aa:bb:cc:dd:ee:ff', rssi: -40 },
    ])
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), (q) => {
        const dbm = qualityToDbm(q)
        // NetworkManager's forward mapping gives the quality back.
        const back =
          100 - Math.trunc((100 * Math.abs(Math.min(-40, Math.max(-100, dbm)) + 40)) / 60)
        return dbm <= -40 && dbm >= -100 && Math.abs(back - q) <= 1
      }),
    )
  })
})

describe('linux system source on a tree', () => {
  test('batteries: level from capacity or energy, states mapped, peripherals and mains skipped', async () => {
    const ps = 'sys/class/power_supply'
    const root = await tree({
      [`${ps}/AC/type`]: 'Mains\n',
      [`${ps}/BAT0/type`]: 'Battery\n',
      [`${ps}/BAT0/status`]: 'Full\n',
      [`${ps}/BAT0/capacity`]: '100\n',
      [`${ps}/BAT1/type`]: 'Battery\n',
      [`${ps}/BAT1/status`]: 'Unknown\n',
      [`${ps}/BAT1/energy_now`]: '25000\n',
      [`${ps}/BAT1/energy_full`]: '50000\n',
      [`${ps}/BAT1/serial_number`]: 'S-1\n',
      [`${ps}/BAT2/type`]: 'Battery\n',
      [`${ps}/BAT2/present`]: '0\n',
      [`${ps}/BAT2/capacity`]: '0\n',
      [`${ps}/BAT3/type`]: 'Battery\n',
      [`${ps}/BAT3/status`]: 'Charging\n',
      [`${ps}/mouse/type`]: 'Battery\n',
      [`${ps}/mouse/scope`]: 'Device\n',
      [`${ps}/mouse/capacity`]: '50\n',
    })
    try {
      assert.deepEqual(await linuxSystemSource({ root }).batteries(), [
        { slot: 'BAT0', levelPercentage: 100, levelAbsoluteError: 0, status: 'Idle' },
        { slot: 'S-1', levelPercentage: 50, levelAbsoluteError: 100, status: 'Unknown' },
        { slot: 'BAT2', levelPercentage: 0, levelAbsoluteError: 0, status: 'Removed' },
      ])
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })

  test('network: physical links only, Wi-Fi and PPP told apart, bridges skipped', async () => {
    const net = 'sys/class/net'
    const root = await tree({
      [`${net}/eth0/type`]: '1\n',
      [`${net}/eth0/address`]: '02:AB:00:00:00:01\n',
      [`${net}/eth0/uevent`]: 'INTERFACE=eth0\n',
      [`${net}/wlan0/type`]: '1\n',
      [`${net}/wlan0/address`]: '02:ab:00:00:00:02\n',
      [`${net}/wlan0/uevent`]: 'DEVTYPE=wlan\nINTERFACE=wlan0\n',
      [`${net}/ppp0/type`]: '512\n',
      [`${net}/ppp0/address`]: '\n',
      [`${net}/br0/type`]: '1\n',
      [`${net}/br0/address`]: '02:ab:00:00:00:03\n',
      [`${net}/br0/bridge/x`]: '',
      [`${net}/veth0/type`]: '1\n',
      [`${net}/veth0/address`]: '02:ab:00:00:00:04\n',
      [`${net}/lo/type`]: '772\n',
    })
    try {
      for (const name of ['eth0', 'wlan0', 'ppp0', 'br0', 'lo']) {
        await mkdir(join(root, net, name, 'dev'))
        await symlink('dev', join(root, net, name, 'device'))
      }
      assert.deepEqual(await linuxSystemSource({ root }).networkInterfaces(), [
        { name: 'eth0', technologyType: 'Ethernet', macAddress: '02:ab:00:00:00:01' },
        { name: 'ppp0', technologyType: 'Cellular' },
        { name: 'wlan0', technologyType: 'WiFi', macAddress: '02:ab:00:00:00:02' },
      ])
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })

  test('os-release falls back to /usr/lib; no file, no reading', async () => {
    const root = await tree({ 'usr/lib/os-release': 'NAME=Fallback\n' })
    try {
      assert.deepEqual(await linuxSystemSource({ root }).osRelease(), { NAME: 'Fallback' })
      await rm(join(root, 'usr'), { recursive: true })
      assert.equal(await linuxSystemSource({ root }).osRelease(), undefined)
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })

  test('no nmcli, or nmcli without a Wi-Fi device: no Wi-Fi', async () => {
    const root = await tree({ nmcli: '#!/bin/sh\nprintf "ethernet\\nloopback\\n"\n' })
    try {
      await chmod(join(root, 'nmcli'), 0o755)
      assert.equal(await linuxSystemSource({ nmcli: join(root, 'missing') }).hasWifi(), false)
      assert.equal(await linuxSystemSource({ nmcli: null }).hasWifi(), false)
      assert.equal(await linuxSystemSource({ nmcli: join(root, 'nmcli') }).hasWifi(), false)
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})

describe('device-info readings', () => {
  const runtime = { name: 'astarte-ts-agent', environment: 'Node 20' }
  test('BaseImage from os-release image fields, the configuration where they are missing', async () => {
    const root = await tree({
      'etc/os-release':
        'NAME=Poky\nVERSION_ID=5.0\nIMAGE_ID=core-image\nIMAGE_VERSION="2.1.0+20261206"\n',
      'proc/cmdline': 'ro edgehog_system_serial_number=S-9 edgehog_system_part_number=P-9\n',
    })
    try {
      const system = linuxSystemSource({ root })
      const read = await readDeviceInfo(
        system,
        { runtime, baseImage: { name: 'other', version: '9.9.9' }, partNumber: 'P-config' },
        quietLogger,
      )
      assert.deepEqual(Object.fromEntries(read.get(`${E}BaseImage`) ?? []), {
        '/name': 'core-image',
        '/version': '2.1.0+20261206',
        '/buildId': '20261206',
      })
      assert.deepEqual(Object.fromEntries(read.get(`${E}OSInfo`) ?? []), {
        '/osName': 'Poky',
        '/osVersion': '5.0',
      })
      // The configuration wins over the kernel command line, field by field.
      assert.deepEqual(Object.fromEntries(read.get(`${E}SystemInfo`) ?? []), {
        '/serialNumber': 'S-9',
        '/partNumber': 'P-config',
      })
      await writeFile(join(root, 'etc/os-release'), 'NAME=Poky\nBUILD_ID=20261206\n')
      const fallback = await readDeviceInfo(
        system,
        { runtime, baseImage: { name: 'img', version: '1.0.0' } },
        quietLogger,
      )
      assert.deepEqual(Object.fromEntries(fallback.get(`${E}BaseImage`) ?? []), {
        '/name': 'img',
        '/version': '1.0.0',
      })
      assert.deepEqual(Object.fromEntries(fallback.get(`${E}OSInfo`) ?? []), {
        '/osName': 'Poky',
        '/osVersion': '20261206',
      })
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })

  test('a reading the machine refuses leaves its interface empty, logged; the others are read', async () => {
    const root = await tree({ 'etc/os-release': 'NAME=Tiny\n' })
    try {
      const warnings: string[] = []
      const read = await readDeviceInfo(
        linuxSystemSource({ root }),
        { runtime },
        {
          log: (level, message) => {
            if (level === 'warn') warnings.push(message)
          },
        },
      )
      assert.equal(read.get(`${E}HardwareInfo`)?.size, 0)
      assert.equal(read.get(`${E}BaseImage`)?.size, 0)
      assert.equal(read.get(`${E}SystemInfo`)?.size, 0)
      assert.equal(read.get(`${E}NetworkInterfaceProperties`)?.size, 0)
      assert.deepEqual(Object.fromEntries(read.get(`${E}OSInfo`) ?? []), { '/osName': 'Tiny' })
      assert.ok(warnings.some((w) => w.includes(`${E}HardwareInfo`)))
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})
