/**
 * @module pairing machine: registration-free credentials lifecycle of one device — device info,
 * verify, key + CSR, credentials, save, proactive renewal — as a sans-I/O machine. It returns
 * actions and never performs I/O or reads a clock.
 */
import type { Issue } from '../../errors.js'
import { SdkError } from '../../errors.js'
import { anyIssue } from '../../interface/issue.js'
import { checkDeviceId, checkPairingUrl, checkRealm } from '../target.js'
import type { Context } from './context.js'
import { adoptCredentials } from './context.js'
import type { PairingState, Transition } from './state.js'
import { idle } from './states/idle.js'
import type { Step } from './transitions.js'
import { transitions } from './transitions.js'
import type { PairingAction, PairingConfig, PairingInput } from './types.js'

/** The states of the machine, as reported by `PairingMachine.state`. */
export type PairingStateTag = PairingState['tag']

/**
 * Obtains and keeps valid MQTT credentials for one device (spec §4).
 *
 * Feed `pairing.start`, then the outcome of every action it returns; `pairing.ready` carries
 * the broker address and credentials to connect with. After a renewal (`renewed: true`) the
 * previous certificate is already revoked, so the device must reconnect right away. Started
 * with the broker an earlier run learnt, stored credentials that pass the local checks are
 * ready at once and Pairing's verdict follows (a renewal when it says invalid).
 */
export class PairingMachine {
  #state: PairingState = idle
  readonly #ctx: Context

  /** @throws SdkError `local.pairing_config` with issues when the configuration is invalid. */
  constructor(config: PairingConfig) {
    // the defaults `PairingConfig` documents
    const renewAt = config.renewAt ?? 0.75
    const renewJitter = config.renewJitter ?? 0.05
    const initialDelayMs = config.retry?.initialDelayMs ?? 1_000
    const maxDelayMs = config.retry?.maxDelayMs ?? 300_000
    const issues: Issue[] = [
      ...checkPairingUrl(config.pairingUrl),
      ...checkRealm(config.realm),
      ...checkDeviceId(config.deviceId),
      ...check(config.credentialsSecret !== '', '/credentialsSecret', 'secret must not be empty'),
      ...check(renewAt > 0 && renewAt < 1, '/renewAt', 'renewAt must be within (0, 1)'),
      ...check(renewJitter >= 0 && renewJitter <= 0.5, '/renewJitter', 'jitter must be ≤ 0.5'),
      ...check(initialDelayMs >= 1, '/retry/initialDelayMs', 'initial delay must be at least 1 ms'),
      ...check(maxDelayMs >= initialDelayMs, '/retry/maxDelayMs', 'max delay must be ≥ initial'),
    ]
    if (issues.length > 0) {
      throw new SdkError('local.pairing_config', "couldn't configure pairing", { issues })
    }
    this.#ctx = {
      route: {
        pairingUrl: config.pairingUrl,
        realm: config.realm,
        deviceId: config.deviceId,
        credentialsSecret: config.credentialsSecret,
      },
      commonName: `${config.realm}/${config.deviceId}`,
      keyAlgorithm: config.keyAlgorithm,
      renewal: { renewAt, renewJitter },
      backoff: { initialDelayMs, maxDelayMs },
      random: config.random,
      parseCertificate: config.parseCertificate,
      credentials: undefined,
      attempt: 0,
      lastId: 0,
    }
    if (config.credentials !== undefined) {
      // unreadable or foreign stored credentials are simply replaced on start
      const adopted = adoptCredentials(this.#ctx, config.credentials)
      if (adopted.ok) this.#ctx.credentials = adopted.value
    }
  }

  /** The current state's tag, for diagnostics. */
  get state(): PairingStateTag {
    return this.#state.tag
  }

  /** Advances the machine; answers to requests or timers it no longer waits for are ignored. */
  handle(input: PairingInput, nowMs: number): PairingAction[] {
    const state = this.#state
    if (!awaits(state, input)) return []
    const step = transitions[state.tag][input.type] as Step<PairingState, PairingInput> | undefined
    if (step === undefined) return []
    const next: Transition = step(state, input, this.#ctx, nowMs)
    this.#state = next.state
    return [...next.actions]
  }
}

function check(holds: boolean, path: string, message: string): Issue[] {
  return holds ? [] : [anyIssue('pairing_config', path, message)]
}

/** Inputs that answer a request or timer must answer the one the state is waiting for. */
function awaits(state: PairingState, input: PairingInput): boolean {
  if ('requestId' in input) return 'requestId' in state && state.requestId === input.requestId
  if (input.type === 'timer') return 'timerId' in state && state.timerId === input.timerId
  return true
}
