/** @module mqtt invalid: the errors of the codec, local for what we were asked to encode. */
import { SdkError } from '../errors.js'

/** The caller handed the encoder a packet MQTT 3.1.1 can't carry. */
export function invalidPacket(type: string, reason: string): SdkError {
  return new SdkError('local.mqtt_invalid_packet', `couldn't encode mqtt ${type}: ${reason}`, {
    ctx: { type },
  })
}

/** The peer sent bytes that aren't an MQTT 3.1.1 packet; `offset` counts from the stream start. */
export function malformed(reason: string, offset: number): SdkError {
  return new SdkError('remote.mqtt_malformed', `couldn't decode mqtt packet: ${reason}`, {
    ctx: { offset },
  })
}
