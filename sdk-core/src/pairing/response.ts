/**
 * @module pairing response: turns any HTTP response into the success `data` object or one
 * `SdkError`; never throws, and never copies request credentials into errors.
 */
import type { Issue, Result, SdkErrorCode } from '../errors.js'
import { SdkError, err, ok } from '../errors.js'
import { anyIssue, pointer } from '../interface/issue.js'
import type { HttpResponse } from '../ports.js'
import { isObject } from '../kind.js'

/** A Pairing API failure: an `SdkError` with a `remote.pairing_*` (or `local.*`) code. */
export type PairingError = SdkError

/** The Pairing routes the client uses (spec §4.2). */
export type PairingRoute = 'register' | 'unregister' | 'deviceInfo' | 'credentials' | 'verify'

/** Server texts are echoed into `ctx` for diagnosis, bounded so a hostile body can't bloat logs. */
const MAX_DETAIL = 200

type JsonObject = Readonly<Record<string, unknown>>

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown
  } catch {
    return undefined
  }
}

/** `s`, cut to `MAX_DETAIL` characters and an ellipsis when longer. */
export const clip = (s: string): string =>
  s.length > MAX_DETAIL ? `${s.slice(0, MAX_DETAIL)}…` : s

/** A 2xx answer whose body is not what spec §4.3 promises. */
export function malformedResponse(route: PairingRoute, status: number, what: string): SdkError {
  return new SdkError(
    'remote.pairing_malformed_response',
    `couldn't read the pairing ${route} response: ${what}`,
    { ctx: { route, status } },
  )
}

/** spec §4.1 error bodies: `{"errors":{"detail":…}}` or `{"errors":{"<field>":[…]}}`. */
export function errorFromResponse(route: PairingRoute, res: HttpResponse): SdkError {
  const json = parseJson(res.body)
  const errors = isObject(json) && isObject(json['errors']) ? json['errors'] : undefined
  const detail = typeof errors?.['detail'] === 'string' ? clip(errors['detail']) : undefined
  const ctx = { route, status: res.status, ...(detail === undefined ? {} : { detail }) }
  if (res.status === 422) {
    return detail === 'Device already registered'
      ? new SdkError('remote.device_already_registered', "couldn't register: already registered", {
          ctx,
        })
      : validationError(route, errors, ctx)
  }
  const status = res.status
  // the sentence is one literal: a build without sentences drops what only it reads
  return new SdkError(
    BY_STATUS[status] ?? 'remote.pairing_unexpected',
    `couldn't ${FAILED_TO[status] ?? 'complete'} pairing ${route}: http ${status}${
      detail === undefined ? '' : ` ${detail}`
    }${likelyCause(route, status, detail)}`,
    { ctx },
  )
}

/** spec §4.1: 401 = missing or unreadable credentials, 403 = wrong secret / JWT claims / realm. */
const BY_STATUS: Readonly<Record<number, SdkErrorCode>> = {
  401: 'remote.pairing_unauthorized',
  403: 'remote.pairing_forbidden',
  // spec §4.3.3: an unknown device is 404 on current Astarte (403 on 1.2)
  404: 'remote.pairing_not_found',
}

const FAILED_TO: Readonly<Record<number, string>> = {
  401: 'authenticate to',
  403: 'get access to',
  404: 'find the device or route of',
}

/**
 * What an answer most likely means, as far as Pairing's answers tell (spec §4.1, §4.3.1): an
 * unknown realm is 403 `Forbidden` on every route, a JWT without the needed `a_pa` claim 403
 * `Unauthorized access to …`, a wrong credentials secret 403 `Forbidden` as well. `; ` and the
 * cause, or nothing.
 */
function likelyCause(route: PairingRoute, status: number, detail: string | undefined): string {
  const agent = route === 'register' || route === 'unregister'
  let cause: string
  switch (status) {
    case 401:
      cause = agent
        ? 'the pairing JWT is missing, malformed, expired or not signed with the realm key'
        : 'the credentials secret is missing or malformed'
      break
    case 403:
      cause = !agent
        ? 'the credentials secret is wrong, the realm unknown, or the device inhibited'
        : detail?.startsWith('Unauthorized access') === true
          ? 'the pairing JWT has no a_pa claim allowing this'
          : 'the realm is unknown, or the pairing JWT has no rights on it'
      break
    case 404:
      cause =
        detail === 'Device not found'
          ? 'the device is not registered in this realm'
          : 'no Pairing API route here: check the pairing url (it ends in /pairing)'
      break
    default:
      return ''
  }
  return `; ${cause}`
}

function validationError(
  route: PairingRoute,
  errors: JsonObject | undefined,
  ctx: Readonly<Record<string, unknown>>,
): SdkError {
  const fields: Record<string, string[]> = {}
  const issues: Issue[] = []
  for (const [field, messages] of Object.entries(errors ?? {})) {
    if (field === 'detail' || !Array.isArray(messages)) continue
    const texts = messages.filter((m): m is string => typeof m === 'string').map(clip)
    fields[field] = texts
    const path = pointer('data', field)
    for (const message of texts) issues.push(anyIssue('pairing_validation', path, message))
  }
  const names = Object.keys(fields)
  const message = `couldn't pass pairing ${route} validation${
    names.length > 0 ? `: ${names.join(', ')}` : ''
  }`
  return new SdkError('remote.pairing_validation', message, {
    ctx: { ...ctx, fields },
    issues,
  })
}

/** The `data` object of a 2xx answer, or the error the answer stands for. */
export function successData(route: PairingRoute, res: HttpResponse): Result<JsonObject, SdkError> {
  if (res.status < 200 || res.status > 299) return err(errorFromResponse(route, res))
  const json = parseJson(res.body)
  if (!isObject(json) || !isObject(json['data'])) {
    return err(malformedResponse(route, res.status, 'no "data" object'))
  }
  return ok(json['data'])
}

/** A non-empty string field of a success `data` object. */
export function stringField(
  route: PairingRoute,
  res: HttpResponse,
  data: JsonObject,
  key: string,
): Result<string, SdkError> {
  const value = data[key]
  return typeof value === 'string' && value.length > 0
    ? ok(value)
    : err(malformedResponse(route, res.status, `missing string "${key}"`))
}
