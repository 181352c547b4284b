/**
 * @module pairing credentials: `POST …/credentials` (spec §4.3.4). Every successful call revokes
 * the device's previous certificate, so callers issue it only when a new certificate is needed.
 */
import type { Result } from '../errors.js'
import type { HttpRequest, HttpResponse } from '../ports.js'
import type { DeviceRouteParams } from './device-route.js'
import { CREDENTIALS_SUFFIX, deviceRouteRequest } from './device-route.js'
import type { PairingError } from './response.js'
import { stringField, successData } from './response.js'

export interface CredentialsParams extends DeviceRouteParams {
  /** PEM certification request with subject `CN=<realm>/<deviceId>` (spec §4.5). */
  readonly csrPem: string
}

/**
 * `POST <pairingUrl>/v1/<realm>/devices/<deviceId>/protocols/astarte_mqtt_v1/credentials`.
 * @throws SdkError `local.pairing_config` when the URL, realm or device id is invalid.
 */
export function credentialsRequest(params: CredentialsParams): HttpRequest {
  return deviceRouteRequest(params, 'POST', CREDENTIALS_SUFFIX, { csr: params.csrPem })
}

/** 201 `{"data":{"client_crt":"-----BEGIN CERTIFICATE-----…"}}` → the certificate PEM. */
export function parseCredentialsResponse(res: HttpResponse): Result<string, PairingError> {
  const data = successData('credentials', res)
  return data.ok ? stringField('credentials', res, data.value, 'client_crt') : data
}
