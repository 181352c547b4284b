/**
 * @module pairing schedule: when to renew a certificate and how long to back off; pure functions
 * of their arguments, randomness injected.
 */
import type { CertificateInfo } from '../../ports.js'

export interface RenewalPolicy {
  /** Fraction of the lifetime after `notBefore` at which to renew (spec §4.5 suggests ~0.8). */
  readonly renewAt: number
  /** Spread of the renewal time, as a fraction of the lifetime, on each side of `renewAt`. */
  readonly renewJitter: number
}

/**
 * `notBefore + lifetime × (renewAt ± renewJitter)`, clamped into `[notBefore, notAfter)` so a
 * certificate is always renewed while it is still valid. Jitter spreads a fleet whose
 * certificates were issued together.
 */
export function renewalTimeMs(
  cert: Pick<CertificateInfo, 'notBeforeMs' | 'notAfterMs'>,
  policy: RenewalPolicy,
  random: () => number,
): number {
  const lifetime = cert.notAfterMs - cert.notBeforeMs
  const fraction = policy.renewAt + (2 * random() - 1) * policy.renewJitter
  const raw = Math.floor(cert.notBeforeMs + lifetime * fraction)
  return Math.max(cert.notBeforeMs, Math.min(raw, cert.notAfterMs - 1))
}

export interface BackoffPolicy {
  readonly initialDelayMs: number
  readonly maxDelayMs: number
}

/** "Full jitter": uniform in `[0, min(max, initial × 2^attempt))`, so retries never synchronise. */
export function backoffDelayMs(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(attempt, 52))
  return Math.floor(random() * ceiling)
}
