/**
 * @module linux system source: `SystemSource` on a Linux machine, from `/proc`, `/sys`,
 * os-release, `statfs` and NetworkManager's `nmcli`. Every path is taken under `root` (default
 * `/`), so tests can point it at a tree of their own; `nmcli` is looked up as given.
 */
import { execFile } from 'node:child_process'
import { readdir, readFile, statfs, access } from 'node:fs/promises'
import { join } from 'node:path'
import {
  parseCpuInfo,
  parseKernelParameters,
  parseMemInfo,
  parseMounts,
  parseOsRelease,
  parseUptimeMillis,
  parseWifiList,
} from './parse.js'
import type {
  BatteryEntry,
  BatteryState,
  NetworkInterfaceEntry,
  StorageEntry,
  SystemSource,
  TechnologyType,
} from './system-source.js'

/** Options of `linuxSystemSource`. */
export interface LinuxSystemSourceOptions {
  /** The directory `/proc`, `/sys`, `/etc` and `/usr/lib` are read under. Default `/`. */
  readonly root?: string
  /** The NetworkManager CLI; `null` disables Wi-Fi scanning. Default `nmcli` (on `PATH`). */
  readonly nmcli?: string | null
  /** The CPU architecture reported (default: this Node binary's, named as Rust names targets). */
  readonly architecture?: string
}

/** ARPHRD_ETHER and ARPHRD_PPP of `linux/if_arp.h`. */
const ARPHRD_ETHER = 1
const ARPHRD_PPP = 512

/** Reads the Linux machine (or the tree under `options.root`). */
export function linuxSystemSource(options: LinuxSystemSourceOptions = {}): SystemSource {
  const root = options.root ?? '/'
  const nmcli = options.nmcli === undefined ? 'nmcli' : options.nmcli
  const at = (...parts: string[]): string => join(root, ...parts)
  const text = (...parts: string[]): Promise<string> => readFile(at(...parts), 'utf8')
  const maybe = async (...parts: string[]): Promise<string | undefined> => {
    try {
      return (await text(...parts)).trim()
    } catch {
      return undefined
    }
  }
  const exists = async (...parts: string[]): Promise<boolean> =>
    access(at(...parts)).then(
      () => true,
      () => false,
    )
  const parsed = async <T>(file: string, parse: (t: string) => T | undefined): Promise<T> => {
    const value = parse(await text(file))
    if (value === undefined) throw new Error(`couldn't parse ${at(file)}`)
    return value
  }

  return {
    async osRelease() {
      for (const file of ['etc/os-release', 'usr/lib/os-release']) {
        const content = await maybe(file)
        if (content !== undefined) return parseOsRelease(content)
      }
      return undefined
    },
    architecture: () => options.architecture ?? targetArchitecture(process.arch),
    cpuInfo: async () => parseCpuInfo(await text('proc/cpuinfo')),
    memoryInfo: () => parsed('proc/meminfo', parseMemInfo),
    bootId: async () => (await text('proc/sys/kernel/random/boot_id')).trim(),
    uptimeMillis: () => parsed('proc/uptime', parseUptimeMillis),
    async taskCount() {
      // Summed over the processes this agent sees, as edgehog-device-runtime does (in a PID
      // namespace that is the container's, not the kernel's `/proc/loadavg` total).
      let total = 0
      for (const pid of await readdir(at('proc'))) {
        if (!/^\d+$/.test(pid)) continue
        try {
          total += (await readdir(at('proc', pid, 'task'))).length
        } catch {
          // The process ended while being counted.
        }
      }
      return total
    },
    kernelParameters: async () => parseKernelParameters((await maybe('proc/cmdline')) ?? ''),

    async storage() {
      const out: StorageEntry[] = []
      const seen = new Set<string>()
      for (const { source, mountPoint } of parseMounts(await text('proc/self/mounts'))) {
        if (!source.startsWith('/dev/')) continue
        const label = source.slice('/dev/'.length)
        // Edgehog's paths are one level: a device under a subdirectory (`/dev/mapper/x`) is skipped.
        if (label === '' || label.includes('/') || seen.has(label)) continue
        let fs
        try {
          fs = await statfs(at(mountPoint), { bigint: true })
        } catch {
          continue
        }
        seen.add(label)
        out.push({
          label,
          mountPoint,
          totalBytes: fs.blocks * fs.bsize,
          freeBytes: fs.bavail * fs.bsize,
        })
      }
      return out
    },

    async networkInterfaces() {
      let names: string[]
      try {
        names = (await readdir(at('sys/class/net'))).sort()
      } catch {
        return []
      }
      const out: NetworkInterfaceEntry[] = []
      for (const name of names) {
        const dir = join('sys/class/net', name)
        // A physical NIC has a `device` link; bridges, loopback and virtual links have none.
        if (!(await exists(dir, 'device')) || (await exists(dir, 'bridge'))) continue
        const type = Number(await maybe(dir, 'type'))
        const uevent = (await maybe(dir, 'uevent')) ?? ''
        const devtype = /^DEVTYPE=(.*)$/m.exec(uevent)?.[1]
        let technologyType: TechnologyType
        if (type === ARPHRD_PPP || devtype === 'wwan') technologyType = 'Cellular'
        else if (type !== ARPHRD_ETHER) continue
        else if (devtype === 'wlan' || (await exists(dir, 'wireless'))) technologyType = 'WiFi'
        else technologyType = 'Ethernet'
        const mac = (await maybe(dir, 'address'))?.toLowerCase()
        out.push({
          name,
          technologyType,
          ...(mac === undefined || mac === '' ? {} : { macAddress: mac }),
        })
      }
      return out
    },

    async batteries() {
      let names: string[]
      try {
        names = (await readdir(at('sys/class/power_supply'))).sort()
      } catch {
        return []
      }
      const out: BatteryEntry[] = []
      for (const name of names) {
        const dir = join('sys/class/power_supply', name)
        if ((await maybe(dir, 'type')) !== 'Battery') continue
        // Peripheral batteries (a mouse, a headset) report scope `Device`: not the system's.
        if ((await maybe(dir, 'scope')) === 'Device') continue
        const level = await batteryLevel(maybe, dir)
        if (level === undefined) continue
        const present = (await maybe(dir, 'present')) !== '0'
        const status = batteryState((await maybe(dir, 'status')) ?? 'Unknown', present)
        const serial = await maybe(dir, 'serial_number')
        out.push({
          slot: serial === undefined || serial === '' ? name : serial,
          levelPercentage: level,
          levelAbsoluteError: status === 'Unknown' ? 100 : 0,
          status,
        })
      }
      return out
    },

    async hasWifi() {
      if (nmcli === null) return false
      try {
        const out = await run(nmcli, ['-t', '-f', 'TYPE', 'device'])
        return out.split('\n').some((l) => l.trim() === 'wifi')
      } catch {
        return false
      }
    },

    async wifiScan() {
      if (nmcli === null) return []
      return parseWifiList(
        await run(nmcli, ['-t', '-f', 'IN-USE,BSSID,SSID,CHAN,SIGNAL', 'device', 'wifi', 'list']),
      )
    },
  }
}

async function batteryLevel(
  read: (...parts: string[]) => Promise<string | undefined>,
  dir: string,
): Promise<number | undefined> {
  const num = async (file: string): Promise<number> => {
    const t = await read(dir, file)
    return t === undefined || t === '' ? NaN : Number(t)
  }
  const capacity = await num('capacity')
  if (Number.isFinite(capacity)) return capacity
  for (const kind of ['energy', 'charge']) {
    const now = await num(`${kind}_now`)
    const full = await num(`${kind}_full`)
    if (Number.isFinite(now) && Number.isFinite(full) && full > 0) return (now * 100) / full
  }
  return undefined
}

/** The kernel's power-supply status mapped as Edgehog's Linux runtime maps UPower's states. */
function batteryState(status: string, present: boolean): BatteryState {
  if (!present) return 'Removed'
  switch (status) {
    case 'Charging':
      return 'Charging'
    case 'Discharging':
      return 'Discharging'
    case 'Full':
    case 'Not charging':
      return 'Idle'
    default:
      return 'Unknown'
  }
}

/**
 * `process.arch` named as edgehog-device-runtime reports its compile target (Rust's
 * `std::env::consts::ARCH`), so a board reads the same whichever agent runs on it.
 */
export function targetArchitecture(arch: string): string {
  const names: Record<string, string> = {
    x64: 'x86_64',
    ia32: 'x86',
    arm64: 'aarch64',
    ppc64: 'powerpc64',
    loong64: 'loongarch64',
  }
  return names[arch] ?? arch
}

function run(file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 30_000, maxBuffer: 1 << 20 }, (error, stdout) => {
      if (error === null) resolve(stdout)
      else reject(error)
    })
  })
}
