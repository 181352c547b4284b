/** @module fleet summary: the JSON `astarte-fleet` prints on stdout at the end of a run. */
import type { FleetOptions } from './run-fleet.js'
import type { FleetStats } from './fleet-stats.js'
import type { FleetTarget } from './fleet-target.js'

export interface FleetSummary {
  readonly devices: {
    readonly requested: number
    readonly paired: number
    readonly connectedAtEnd: number
    readonly peakConnected: number
  }
  readonly target: { readonly interface: string; readonly path: string; readonly qos: number }
  readonly rate: number
  readonly durationSec: number
  readonly rampSec: number
  readonly sent: number
  readonly acknowledged: number
  /** `acknowledged / sent`; 1 is the goal. */
  readonly acknowledgedRatio: number
  readonly errors: Readonly<Record<string, number>>
  readonly latencyMs: {
    readonly p50: number
    readonly p99: number
    readonly max: number
    readonly samples: number
  }
  readonly connections: {
    readonly attempts: number
    readonly accepted: number
    /** First connections of the ramp per second, from the first attempt to the last CONNACK. */
    readonly perSecond: number
  }
  readonly pairing: {
    readonly cached: number
    readonly fresh: number
    readonly durationMs: number
  }
  /** Seconds from the first connection attempt until every device was in (or gave up). */
  readonly connectPhaseSec: number
  /** Messages per second over the `duration` window, every device connected. */
  readonly messagesPerSecond: number
  readonly rssBytes: {
    /** After pairing, before the first connection. */
    readonly beforeConnect: number
    readonly peak: number
    /** At the end of sending, every device still connected. */
    readonly connected: number
    /** `(connected - beforeConnect) / connected devices`: what one more device costs. */
    readonly perConnectedDevice: number
    /** V8 heap in use at `connected`: the JavaScript part of the resident memory. */
    readonly heapUsedConnected: number
  }
  readonly cpu: {
    readonly userSec: number
    readonly systemSec: number
    readonly percentOfOneCore: number
  }
}

export interface SummaryInput {
  readonly options: FleetOptions
  readonly target: FleetTarget
  readonly stats: FleetStats
  readonly devicesPaired: number
  readonly pairing: { readonly cached: number; readonly durationMs: number }
  readonly connectedAtEnd: number
  readonly connectPhaseMs: number
  readonly steady: { readonly sent: number; readonly ms: number }
  readonly rss: {
    readonly beforeConnect: number
    readonly peak: number
    readonly connected: number
    readonly heapUsedConnected: number
  }
  readonly cpu: NodeJS.CpuUsage
  readonly wallMs: number
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits

export function summarize(input: SummaryInput): FleetSummary {
  const { options, stats, target } = input
  const rampMs = stats.lastFirstConnectMs - stats.firstAttemptMs
  const cpuSec = (input.cpu.user + input.cpu.system) / 1e6
  return {
    devices: {
      requested: options.devices,
      paired: input.devicesPaired,
      connectedAtEnd: input.connectedAtEnd,
      peakConnected: stats.peakConnected,
    },
    target: { interface: target.iface.name, path: target.path, qos: target.qos },
    rate: options.rate,
    durationSec: options.durationSec,
    rampSec: options.rampSec,
    sent: stats.sent,
    acknowledged: stats.acknowledged,
    acknowledgedRatio: stats.sent === 0 ? 0 : stats.acknowledged / stats.sent,
    errors: stats.errorsObject(),
    latencyMs: {
      p50: round(stats.latency.quantile(0.5)),
      p99: round(stats.latency.quantile(0.99)),
      max: round(stats.latency.max),
      samples: stats.latency.count,
    },
    connections: {
      attempts: stats.connectAttempts,
      accepted: stats.connections,
      perSecond: rampMs > 0 ? round((stats.firstConnects / rampMs) * 1000, 1) : stats.firstConnects,
    },
    pairing: {
      cached: input.pairing.cached,
      fresh: input.devicesPaired - input.pairing.cached,
      durationMs: Math.round(input.pairing.durationMs),
    },
    connectPhaseSec: round(input.connectPhaseMs / 1000, 1),
    messagesPerSecond: round(input.steady.sent / (input.steady.ms / 1000), 1),
    rssBytes: {
      ...input.rss,
      perConnectedDevice:
        input.connectedAtEnd > 0
          ? Math.round((input.rss.connected - input.rss.beforeConnect) / input.connectedAtEnd)
          : 0,
    },
    cpu: {
      userSec: round(input.cpu.user / 1e6),
      systemSec: round(input.cpu.system / 1e6),
      percentOfOneCore: round((cpuSec / (input.wallMs / 1000)) * 100, 1),
    },
  }
}
