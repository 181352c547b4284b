/**
 * @module pairing device info: `GET …/devices/<id>` (spec §4.3.3) gives the device status and
 * the broker address used for every MQTT connection.
 */
import type { Result } from '../errors.js'
import { err, ok } from '../errors.js'
import type { HttpRequest, HttpResponse } from '../ports.js'
import type { BrokerAddress } from './broker-url.js'
import { parseBrokerUrl } from './broker-url.js'
import type { DeviceRouteParams } from './device-route.js'
import { deviceRouteRequest } from './device-route.js'
import type { PairingError } from './response.js'
import { isObject } from '../kind.js'
import { malformedResponse, stringField, successData } from './response.js'

/** `inhibited`: credential requests refused; `confirmed`: credentials were requested once. */
export type DeviceStatus = 'pending' | 'confirmed' | 'inhibited'

export interface DeviceInfo {
  /** The Astarte version string. */
  readonly version: string
  readonly status: DeviceStatus
  readonly brokerUrl: BrokerAddress
}

/**
 * `GET <pairingUrl>/v1/<realm>/devices/<deviceId>`.
 * @throws SdkError `local.pairing_config` when the URL, realm or device id is invalid.
 */
export function deviceInfoRequest(params: DeviceRouteParams): HttpRequest {
  return deviceRouteRequest(params, 'GET', '')
}

const STATUSES: readonly string[] = ['pending', 'confirmed', 'inhibited'] satisfies DeviceStatus[]

/** 200 `{"data":{"version","status","protocols":{"astarte_mqtt_v1":{"broker_url"}}}}`. */
export function parseDeviceInfoResponse(res: HttpResponse): Result<DeviceInfo, PairingError> {
  const data = successData('deviceInfo', res)
  if (!data.ok) return data
  const version = stringField('deviceInfo', res, data.value, 'version')
  if (!version.ok) return version
  const status = data.value['status']
  if (typeof status !== 'string' || !STATUSES.includes(status)) {
    return err(malformedResponse('deviceInfo', res.status, 'unknown "status"'))
  }
  const protocols = data.value['protocols']
  const mqtt = isObject(protocols) ? protocols['astarte_mqtt_v1'] : undefined
  const url = isObject(mqtt) ? mqtt['broker_url'] : undefined
  if (typeof url !== 'string') {
    return err(malformedResponse('deviceInfo', res.status, 'no "broker_url"'))
  }
  const brokerUrl = parseBrokerUrl(url)
  if (!brokerUrl.ok) return brokerUrl
  return ok({ version: version.value, status: status as DeviceStatus, brokerUrl: brokerUrl.value })
}
