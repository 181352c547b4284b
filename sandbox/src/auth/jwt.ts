/**
 * @module jwt: realm API tokens (spec §6). The sandbox holds the realm private key, signs tokens
 * for its users, and verifies every token against the realm public key before any claim is read.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto'

/** The realm signing key: EC P-256 signs ES256, RSA signs RS256 (spec §6). */
export interface RealmKey {
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  readonly publicKeyPem: string
  readonly alg: 'ES256' | 'RS256'
}

/** Loads a realm key from a PKCS#8/SEC1/PKCS#1 PEM, or generates an EC P-256 one. */
export function realmKeyFrom(privateKeyPem: string | undefined): RealmKey {
  const privateKey =
    privateKeyPem === undefined
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
      : createPrivateKey(privateKeyPem)
  const type = privateKey.asymmetricKeyType
  if (type !== 'ec' && type !== 'rsa') throw new Error("couldn't use the realm key: EC or RSA only")
  const publicKey = createPublicKey(privateKey)
  return {
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    alg: type === 'ec' ? 'ES256' : 'RS256',
  }
}

/** Signs `claims` (plus `iat`) with the realm key. */
export function signJwt(
  key: RealmKey,
  claims: Readonly<Record<string, unknown>>,
  nowSec: number,
): string {
  const header = b64url(JSON.stringify({ alg: key.alg, typ: 'JWT' }))
  const payload = b64url(JSON.stringify({ iat: nowSec, ...claims }))
  const input = `${header}.${payload}`
  const signature =
    key.alg === 'ES256'
      ? cryptoSign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
      : cryptoSign('sha256', Buffer.from(input), key.privateKey)
  return `${input}.${signature.toString('base64url')}`
}

const ALGORITHMS: Record<string, { hash: string; key: 'ec' | 'rsa'; pss?: true }> = {
  ES256: { hash: 'sha256', key: 'ec' },
  ES384: { hash: 'sha384', key: 'ec' },
  ES512: { hash: 'sha512', key: 'ec' },
  RS256: { hash: 'sha256', key: 'rsa' },
  RS384: { hash: 'sha384', key: 'rsa' },
  RS512: { hash: 'sha512', key: 'rsa' },
  PS256: { hash: 'sha256', key: 'rsa', pss: true },
  PS384: { hash: 'sha384', key: 'rsa', pss: true },
  PS512: { hash: 'sha512', key: 'rsa', pss: true },
}

/** Verifies signature and `exp`/`nbf`; returns the claims, or null for any invalid token. */
export function verifyJwt(
  token: string,
  publicKey: KeyObject,
  nowSec: number,
): Readonly<Record<string, unknown>> | null {
  const parts = token.split('.')
  if (parts.length !== 3) return null
  const [h, p, s] = parts as [string, string, string]
  const header = parseJsonObject(h)
  const claims = parseJsonObject(p)
  if (header === null || claims === null) return null
  const algorithm = typeof header['alg'] === 'string' ? ALGORITHMS[header['alg']] : undefined
  if (algorithm === undefined || publicKey.asymmetricKeyType !== algorithm.key) return null
  const data = Buffer.from(`${h}.${p}`)
  const signature = Buffer.from(s, 'base64url')
  const keyInput =
    algorithm.key === 'ec'
      ? { key: publicKey, dsaEncoding: 'ieee-p1363' as const }
      : algorithm.pss === true
        ? { key: publicKey, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: -2 }
        : publicKey
  let valid = false
  try {
    valid = cryptoVerify(algorithm.hash, data, keyInput, signature)
  } catch {
    return null
  }
  if (!valid) return null
  const exp = claims['exp']
  const nbf = claims['nbf']
  if (typeof exp === 'number' && nowSec >= exp) return null
  if (typeof nbf === 'number' && nowSec < nbf) return null
  return claims
}

function parseJsonObject(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null
  } catch {
    return null
  }
}

function b64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url')
}
