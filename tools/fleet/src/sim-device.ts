/**
 * @module fleet sim device: one virtual device's life — connect, full sync when the session is
 * not present (spec §3.4), then one datastream value per period until the fleet's end, and a
 * jittered reconnect when the connection drops. It owns no timer: the fleet's schedule calls
 * `due` at the time the device asked for.
 */
import { createSecureContext } from 'node:tls'
import { fullSyncPlan, type SyncStep } from '@astarte-ts/sdk-core'
import { LeanClient, type CloseReason, type LeanClientHandler } from './lean-client.js'
import type { FleetShared } from './fleet-shared.js'
import type { FleetCredentials } from './credentials-cache.js'

type Phase = 'idle' | 'connecting' | 'syncing' | 'ready' | 'backoff' | 'done'

/** How long an open refused by `admitOpen` waits before asking again. */
const OPEN_RETRY_MS = 10

export class SimDevice implements LeanClientHandler {
  private phase: Phase = 'idle'
  private client: LeanClient | undefined
  /** Ids of the sync's subscribe and publishes; `undefined` outside a sync. */
  private controlIds: Set<number> | undefined
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

  get isReady(): boolean {
    return this.phase === 'ready'
  }

  /** Data publishes in flight (the sync's are not data). */
  get dataInflight(): number {
    return (this.client?.inflightCount ?? 0) - (this.controlIds?.size ?? 0)
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
    this.client?.tick(nowMs)
  }

  /** Ends the session with DISCONNECT; no reconnect follows. */
  stop(): void {
    this.phase = 'done'
    this.client?.close()
  }

  connected(sessionPresent: boolean): void {
    const nowMs = performance.now()
    this.shared.stats.onConnected(nowMs, !this.everConnected)
    this.everConnected = true
    this.linked = true
    if (sessionPresent) return this.becomeReady(nowMs)
    this.phase = 'syncing'
    const steps = fullSyncPlan({
      prefix: this.shared.topicPrefix(this.credentials.deviceId),
      interfaces: this.shared.interfaces,
      properties: this.shared.noProperties,
      inflater: this.shared.inflater,
      purgeFormat: 'zlib',
    })
    const [subscribe, ...publishes] = steps
    this.pendingSync = publishes
    this.controlIds = new Set()
    if (subscribe?.type === 'subscribe') {
      this.controlIds.add(this.client?.subscribe(subscribe.filters, subscribe.qos, nowMs) ?? -1)
    } else {
      this.publishSync(nowMs)
    }
  }

  acknowledged(packetId: number, sentMs: number): void {
    const nowMs = performance.now()
    const control = this.controlIds
    if (control?.delete(packetId) === true) {
      // spec §3.4: the publishes only after the suback, so emptyCache's answer isn't lost.
      if (this.pendingSync.length > 0) this.publishSync(nowMs)
      else if (control.size === 0) this.controlIds = undefined
      return
    }
    this.shared.stats.onAcknowledged(nowMs - sentMs)
  }

  closed(reason: CloseReason | undefined, unacknowledged: readonly number[]): void {
    const control = this.controlIds
    const lost = unacknowledged.filter((id) => control?.has(id) !== true).length
    this.controlIds = undefined
    this.client = undefined
    this.shared.stats.onClosed(reason, lost, this.linked)
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
    const { broker, trust } = this.shared
    const secureContext = createSecureContext({
      cert: this.credentials.certificatePem,
      key: this.credentials.privateKeyPem,
    })
    this.client = new LeanClient(
      {
        host: broker.host,
        port: broker.port,
        secureContext,
        clientId: `${this.shared.realm}/${this.credentials.deviceId}`,
        keepaliveSec: this.shared.keepaliveSec,
        ignoreTlsErrors: this.shared.ignoreTlsErrors,
        trust,
      },
      this,
    )
    this.shared.stats.onConnectAttempt(nowMs)
    this.client.open(nowMs)
  }

  private publishSync(nowMs: number): void {
    const steps = this.pendingSync
    this.pendingSync = []
    for (const step of steps) {
      if (step.type !== 'publish') continue
      this.controlIds?.add(this.client?.publish(step.topic, step.payload, step.qos, nowMs) ?? -1)
    }
    this.becomeReady(nowMs)
  }

  private becomeReady(nowMs: number): void {
    this.phase = 'ready'
    // A random phase spreads the fleet's sends evenly over each period.
    this.nextSendMs = nowMs + Math.random() * this.shared.periodMs
    this.shared.schedule.push(this.nextSendMs, this.index)
  }

  private sendOne(nowMs: number): void {
    if (nowMs >= this.shared.endMs || this.client === undefined) return
    const { qos } = this.shared
    const id = this.client.publish(this.topic, this.shared.payload(this.seq++), qos, nowMs)
    if (id >= 0) this.shared.stats.onSent(qos)
    else this.shared.stats.error('not_connected')
    // Keep the rate: the next send is one period after this one was due, not after now.
    this.nextSendMs = Math.max(this.nextSendMs + this.shared.periodMs, nowMs)
    this.shared.schedule.push(this.nextSendMs, this.index)
  }
}
