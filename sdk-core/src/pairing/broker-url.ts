/**
 * @module pairing broker url: host and port of the MQTT broker from device info; the scheme is
 * ignored because every Astarte broker connection is TLS (spec §3.1).
 */
import type { Result } from '../errors.js'
import { SdkError, err, ok } from '../errors.js'
import { brokerUrlParts } from './broker-url-parts.js'
import { clip } from './response.js'

export interface BrokerAddress {
  readonly host: string
  readonly port: number
}

/**
 * Host and port of a broker URL such as `mqtts://broker.example.com:8883/` or `ssl://…:8883`.
 * The port is mandatory: spec §3.1 (as the Rust SDK) refuses to guess it.
 */
export function parseBrokerUrl(url: string): Result<BrokerAddress, SdkError> {
  const m = brokerUrlParts(url.trim())
  const host = m?.[0]
  const portText = m?.[1]
  if (host === undefined) return err(invalid(url, 'not a url'))
  if (portText === undefined || portText === '') return err(invalid(url, 'the port is missing'))
  // digits only (the grammar's); parseInt because Espruino's Number reads `0443` as octal
  const port = parseInt(portText, 10)
  if (port < 1 || port > 65535) return err(invalid(url, 'the port is out of range'))
  const bare = host.startsWith('[') ? host.slice(1, -1) : host
  return ok({ host: bare, port })
}

function invalid(url: string, why: string): SdkError {
  return new SdkError('remote.pairing_broker_url', `couldn't use broker url: ${why}`, {
    ctx: { brokerUrl: clip(url) },
  })
}
