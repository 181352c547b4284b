/**
 * @module pairing harness (test helper): runs a PairingMachine against the scripted Pairing API
 * with a manual clock, performing its actions the way a runtime would and recording them.
 */
import type {
  PairingAction,
  PairingConfig,
  PairingInput,
  StoredCredentials,
} from '@astarte-ts/sdk-core'
import { PairingMachine } from '@astarte-ts/sdk-core'
import type { ScriptedPairingOptions } from './scripted-pairing.js'
import { ScriptedPairing } from './scripted-pairing.js'
import { newKeyAndCsr, parseCertificate } from './test-pki.js'

export const T0 = Date.UTC(2026, 0, 1)
export const DAY = 86_400_000
/** spec §4.5: the default CFSSL profile lifetime, 2190 h. */
export const LIFETIME = 2190 * 3_600_000
export const realm = 'test'
/** spec §4.4 test vector */
export const deviceId = 'AJInS0w3VpWpuOqkXhgZdA'
export const secret = 'q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA='

type Pending = Extract<
  PairingAction,
  { type: 'http' | 'crypto.createKeyAndCsr' | 'credentials.save' }
>

export interface HarnessOptions {
  readonly server?: Partial<ScriptedPairingOptions>
  readonly config?: Partial<PairingConfig>
  readonly nowMs?: number
}

export class Harness {
  nowMs: number
  readonly server: ScriptedPairing
  readonly machine: PairingMachine
  /** Every action, in order. */
  readonly actions: PairingAction[] = []
  readonly timers = new Map<string, number>()
  readonly pending: Pending[] = []
  saved: StoredCredentials | undefined
  /** How many of the next key creations, resp. saves, fail. */
  cryptoFailures = 0
  saveFailures = 0

  constructor(options: HarnessOptions = {}) {
    this.nowMs = options.nowMs ?? T0
    const server = { realm, deviceId, secret, lifetimeMs: LIFETIME, ...options.server }
    this.server = new ScriptedPairing(server)
    this.machine = new PairingMachine({
      pairingUrl: 'https://api.example.com/pairing/',
      realm,
      deviceId,
      credentialsSecret: secret,
      keyAlgorithm: 'ec-p256',
      random: () => 0.5,
      parseCertificate,
      ...options.config,
    })
  }

  feed(input: PairingInput): PairingAction[] {
    const out = this.machine.handle(input, this.nowMs)
    for (const action of out) {
      this.actions.push(action)
      switch (action.type) {
        case 'timer.set':
          this.timers.set(action.timerId, action.atMs)
          break
        case 'timer.cancel':
          this.timers.delete(action.timerId)
          break
        case 'http':
        case 'crypto.createKeyAndCsr':
        case 'credentials.save':
          this.pending.push(action)
          break
        default:
          break
      }
    }
    return out
  }

  /** Answers the oldest outstanding action as a runtime would. */
  deliverOne(): void {
    const action = this.pending.shift()
    if (action === undefined) throw new Error('nothing pending')
    const { requestId } = action
    switch (action.type) {
      case 'http': {
        const answer = this.server.handle(action.request, this.nowMs)
        this.feed(
          answer === 'network-error'
            ? { type: 'http.failed', requestId, error: new Error('connect ECONNREFUSED') }
            : { type: 'http.response', requestId, response: answer },
        )
        return
      }
      case 'crypto.createKeyAndCsr': {
        if (this.cryptoFailures > 0) {
          this.cryptoFailures -= 1
          this.feed({ type: 'crypto.failed', requestId, error: new Error('no entropy') })
          return
        }
        this.feed({ type: 'crypto.keyAndCsr', requestId, ...newKeyAndCsr(action.commonName) })
        return
      }
      case 'credentials.save': {
        if (this.saveFailures > 0) {
          this.saveFailures -= 1
          this.feed({ type: 'credentials.saveFailed', requestId, error: new Error('ENOSPC') })
          return
        }
        this.saved = { privateKeyPem: action.privateKeyPem, certificatePem: action.certificatePem }
        this.feed({ type: 'credentials.saved', requestId })
        return
      }
    }
  }

  /** Answers outstanding actions until only timers remain. */
  settle(): this {
    while (this.pending.length > 0) this.deliverOne()
    return this
  }

  start(): this {
    this.feed({ type: 'pairing.start' })
    return this.settle()
  }

  /** Moves the clock to the earliest timer, fires it, and settles. */
  fireNextTimer(): { timerId: string; atMs: number } {
    const next = [...this.timers].sort((a, b) => a[1] - b[1])[0]
    if (next === undefined) throw new Error('no timer set')
    const [timerId, atMs] = next
    this.timers.delete(timerId)
    this.nowMs = Math.max(this.nowMs, atMs)
    this.feed({ type: 'timer', timerId })
    this.settle()
    return { timerId, atMs }
  }

  /** Actions of one type, in order. */
  of<T extends PairingAction['type']>(type: T): Extract<PairingAction, { type: T }>[] {
    return this.actions.filter((a): a is Extract<PairingAction, { type: T }> => a.type === type)
  }

  /** `METHOD /last/path/segment` of every request the server saw. */
  routes(): string[] {
    return this.server.requests.map((r) => `${r.method} ${r.url.split('/').slice(-1)[0]}`)
  }
}
