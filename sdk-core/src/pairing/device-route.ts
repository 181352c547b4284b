/**
 * @module pairing device route: the device routes (spec §4.3.3–4.3.5) share one base URL and
 * authenticate with the credentials secret (spec §4.6), which goes in the header and nowhere else.
 */
import type { HttpMethod, HttpRequest } from '../ports.js'
import { pairingRequest } from './target.js'

/** What every device route needs. */
export interface DeviceRouteParams {
  readonly pairingUrl: string
  readonly realm: string
  readonly deviceId: string
  readonly credentialsSecret: string
}

/**
 * A request on `<pairingUrl>/v1/<realm>/devices/<deviceId><suffix>`.
 * @throws SdkError `local.pairing_config` when the URL, realm or device id is invalid.
 */
export function deviceRouteRequest(
  params: DeviceRouteParams,
  method: HttpMethod,
  suffix: string,
  data?: Readonly<Record<string, unknown>>,
): HttpRequest {
  const path = `/devices/${params.deviceId}${suffix}`
  return pairingRequest(params, params.credentialsSecret, method, path, data)
}

export const CREDENTIALS_SUFFIX = '/protocols/astarte_mqtt_v1/credentials'
