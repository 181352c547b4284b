/**
 * @module pairing device route: the device routes (spec §4.3.3–4.3.5) share one base URL and
 * authenticate with the credentials secret (spec §4.6), which goes in the header and nowhere else.
 */
import type { HttpMethod, HttpRequest } from '../ports.js'
import { jsonHeaders, realmBaseUrl } from './target.js'

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
  const base = realmBaseUrl(params.pairingUrl, params.realm, params.deviceId)
  const url = `${base}/devices/${params.deviceId}${suffix}`
  const headers = jsonHeaders(params.credentialsSecret, data !== undefined)
  return data === undefined
    ? { method, url, headers }
    : { method, url, headers, body: JSON.stringify({ data }) }
}

/** spec §4.2: the credentials routes of the `astarte_mqtt_v1` protocol. */
export const CREDENTIALS_SUFFIX = '/protocols/astarte_mqtt_v1/credentials'
