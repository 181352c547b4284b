/**
 * @module pairing secret: credentials secrets (spec §4.6). 32 random bytes, standard base64, shown
 * once; only a SHA-256 digest is stored (Astarte uses bcrypt; a fast hash is enough for a sandbox
 * whose database is a local file).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

export function newCredentialsSecret(): string {
  return randomBytes(32).toString('base64')
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex')
}

export function secretMatches(secret: string, storedHash: string | null): boolean {
  if (storedHash === null) return false
  const a = Buffer.from(hashSecret(secret), 'hex')
  const b = Buffer.from(storedHash, 'hex')
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * The secret in a device `Authorization` header: `bearer`, optional `:`, whitespace, then the
 * secret, matched case-insensitively (spec §4.1); undefined when the header doesn't parse.
 */
export function bearerSecret(header: string | undefined): string | undefined {
  return /^bearer:?\s+(\S.*)$/i.exec(header ?? '')?.[1]?.trim()
}
