/** @module fleet stats: the counters behind the progress line and the final summary. */
import type { SdkErrorCode } from '@astarte-ts/sdk-core'
import { LatencyHistogram } from './latency-histogram.js'

/** An error's code, or `unacknowledged`: messages sent that no acknowledgement answered. */
export type FleetErrorKind = SdkErrorCode | 'unacknowledged'

export class FleetStats {
  sent = 0
  acknowledged = 0
  connectAttempts = 0
  /** CONNACKs accepted, reconnections included. */
  connections = 0
  connectedNow = 0
  /** Connections between the attempt and CONNACK (or failure). */
  connecting = 0
  peakConnected = 0
  readonly errors = new Map<FleetErrorKind, number>()
  readonly latency = new LatencyHistogram()
  /** First connection of each device: when the ramp began and when its last device got in. */
  firstAttemptMs = Number.NaN
  lastFirstConnectMs = Number.NaN
  firstConnects = 0

  error(kind: FleetErrorKind, count = 1): void {
    if (count > 0) this.errors.set(kind, (this.errors.get(kind) ?? 0) + count)
  }

  onConnectAttempt(nowMs: number): void {
    this.connectAttempts++
    this.connecting++
    if (Number.isNaN(this.firstAttemptMs)) this.firstAttemptMs = nowMs
  }

  onConnected(nowMs: number, first: boolean): void {
    this.connections++
    this.connecting--
    this.connectedNow++
    if (this.connectedNow > this.peakConnected) this.peakConnected = this.connectedNow
    if (first) {
      this.firstConnects++
      this.lastFirstConnectMs = nowMs
    }
  }

  /** QoS 0 has no acknowledgement: written is as acknowledged as it gets (spec §3.5). */
  onSent(qos: 0 | 1 | 2): void {
    this.sent++
    if (qos === 0) this.acknowledged++
  }

  onAcknowledged(latencyMs: number): void {
    this.acknowledged++
    this.latency.record(latencyMs)
  }

  onClosed(reason: SdkErrorCode | undefined, wasConnected: boolean): void {
    if (wasConnected) this.connectedNow--
    else this.connecting--
    if (reason !== undefined) this.error(reason)
  }

  errorsObject(): Record<string, number> {
    return Object.fromEntries([...this.errors].sort(([a], [b]) => (a < b ? -1 : 1)))
  }

  errorCount(): number {
    let n = 0
    for (const v of this.errors.values()) n += v
    return n
  }
}
