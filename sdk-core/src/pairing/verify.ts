/**
 * @module pairing verify: `POST …/credentials/verify` (spec §4.3.5). Only `valid` decides; the
 * timestamps are informative and read leniently.
 */
import type { Result } from '../errors.js'
import { err, ok } from '../errors.js'
import type { HttpRequest, HttpResponse } from '../ports.js'
import type { DeviceRouteParams } from './device-route.js'
import { CREDENTIALS_SUFFIX, deviceRouteRequest } from './device-route.js'
import type { PairingError } from './response.js'
import { malformedResponse, successData } from './response.js'
import { parsePairingTimestamp } from './timestamp.js'

export interface VerifyCredentialsParams extends DeviceRouteParams {
  readonly certificatePem: string
}

/** spec §4.3.5 causes; other strings are passed through as they come. */
export type VerifyCause =
  | 'EXPIRED'
  | 'INVALID_ISSUER'
  | 'INVALID_SIGNATURE'
  | 'NAME_NOT_PERMITTED'
  | 'MISSING_BASIC_CONSTRAINT'
  | 'INVALID_KEY_USAGE'
  | 'REVOKED'
  | 'INVALID'
  | (string & {})

export type VerifyResult =
  | { readonly valid: true; readonly timestampMs?: number; readonly untilMs?: number }
  | { readonly valid: false; readonly timestampMs?: number; readonly cause: VerifyCause }

/**
 * `POST <pairingUrl>/v1/<realm>/devices/<deviceId>/protocols/astarte_mqtt_v1/credentials/verify`.
 * @throws SdkError `local.pairing_config` when the URL, realm or device id is invalid.
 */
export function verifyCredentialsRequest(params: VerifyCredentialsParams): HttpRequest {
  const data = { client_crt: params.certificatePem }
  return deviceRouteRequest(params, 'POST', `${CREDENTIALS_SUFFIX}/verify`, data)
}

/** 200 `{"data":{"valid":true,"timestamp","until"}}` or `{"valid":false,"timestamp","cause"}`. */
export function parseVerifyResponse(res: HttpResponse): Result<VerifyResult, PairingError> {
  const data = successData('verify', res)
  if (!data.ok) return data
  const { valid, timestamp, until, cause } = data.value
  if (typeof valid !== 'boolean') {
    return err(malformedResponse('verify', res.status, 'no boolean "valid"'))
  }
  const timestampMs = typeof timestamp === 'string' ? parsePairingTimestamp(timestamp) : undefined
  const at = timestampMs === undefined ? {} : { timestampMs }
  if (!valid) return ok({ valid, ...at, cause: typeof cause === 'string' ? cause : 'INVALID' })
  const untilMs = typeof until === 'string' ? parsePairingTimestamp(until) : undefined
  return ok({ valid, ...at, ...(untilMs === undefined ? {} : { untilMs }) })
}
