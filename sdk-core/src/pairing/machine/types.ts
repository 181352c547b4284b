/**
 * @module pairing machine types: the inputs a runtime feeds to the `PairingMachine` and the
 * actions it gets back. Shared names (`http`, `timer.*`, `crypto.*`, `credentials.*`) are the
 * ones the device machine uses, so it can forward them verbatim; ids start with `pairing.`.
 */
import type { SdkError } from '../../errors.js'
import type { CertificateInfo, HttpRequest, HttpResponse, KeyAlgorithm } from '../../ports.js'
import type { BrokerAddress } from '../broker-url.js'

/** A private key and the certificate issued for it, both PEM. */
export interface StoredCredentials {
  readonly certificatePem: string
  readonly privateKeyPem: string
}

export interface PairingConfig {
  readonly pairingUrl: string
  readonly realm: string
  readonly deviceId: string
  readonly credentialsSecret: string
  readonly keyAlgorithm: KeyAlgorithm
  /** Fraction of the certificate lifetime at which to renew; default 0.75. */
  readonly renewAt?: number
  /** ± spread around `renewAt`, as a fraction of the lifetime; default 0.05. */
  readonly renewJitter?: number
  /** Retry backoff bounds; defaults 1 s and 5 min. */
  readonly retry?: { readonly initialDelayMs?: number; readonly maxDelayMs?: number }
  /** Uniform in `[0, 1)`: jitter for renewal and backoff. */
  readonly random: () => number
  /** Credentials stored by an earlier run, if any. */
  readonly credentials?: StoredCredentials | undefined
  /** The runtime's X.509 reader (`CryptoProvider.parseCertificate`); may throw on bad input. */
  readonly parseCertificate: (pem: string) => CertificateInfo
}

export type PairingInput =
  /**
   * Fetch device info and check (or obtain) credentials; restarts from `ready` or `failed`.
   * `knownBroker` is the broker an earlier device info named: stored credentials not yet due
   * for renewal are then announced at once (`pairing.ready`, not `renewed`), so the device
   * connects while Pairing checks them; a verdict of invalid renews them as usual.
   */
  | { readonly type: 'pairing.start'; readonly knownBroker?: BrokerAddress | undefined }
  /** Obtain a new certificate now, e.g. after the broker rejected the current one. */
  | { readonly type: 'pairing.renew' }
  /** Cancel timers and forget in-flight work; credentials are kept for the next start. */
  | { readonly type: 'pairing.stop' }
  | { readonly type: 'http.response'; readonly requestId: string; readonly response: HttpResponse }
  | { readonly type: 'http.failed'; readonly requestId: string; readonly error: unknown }
  | {
      readonly type: 'crypto.keyAndCsr'
      readonly requestId: string
      readonly privateKeyPem: string
      readonly csrPem: string
    }
  | { readonly type: 'crypto.failed'; readonly requestId: string; readonly error: unknown }
  | { readonly type: 'credentials.saved'; readonly requestId: string }
  | { readonly type: 'credentials.saveFailed'; readonly requestId: string; readonly error: unknown }
  | { readonly type: 'timer'; readonly timerId: string }

/** Where the machine stood when it had to wait and retry. */
export type PairingStep =
  'fetching-info' | 'verifying' | 'creating-key' | 'requesting-credentials' | 'saving'

export type PairingAction =
  /** Perform the request and feed back `http.response` or `http.failed` (never log its headers). */
  | { readonly type: 'http'; readonly requestId: string; readonly request: HttpRequest }
  /** A fresh key pair and a CSR with subject `CN=<commonName>`; answer `crypto.keyAndCsr`. */
  | {
      readonly type: 'crypto.createKeyAndCsr'
      readonly requestId: string
      readonly algorithm: KeyAlgorithm
      readonly commonName: string
    }
  /** Persist key and certificate together, atomically, files 0600; answer `credentials.saved`. */
  | {
      readonly type: 'credentials.save'
      readonly requestId: string
      readonly privateKeyPem: string
      readonly certificatePem: string
    }
  | { readonly type: 'timer.set'; readonly timerId: string; readonly atMs: number }
  | { readonly type: 'timer.cancel'; readonly timerId: string }
  /**
   * Credentials usable for MQTT. When `renewed`, the server revoked the previous certificate
   * the moment it was asked for this one (spec §4.3.4): reconnect with these right away. May
   * come again without `renewed` once Pairing confirmed credentials announced at start, with
   * the broker device info named then (it may have moved).
   */
  | {
      readonly type: 'pairing.ready'
      readonly brokerUrl: BrokerAddress
      readonly certificatePem: string
      readonly privateKeyPem: string
      readonly notBeforeMs: number
      readonly notAfterMs: number
      /** When the machine will renew on its own. */
      readonly renewAtMs: number
      readonly renewed: boolean
    }
  /** A step failed; it is retried at `atMs` (attempt counts from 1). */
  | {
      readonly type: 'pairing.retrying'
      readonly step: PairingStep
      readonly attempt: number
      readonly atMs: number
      readonly error: SdkError
    }
  /**
   * Terminal until the next `pairing.start`: no retry could help (wrong secret, inhibited…).
   * Repeated as the answer to every `pairing.renew` until then.
   */
  | { readonly type: 'pairing.failed'; readonly error: SdkError }

/** True for request and timer ids minted by the pairing machine. */
export function isPairingId(id: string): boolean {
  return id.startsWith('pairing.')
}
