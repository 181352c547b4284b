/**
 * @module pairing register: agent routes (spec §4.3.1, §4.3.2), authenticated by a JWT with an
 * `a_pa` claim (spec §6) that is only passed through, never inspected or echoed.
 */
import type { Result } from '../errors.js'
import { err, ok } from '../errors.js'
import type { HttpRequest, HttpResponse } from '../ports.js'
import type { PairingError } from './response.js'
import { errorFromResponse, stringField, successData } from './response.js'
import { pairingRequest } from './target.js'

/** An interface's version as announced at registration (spec §4.3.1). */
export interface InterfaceVersion {
  readonly major: number
  readonly minor: number
}

export interface RegisterDeviceParams {
  readonly pairingUrl: string
  readonly realm: string
  /** A JWT whose `a_pa` claim allows `POST::agent/devices`. */
  readonly jwt: string
  readonly deviceId: string
  /** Interface name → version; omitted from the body when absent (server default `{}`). */
  readonly initialIntrospection?: Readonly<Record<string, InterfaceVersion>>
}

/**
 * `POST <pairingUrl>/v1/<realm>/agent/devices` (spec §4.3.1).
 * @throws SdkError `local.pairing_config` when the URL, realm or device id is invalid.
 */
export function registerDeviceRequest(params: RegisterDeviceParams): HttpRequest {
  const data: Record<string, unknown> = { hw_id: params.deviceId }
  if (params.initialIntrospection !== undefined) {
    data['initial_introspection'] = params.initialIntrospection
  }
  return pairingRequest(params, params.jwt, 'POST', '/agent/devices', data)
}

/** 201 `{"data":{"credentials_secret":…}}`; 422 "Device already registered" once confirmed. */
export function parseRegisterDeviceResponse(
  res: HttpResponse,
): Result<{ readonly credentialsSecret: string }, PairingError> {
  const data = successData('register', res)
  if (!data.ok) return data
  const secret = stringField('register', res, data.value, 'credentials_secret')
  return secret.ok ? ok({ credentialsSecret: secret.value }) : secret
}

export interface UnregisterDeviceParams {
  readonly pairingUrl: string
  readonly realm: string
  /** A JWT whose `a_pa` claim allows `DELETE::agent/devices/.*`. */
  readonly jwt: string
  readonly deviceId: string
}

/**
 * `DELETE <pairingUrl>/v1/<realm>/agent/devices/<deviceId>` (spec §4.3.2).
 * @throws SdkError `local.pairing_config` when the URL, realm or device id is invalid.
 */
export function unregisterDeviceRequest(params: UnregisterDeviceParams): HttpRequest {
  return pairingRequest(params, params.jwt, 'DELETE', `/agent/devices/${params.deviceId}`)
}

/** 204 with an empty body; 404 "Device not found". */
export function parseUnregisterDeviceResponse(res: HttpResponse): Result<null, PairingError> {
  const success = res.status >= 200 && res.status <= 299
  return success ? ok(null) : err(errorFromResponse('unregister', res))
}
