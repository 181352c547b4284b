/**
 * @module classify connect error: tells "the broker refused our certificate" (renewal helps,
 * spec §4.5) from every other connect failure. Only alerts the peer *sent* count: a failed check
 * of the broker's certificate on our side is not a reason to renew ours.
 */
import { SdkError } from '@astarte-ts/sdk-core'

// OpenSSL alert codes as Node reports received alerts: ERR_SSL_<ver>_ALERT_<name>.
const CERTIFICATE_ALERTS = [
  'BAD_CERTIFICATE', // 42
  'UNSUPPORTED_CERTIFICATE', // 43
  'CERTIFICATE_REVOKED', // 44
  'CERTIFICATE_EXPIRED', // 45
  'CERTIFICATE_UNKNOWN', // 46
  'UNKNOWN_CA', // 48
  'ACCESS_DENIED', // 49
  'CERTIFICATE_REQUIRED', // 116 (TLS 1.3)
]
const ALERT_CODE = new RegExp(
  `^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_(?:${CERTIFICATE_ALERTS.join('|')})$`,
)

// [MQTT-3.2.2.3] CONNACK return codes 4 (bad user name or password) and 5 (not authorized): with
// `use_identity_as_username` these are verdicts on the certificate's CN.
const CONNACK_REFUSED_IDENTITY = new Set([4, 5])

// Our key and certificate do not belong together (e.g. a crash between the two file writes):
// only a new pair helps, so it counts as a refused certificate too.
const LOCAL_PAIR_CODES = new Set([
  'ERR_OSSL_X509_KEY_VALUES_MISMATCH',
  'ERR_OSSL_PEM_NO_START_LINE',
])

/** Where a connect failure happened, without secrets: host, port and the error's own code. */
export interface ConnectFailureContext {
  readonly host: string
  readonly port: number
}

/** `remote.certificate_rejected` when a new certificate may help, else `remote.connect_failed`. */
export function classifyConnectError(cause: unknown, where: ConnectFailureContext): SdkError {
  const code = (cause as { code?: unknown } | null)?.code
  const plain = typeof code === 'string' || typeof code === 'number'
  const ctx = { ...where, cause: plain ? code : undefined }
  const refused =
    (typeof code === 'string' && (ALERT_CODE.test(code) || LOCAL_PAIR_CODES.has(code))) ||
    (typeof code === 'number' && CONNACK_REFUSED_IDENTITY.has(code))
  const message = `couldn't connect to ${where.host}:${where.port}`
  return refused
    ? new SdkError('remote.certificate_rejected', `${message}: our certificate was refused`, {
        ctx,
        cause,
      })
    : new SdkError('remote.connect_failed', message, { ctx, cause })
}
