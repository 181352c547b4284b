/**
 * @module fleet run: enroll N virtual devices (bounded parallel pairing, cached credentials),
 * connect them over a jittered ramp, send at the per-device rate until the end, drain the
 * acknowledgements and summarize. One interval timer drives the whole fleet.
 */
import {
  dataTopic,
  deviceInfoRequest,
  deviceTopicPrefix,
  parseDeviceInfoResponse,
  SdkError,
  type BrokerAddress,
  type HttpClient,
  type TopicPrefix,
} from '@astarte-ts/sdk-core'
import { loadInterfaces, nodeCryptoProvider, nodeInflater } from '@astarte-ts/runtime-node'
import { BrokerTrust } from './broker-trust.js'
import { CredentialsCache, type FleetCredentials } from './credentials-cache.js'
import { enrollDevice } from './enroll.js'
import { noProperties, type FleetShared } from './fleet-shared.js'
import { FleetStats } from './fleet-stats.js'
import { chooseTarget, encodeSample } from './fleet-target.js'
import { pairingHttp } from './pairing-http.js'
import { Schedule } from './schedule.js'
import { SimDevice } from './sim-device.js'
import { summarize, type FleetSummary } from './summary.js'

export interface FleetOptions {
  readonly devices: number
  /** Messages per second per device. */
  readonly rate: number
  /** Seconds of sending after the ramp. */
  readonly durationSec: number
  /** Seconds over which connections are spread (jittered). */
  readonly rampSec: number
  readonly interfacesDir: string
  readonly pairingUrl: string
  readonly realm: string
  readonly jwt: string
  readonly cacheDir: string
  /** Hardware-id prefix of the virtual devices. */
  readonly prefix: string
  readonly interfaceName?: string
  readonly path?: string
  /** CA for the broker and an https Pairing URL. */
  readonly caPem?: string
  readonly ignoreTlsErrors: boolean
  /** Pairing requests in parallel. */
  readonly concurrency: number
  readonly keepaliveSec: number
  /** Seconds to wait for outstanding acknowledgements after the end. */
  readonly drainSec: number
  /** Seconds after the ramp by which every device should be in; sending starts anyway then. */
  readonly connectWithinSec: number
}

export interface FleetIo {
  /** One progress line (stderr in the CLI). */
  progress(line: string): void
}

const TICK_MS = 5
/** Handshakes in flight at most, and opening time per tick at most. */
const MAX_CONNECTING = 64
const OPEN_BUDGET_MS = 25

async function pool(
  count: number,
  concurrency: number,
  work: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) await work(next++)
  }
  await Promise.all(Array.from({ length: Math.min(count, concurrency) }, worker))
}

async function brokerOf(
  options: FleetOptions,
  http: HttpClient,
  c: FleetCredentials,
): Promise<BrokerAddress> {
  const route = { pairingUrl: options.pairingUrl, realm: options.realm, deviceId: c.deviceId }
  const info = parseDeviceInfoResponse(
    await http.request(deviceInfoRequest({ ...route, credentialsSecret: c.credentialsSecret })),
  )
  if (!info.ok) throw info.error
  return info.value.brokerUrl
}

async function enrollAll(
  options: FleetOptions,
  http: HttpClient,
  stats: FleetStats,
  io: FleetIo,
): Promise<{ credentials: FleetCredentials[]; cached: number; durationMs: number }> {
  const started = performance.now()
  const credentials: FleetCredentials[] = []
  let cached = 0
  let done = 0
  let firstError: unknown
  const cache = new CredentialsCache(options.cacheDir, options.pairingUrl, options.realm)
  let ticks = 0
  const timer = setInterval(() => {
    io.progress(`fleet: pairing ${done}/${options.devices}`)
    if (++ticks % 5 === 0) cache.flush()
  }, 1000)
  try {
    await pool(options.devices, options.concurrency, async (i) => {
      try {
        const enrolled = await enrollDevice(options, i, http, nodeCryptoProvider, cache)
        credentials.push(enrolled.credentials)
        if (enrolled.cached) cached++
      } catch (e) {
        firstError ??= e
        stats.error(e instanceof SdkError ? e.code : 'local.pairing_failed')
      }
      done++
    })
  } finally {
    clearInterval(timer)
    cache.flush()
  }
  if (credentials.length === 0) {
    throw new SdkError('remote.fleet_pairing', "couldn't pair any device", { cause: firstError })
  }
  return { credentials, cached, durationMs: performance.now() - started }
}

/** Runs the whole simulation and returns its summary. */
export async function runFleet(options: FleetOptions, io: FleetIo): Promise<FleetSummary> {
  const cpuStart = process.cpuUsage()
  const interfaces = await loadInterfaces([options.interfacesDir])
  const target = chooseTarget(interfaces, options.interfaceName, options.path)
  const http = pairingHttp({
    maxSockets: options.concurrency,
    timeoutMs: 60_000,
    ignoreTlsErrors: options.ignoreTlsErrors,
    ...(options.caPem === undefined ? {} : { caPem: options.caPem }),
  })
  const stats = new FleetStats()
  let pairing
  let broker: BrokerAddress
  try {
    pairing = await enrollAll(options, http, stats, io)
    const first = pairing.credentials[0] as FleetCredentials
    broker = await brokerOf(options, http, first)
  } finally {
    http.close()
  }

  const startMs = performance.now()
  let endMs = Number.POSITIVE_INFINITY
  let tickStartMs = startMs
  /** Where the sending window (every device in) began. */
  let steady = { startMs: Number.NaN, sent: 0 }
  const schedule = new Schedule(pairing.credentials.length * 2)
  const prefixOf = (deviceId: string): TopicPrefix => {
    const p = deviceTopicPrefix(options.realm, deviceId)
    if (!p.ok) throw new SdkError('local.fleet_device_id', `couldn't use device id ${deviceId}`)
    return p.value
  }
  const shared: FleetShared = {
    realm: options.realm,
    broker: {
      host: broker.host,
      port: broker.port,
      keepaliveSec: options.keepaliveSec,
      ignoreTlsErrors: options.ignoreTlsErrors,
      trust: options.caPem === undefined ? undefined : new BrokerTrust(options.caPem),
    },
    interfaces,
    noProperties,
    inflater: nodeInflater,
    periodMs: 1000 / options.rate,
    get endMs() {
      return endMs
    },
    admitOpen: () =>
      stats.connecting < MAX_CONNECTING && performance.now() - tickStartMs < OPEN_BUDGET_MS,
    schedule,
    stats,
    qos: target.qos,
    topicPrefix: prefixOf,
    dataTopic: (deviceId) => dataTopic(prefixOf(deviceId), target.iface.name, target.path),
    payload: (seq) => encodeSample(target, seq, Date.now()),
    backoffMs: () => 1000 + Math.random() * 4000,
  }
  const devices = pairing.credentials.map((c, i) => new SimDevice(i, shared, c))
  const n = devices.length
  const rampMs = options.rampSec * 1000
  devices.forEach((_, i) => schedule.push(startMs + (rampMs * (i + Math.random())) / n, i))

  const rssBeforeConnect = process.memoryUsage.rss()
  let peakRss = rssBeforeConnect
  let lastSecond = startMs
  const line = (now: number): string =>
    `fleet: ${Math.round((now - startMs) / 1000)}s connected ${stats.connectedNow}/${n} ` +
    `sent ${stats.sent} acked ${stats.acknowledged} errors ${stats.errorCount()}`
  // Sending lasts `duration` once every device is in, or once it's clear some never will be.
  const giveUpMs = startMs + rampMs + options.connectWithinSec * 1000
  const onTick = (): void => {
    const now = performance.now()
    tickStartMs = now
    for (let id = schedule.popDue(now); id >= 0; id = schedule.popDue(now)) devices[id]?.due(now)
    if (endMs === Number.POSITIVE_INFINITY && (stats.firstConnects === n || now > giveUpMs)) {
      endMs = now + options.durationSec * 1000
      steady = { startMs: now, sent: stats.sent }
    }
    if (now - lastSecond >= 1000) {
      lastSecond = now
      for (const d of devices) d.tick(now)
      peakRss = Math.max(peakRss, process.memoryUsage.rss())
      io.progress(line(now))
    }
  }
  const ticker = setInterval(onTick, TICK_MS)
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
  try {
    while (performance.now() < endMs) await sleep(100)
    const drainUntil = performance.now() + options.drainSec * 1000
    while (performance.now() < drainUntil && stats.acknowledged < stats.sent) await sleep(50)
    peakRss = Math.max(peakRss, process.memoryUsage.rss())
    const { rss: rssConnected, heapUsed } = process.memoryUsage()
    const connectedAtEnd = stats.connectedNow
    const stoppedMs = performance.now()
    for (const d of devices) d.stop()
    const closeUntil = performance.now() + 5000
    while (stats.connectedNow > 0 && performance.now() < closeUntil) await sleep(20)
    stats.error('unacknowledged', stats.sent - stats.acknowledged)
    io.progress(line(performance.now()))
    return summarize({
      options,
      target,
      stats,
      devicesPaired: n,
      pairing,
      connectedAtEnd,
      connectPhaseMs: steady.startMs - startMs,
      steady: { sent: stats.sent - steady.sent, ms: Math.min(stoppedMs, endMs) - steady.startMs },
      rss: {
        beforeConnect: rssBeforeConnect,
        peak: peakRss,
        connected: rssConnected,
        heapUsedConnected: heapUsed,
      },
      cpu: process.cpuUsage(cpuStart),
      wallMs: stoppedMs - startMs + pairing.durationMs,
    })
  } finally {
    clearInterval(ticker)
  }
}
