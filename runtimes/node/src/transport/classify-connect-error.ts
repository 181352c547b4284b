/**
 * @module classify connect error: tells "the broker refused our certificate" (renewal helps,
 * spec §4.5) from every other connect failure, and names those others in plain words with what
 * to do. Only alerts the peer *sent* count as a refused certificate: a failed check of the
 * broker's certificate on our side is not a reason to renew ours (it is `remote.tls_untrusted`).
 */
import { SdkError, type SdkErrorCode } from '@astarte-ts/sdk-core'

// OpenSSL alert codes as Node reports received alerts: ERR_SSL_<ver>_ALERT_<name>, where <ver>
// is SSLV3, TLSV1 or TLSV13 with Node 20's OpenSSL and SSL/TLS with the OpenSSL of Node 24.
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
  `^ERR_SSL_(?:SSLV3|TLSV1|TLSV13|SSL/TLS)_ALERT_(?:${CERTIFICATE_ALERTS.join('|')})$`,
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

// Our own check of the server's certificate failed (node:tls / OpenSSL verify error codes).
const UNTRUSTED_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'CERT_CHAIN_TOO_LONG',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
])
const EXPIRED_CODES = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID'])
const NAME_CODES = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH'])
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA'])
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT'])
const UNREACHABLE_CODES = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN'])

/** Where a connect failure happened, without secrets: host, port and the error's own code. */
export interface ConnectFailureContext {
  readonly host: string
  readonly port: number
}

/** A failed network exchange in plain words: the stable code, the cause, and what to do. */
export interface NetworkFailure {
  readonly code: SdkErrorCode
  /** What went wrong, lower-case, e.g. "the connection was refused". */
  readonly reason: string
  /** What to do about it, when something can be said. */
  readonly hint?: string
}

/** The server the failure is about, for the words of a hint. */
export type PeerKind = 'broker' | 'pairing api'

/**
 * Names a failure to reach or talk TLS to `where` (a broker or the Pairing API):
 * `remote.tls_untrusted`, `remote.connection_refused`, `remote.dns_failed`,
 * `remote.connect_timeout`, or `remote.connect_failed` for anything else. Never
 * `remote.certificate_rejected`: see {@link classifyConnectError}.
 */
export function describeNetworkFailure(
  cause: unknown,
  where: ConnectFailureContext,
  peer: PeerKind,
): NetworkFailure {
  const code = (cause as { code?: unknown } | null)?.code
  const text = typeof code === 'string' ? code : ''
  const message = cause instanceof Error ? cause.message : ''
  // one message for every user of the runtime: the SDK option, the CLI flag, the agent's key
  const ca =
    "trust the CA that signed it (option caFile; astarte-device --ca FILE; the agent's ca_file)"
  if (UNTRUSTED_CODES.has(text)) {
    return {
      code: 'remote.tls_untrusted',
      reason: `the ${peer}'s certificate is not trusted (${text})`,
      hint: ca,
    }
  }
  if (EXPIRED_CODES.has(text)) {
    return {
      code: 'remote.tls_untrusted',
      reason: `the ${peer}'s certificate is outside its validity period (${text})`,
      hint: "check this machine's clock, or ask the server's operator to renew the certificate",
    }
  }
  if (NAME_CODES.has(text)) {
    return {
      code: 'remote.tls_untrusted',
      reason: `the ${peer}'s certificate is not issued for ${where.host} (${text})`,
      hint: 'use the host name the certificate names',
    }
  }
  if (text === 'ECONNREFUSED') {
    return {
      code: 'remote.connection_refused',
      reason: `the connection was refused: nothing listens on ${where.host}:${where.port}`,
      hint: `check that the ${peer} is running and the address is right`,
    }
  }
  if (DNS_CODES.has(text)) {
    return {
      code: 'remote.dns_failed',
      reason: `the host name ${where.host} could not be resolved (${text})`,
      hint: "check the host name and this machine's DNS settings",
    }
  }
  if (TIMEOUT_CODES.has(text) || message === 'connack timeout') {
    return {
      code: 'remote.connect_timeout',
      reason: `${where.host}:${where.port} did not answer in time`,
      hint: `check that ${where.host}:${where.port} is the ${peer} and no firewall drops the traffic`,
    }
  }
  if (UNREACHABLE_CODES.has(text)) {
    return {
      code: 'remote.connect_failed',
      reason: `${where.host} is unreachable from here (${text})`,
      hint: "check this machine's network and routes",
    }
  }
  const detail = text !== '' ? text : message
  return { code: 'remote.connect_failed', reason: detail === '' ? 'unknown cause' : detail }
}

/** The one-line text of a failure: `reason; hint`. */
export function failureText(failure: NetworkFailure): string {
  return failure.hint === undefined ? failure.reason : `${failure.reason}; ${failure.hint}`
}

/**
 * `remote.certificate_rejected` when a new certificate may help (the only code that makes the
 * device renew it), else the specific code of {@link describeNetworkFailure}.
 */
export function classifyConnectError(cause: unknown, where: ConnectFailureContext): SdkError {
  const code = (cause as { code?: unknown } | null)?.code
  const plain = typeof code === 'string' || typeof code === 'number'
  const ctx = { ...where, cause: plain ? code : undefined }
  const refused =
    (typeof code === 'string' && (ALERT_CODE.test(code) || LOCAL_PAIR_CODES.has(code))) ||
    (typeof code === 'number' && CONNACK_REFUSED_IDENTITY.has(code))
  const message = `couldn't connect to ${where.host}:${where.port}`
  if (refused) {
    return new SdkError('remote.certificate_rejected', `${message}: our certificate was refused`, {
      ctx,
      cause,
    })
  }
  const failure = describeNetworkFailure(cause, where, 'broker')
  return new SdkError(failure.code, `${message}: ${failureText(failure)}`, { ctx, cause })
}
