/**
 * @module broker identity: who is on a TLS connection. The peer certificate's CN is the MQTT
 * identity (spec §3.1); it is accepted only for a registered device of this realm whose current
 * certificate (serial) is the one presented, so superseded certificates are refused at CONNACK.
 */
import type { TLSSocket } from 'node:tls'
import type { DeviceStore } from '../store/devices.js'
import { normalizeSerial } from '../pki/ca.js'

export interface PeerIdentity {
  /** `<realm>/<device_id>`, the certificate subject CN. */
  readonly cn: string
  readonly serial: string
  readonly ip: string | null
}

/** The identity of an authorized TLS peer, or null when it presented no usable certificate. */
export function peerIdentity(socket: TLSSocket): PeerIdentity | null {
  const cert = socket.getPeerCertificate()
  const cn = cert.subject?.CN
  if (typeof cn !== 'string' || typeof cert.serialNumber !== 'string') return null
  return { cn, serial: normalizeSerial(cert.serialNumber), ip: socket.remoteAddress ?? null }
}

/** The device id of a peer allowed to connect now, or null. */
export function admittedDevice(
  realm: string,
  peer: PeerIdentity,
  devices: DeviceStore,
): string | null {
  const prefix = `${realm}/`
  if (!peer.cn.startsWith(prefix)) return null
  const deviceId = peer.cn.slice(prefix.length)
  const device = devices.get(deviceId)
  if (device === undefined || !device.registered || device.certSerial !== peer.serial) return null
  return deviceId
}
