/**
 * @module pairing target: every Pairing API URL is built here from a validated base URL, realm
 * and device id, so no route can carry a malformed realm or id.
 */
import type { Issue } from '../errors.js'
import { SdkError } from '../errors.js'
import type { HttpMethod, HttpRequest } from '../ports.js'
import { isValidDeviceId } from '../id/index.js'
import { anyIssue } from '../interface/issue.js'
import { isSpaceCode } from '../value/space.js'

/**
 * Whether `realm` matches spec §4.1's `^[a-z][a-z0-9]{0,47}$`: a length and a plain regex, which
 * Espruino's RegExp runs (it has no `{m,n}`).
 */
export function isRealmSyntax(realm: string): boolean {
  return realm.length <= 48 && /^[a-z][a-z0-9]*$/.test(realm)
}

/** Issues with a realm name; empty when it is valid. */
export function checkRealm(realm: string): Issue[] {
  return isRealmSyntax(realm)
    ? []
    : [anyIssue('realm_syntax', '/realm', 'realm must match ^[a-z][a-z0-9]{0,47}$')]
}

/** Issues with a device id; empty when it is a canonical 22-character id (spec §4.4). */
export function checkDeviceId(deviceId: string): Issue[] {
  // a non-canonical spelling of the same 16 bytes would not match the certificate's CN
  return isValidDeviceId(deviceId)
    ? []
    : [
        anyIssue(
          'device_id_syntax',
          '/deviceId',
          'device id must be 16 bytes in canonical url-safe base64 without padding',
        ),
      ]
}

/**
 * Whether `url` starts as `/^https?:\/\/[^/?#\s]+/i` accepts: `http://` or `https://` (any case),
 * then a character that is neither `/`, `?`, `#` nor white space. Two plain regexes and a test:
 * Espruino's RegExp has no `?` quantifier.
 */
export function isAbsoluteHttpUrl(url: string): boolean {
  const rest = /^https:\/\//i.test(url) ? url.slice(8) : /^http:\/\//i.test(url) ? url.slice(7) : ''
  // not `\s` in a class: Espruino's is ASCII only
  return rest !== '' && '/?#'.indexOf(rest.charAt(0)) < 0 && !isSpaceCode(rest.charCodeAt(0))
}

/** Issues with a Pairing base URL: it must be absolute http(s). */
export function checkPairingUrl(pairingUrl: string): Issue[] {
  return isAbsoluteHttpUrl(pairingUrl)
    ? []
    : [
        anyIssue(
          'pairing_url_syntax',
          '/pairingUrl',
          'pairing url must be an absolute http or https url',
        ),
      ]
}

/** Where a Pairing request goes: the realm, and the device it names. */
export interface RealmTarget {
  readonly pairingUrl: string
  readonly realm: string
  readonly deviceId: string
}

/**
 * A request to `<pairingUrl>/v1/<realm><path>` (tolerating trailing `/` on `pairingUrl`) with
 * JSON headers, authenticated by `bearer` (a JWT or a credentials secret), `{ data }` its body
 * when given. Throws `local.pairing_config` for a malformed URL, realm or device id.
 */
export function pairingRequest(
  target: RealmTarget,
  bearer: string,
  method: HttpMethod,
  path: string,
  data?: Readonly<Record<string, unknown>>,
): HttpRequest {
  const { pairingUrl, realm } = target
  const issues = [
    ...checkPairingUrl(pairingUrl),
    ...checkRealm(realm),
    ...checkDeviceId(target.deviceId),
  ]
  if (issues.length > 0) {
    const message = `couldn't build the pairing request: ${issues.map((i) => i.message).join('; ')}`
    throw new SdkError('local.pairing_config', message, { issues })
  }
  const url = `${pairingUrl.replace(/\/+$/, '')}/v1/${realm}${path}`
  const headers: Record<string, string> = {
    Accept: 'application/json',
    Authorization: `Bearer ${bearer}`,
  }
  if (data === undefined) return { method, url, headers }
  headers['Content-Type'] = 'application/json'
  return { method, url, headers, body: JSON.stringify({ data }) }
}
