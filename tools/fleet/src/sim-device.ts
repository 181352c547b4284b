/**
 * @module fleet sim device: one virtual device's life — connect, full sync when the session is
 * not present (spec §3.4), then one datastream value per period until the fleet's end, and a
 * jittered reconnect when the connection drops. It owns no timer: the fleet's schedule calls
 * `due` at the time the device asked for, and its ticker calls `tick` for the MQTT keepalive.
 */
import { createSecureContext } from 'node:tls'
import { fullSyncPlan, type SyncStep } from '@astarte-ts/sdk-core'
import type { SdkError } from '@astarte-ts/sdk-core'
import type { FleetCredentials } from './credentials-cache.js'
import type { FleetShared } from './fleet-shared.js'
import { SessionLink, type SessionLinkHandler } from './session-link.js'

type Phase = 'idle' | 'connecting' | 'syncing' | 'ready' | 'backoff' | 'done'

/** How long an open refused by `admitOpen` waits before asking again. */
const OPEN_RETRY_MS = 10
/**
 * The op id of the sync's subscribe and publishes. A data publish's op id is the
 * `performance.now()` time it was sent (never negative), so its latency needs no record.
 */
const CONTROL_OP = -1

export class SimDevice implements SessionLinkHandler {
  private phase: Phase = 'idle'
  /** Made at the first connection and kept: the MQTT session outlives its connections. */
  private link: SessionLink | undefined
  /** The sync's publishes, sent once its subscribe is acknowledged. */
  private pendingSync: readonly SyncStep[] = []
  private nextSendMs = 0
  private seq = 0
  private readonly topic: string
  private everConnected = false
  /** Between CONNACK and the connection's end. */
  private linked = false

  constructor(
    private readonly index: number,
    private readonly shared: FleetShared,
    private readonly credentials: FleetCredentials,
  ) {
    this.topic = shared.dataTopic(credentials.deviceId)
  }

  /** Called by the schedule when the time this device asked for has come. */
  due(nowMs: number): void {
    switch (this.phase) {
      case 'idle':
      case 'backoff':
        return this.open(nowMs)
      case 'ready':
        return this.sendOne(nowMs)
      case 'connecting':
      case 'syncing':
      case 'done':
        return
    }
  }

  tick(nowMs: number): void {
    this.link?.tick(nowMs)
  }

  /** Ends the connection with DISCONNECT; no reconnect follows. */
  stop(): void {
    this.phase = 'done'
    this.link?.close()
  }

  connected(sessionPresent: boolean): void {
    const nowMs = performance.now()
    this.shared.stats.onConnected(nowMs, !this.everConnected)
    this.everConnected = true
    this.linked = true
    if (sessionPresent) return this.becomeReady(nowMs)
    this.phase = 'syncing'
    const [subscribe, ...publishes] = fullSyncPlan({
      prefix: this.shared.topicPrefix(this.credentials.deviceId),
      interfaces: this.shared.interfaces,
      properties: this.shared.noProperties,
      inflater: this.shared.inflater,
      purgeFormat: 'zlib',
    })
    this.pendingSync = publishes
    if (subscribe?.type === 'subscribe') {
      this.link?.subscribe(subscribe.filters, subscribe.qos, CONTROL_OP, nowMs)
    } else {
      this.publishSync(nowMs)
    }
  }

  subscribed(): void {
    // spec §3.4: the publishes only after the suback, so emptyCache's answer isn't lost.
    if (this.pendingSync.length > 0) this.publishSync(performance.now())
  }

  published(opId: number): void {
    // QoS 0 counts as acknowledged when sent (FleetStats.onSent).
    if (opId === CONTROL_OP || this.shared.qos === 0) return
    this.shared.stats.onAcknowledged(performance.now() - opId)
  }

  closed(error: SdkError | undefined): void {
    this.shared.stats.onClosed(error?.code, this.linked)
    this.linked = false
    if (this.phase === 'done') return
    this.phase = 'backoff'
    const retryMs = performance.now() + this.shared.backoffMs()
    if (retryMs < this.shared.endMs) this.shared.schedule.push(retryMs, this.index)
  }

  private open(nowMs: number): void {
    if (!this.shared.admitOpen()) {
      this.shared.schedule.push(nowMs + OPEN_RETRY_MS, this.index)
      return
    }
    this.phase = 'connecting'
    const secureContext = createSecureContext({
      cert: this.credentials.certificatePem,
      key: this.credentials.privateKeyPem,
    })
    const clientId = `${this.shared.realm}/${this.credentials.deviceId}`
    this.link ??= new SessionLink(this.shared.broker, clientId, this)
    this.shared.stats.onConnectAttempt(nowMs)
    this.link.open(secureContext)
  }

  /** Hands the sync's publishes to the session; a sync cut short by a drop ends here too. */
  private publishSync(nowMs: number): void {
    const steps = this.pendingSync
    this.pendingSync = []
    for (const step of steps) {
      if (step.type === 'publish') {
        this.link?.publish(step.topic, step.payload, step.qos, CONTROL_OP, nowMs)
      }
    }
    if (this.phase === 'syncing') this.becomeReady(nowMs)
  }

  private becomeReady(nowMs: number): void {
    this.phase = 'ready'
    // A random phase spreads the fleet's sends evenly over each period.
    this.nextSendMs = nowMs + Math.random() * this.shared.periodMs
    this.shared.schedule.push(this.nextSendMs, this.index)
  }

  private sendOne(nowMs: number): void {
    if (nowMs >= this.shared.endMs || this.link === undefined) return
    const { qos } = this.shared
    this.link.publish(this.topic, this.shared.payload(this.seq++), qos, nowMs, nowMs)
    this.shared.stats.onSent(qos)
    // Keep the rate: the next send is one period after this one was due, not after now.
    this.nextSendMs = Math.max(this.nextSendMs + this.shared.periodMs, nowMs)
    this.shared.schedule.push(this.nextSendMs, this.index)
  }
}
