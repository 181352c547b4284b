/**
 * @module system parsers: the text formats of `/proc`, `/etc/os-release` and `nmcli`'s terse
 * output, read into plain values. Pure: no I/O, so each format is tested on its own.
 */
import type { CpuInfo, MemoryInfo, OsRelease, WifiAccessPoint } from './system-source.js'

/** os-release(5): `KEY=value` lines; values may be quoted, `\` escapes inside double quotes. */
export function parseOsRelease(text: string): OsRelease {
  const out: Record<string, string> = {}
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const eq = line.indexOf('=')
    if (eq <= 0) continue
    const key = line.slice(0, eq)
    if (!/^[A-Za-z0-9_]+$/.test(key)) continue
    out[key] = unquote(line.slice(eq + 1))
  }
  return out
}

function unquote(value: string): string {
  const q = value[0]
  if ((q === '"' || q === "'") && value.length >= 2 && value.endsWith(q)) {
    const inner = value.slice(1, -1)
    return q === '"' ? inner.replace(/\\(["\\`$])/g, '$1') : inner
  }
  return value
}

/** The first processor block's `model`, `model name` and `vendor_id`, when present and non-empty. */
export function parseCpuInfo(text: string): CpuInfo {
  const fields = new Map<string, string>()
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (fields.size > 0) break
      continue
    }
    const colon = line.indexOf(':')
    if (colon < 0) continue
    const key = line.slice(0, colon).trim()
    if (!fields.has(key)) fields.set(key, line.slice(colon + 1).trim())
  }
  const pick = (key: string): string | undefined => {
    const v = fields.get(key)
    return v === undefined || v === '' ? undefined : v
  }
  const model = pick('model')
  const modelName = pick('model name')
  const vendor = pick('vendor_id')
  return {
    ...(model === undefined ? {} : { model }),
    ...(modelName === undefined ? {} : { modelName }),
    ...(vendor === undefined ? {} : { vendor }),
  }
}

/** `MemTotal` and `MemAvailable` of `/proc/meminfo` (kB there), in bytes. */
export function parseMemInfo(text: string): MemoryInfo | undefined {
  const kb = (key: string): bigint | undefined => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text)
    return m?.[1] === undefined ? undefined : BigInt(m[1]) * 1024n
  }
  const totalBytes = kb('MemTotal')
  const availableBytes = kb('MemAvailable')
  return totalBytes === undefined || availableBytes === undefined
    ? undefined
    : { totalBytes, availableBytes }
}

/** `/proc/uptime`'s first field (seconds, two decimals) in whole milliseconds, without floats. */
export function parseUptimeMillis(text: string): number | undefined {
  const m = /^(\d+)(?:\.(\d{1,3}))?\s/.exec(text)
  if (m?.[1] === undefined) return undefined
  return Number(m[1]) * 1000 + Number((m[2] ?? '').padEnd(3, '0'))
}

/** The kernel command line's `key=value` words (the last one wins, as the kernel does). */
export function parseKernelParameters(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const word of text.trim().split(/\s+/)) {
    const eq = word.indexOf('=')
    if (eq > 0) out[word.slice(0, eq)] = word.slice(eq + 1)
  }
  return out
}

/** A mount table line: source and mount point, with the table's octal escapes (`\040`) undone. */
export interface MountLine {
  readonly source: string
  readonly mountPoint: string
}

export function parseMounts(text: string): MountLine[] {
  const unescape = (s: string): string =>
    s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
  const out: MountLine[] = []
  for (const line of text.split('\n')) {
    const [source, mountPoint] = line.split(' ')
    if (source === undefined || mountPoint === undefined) continue
    out.push({ source: unescape(source), mountPoint: unescape(mountPoint) })
  }
  return out
}

/** Splits one line of `nmcli -t` output on its unescaped colons (values escape `:` and `\`). */
export function splitTerse(line: string): string[] {
  const out: string[] = []
  let field = ''
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (c === '\\' && i + 1 < line.length) field += line[++i]
    else if (c === ':') {
      out.push(field)
      field = ''
    } else field += c
  }
  out.push(field)
  return out
}

/**
 * NetworkManager reports a signal quality in percent, computed from dBm clamped to [-100, -40]
 * linearly (`nm_wifi_utils_level_to_quality`); this is its inverse, within that range.
 */
export function qualityToDbm(quality: number): number {
  const q = Math.min(100, Math.max(0, quality))
  return Math.round(-40 - ((100 - q) * 60) / 100)
}

/** `nmcli -t -f IN-USE,BSSID,SSID,CHAN,SIGNAL device wifi list` lines, one access point each. */
export function parseWifiList(text: string): WifiAccessPoint[] {
  const out: WifiAccessPoint[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    const [inUse, bssid, essid, chan, signal] = splitTerse(line)
    if (bssid === undefined || essid === undefined || chan === undefined || signal === undefined) {
      continue
    }
    const channel = Number(chan)
    const quality = Number(signal)
    if (
      !/^[0-9A-Fa-f:]{17}$/.test(bssid) ||
      !Number.isInteger(channel) ||
      !Number.isFinite(quality)
    )
      continue
    out.push({
      channel,
      connected: inUse === '*',
      essid,
      macAddress: bssid.toLowerCase(),
      rssi: qualityToDbm(quality),
    })
  }
  return out
}
