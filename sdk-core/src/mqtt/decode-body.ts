/**
 * @module mqtt decode-body: one complete frame → packet, strictly MQTT 3.1.1: reserved flag bits,
 * lengths and field ranges are checked, and a frame longer than its fields is malformed.
 */
import type { BodyReader } from './body-reader.js'
import { malformed } from './invalid.js'
import {
  PacketCode,
  type MisdirectedPacket,
  type Packet,
  type PacketType,
  type QoS,
  type ServerPacket,
  type SubackCode,
  type Subscription,
  type Will,
} from './packet.js'

// PacketCode lists the types in code order, 1 to 14: codes 0 and 15 read as undefined.
const TYPES = Object.keys(PacketCode) as PacketType[]

/** The packet type of a fixed header's first byte; `offset` is its stream offset. */
export function packetTypeOf(first: number, offset: number): PacketType {
  const type = TYPES[(first >> 4) - 1]
  // Types 0 and 15 are reserved (§2.2.1).
  if (type === undefined) throw malformed(`reserved packet type ${first >> 4}`, offset)
  const flags = first & 0x0f
  if (type === 'publish') {
    // [MQTT-3.3.1-4] QoS 3 is malformed.
    if ((flags & 0x06) === 0x06) throw malformed('publish with qos 3', offset)
    // [MQTT-3.3.1-2] no DUP on QoS 0.
    if ((flags & 0x0e) === 0x08) throw malformed('publish with dup and qos 0', offset)
    return type
  }
  // [MQTT-2.2.2-1] [MQTT-2.2.2-2] fixed flags: 0b0010 for PUBREL, SUBSCRIBE, UNSUBSCRIBE.
  const required = type === 'pubrel' || type === 'subscribe' || type === 'unsubscribe' ? 2 : 0
  if (flags !== required) throw malformed(`reserved flags ${flags} on ${type}`, offset)
  return type
}

/** Decodes the body in `r` of a frame whose first byte `packetTypeOf` accepted as `type`. */
export function decodeBody(type: PacketType, first: number, r: BodyReader): Packet {
  switch (type) {
    case 'connect':
      return decodeConnect(r)
    case 'subscribe':
    case 'unsubscribe':
      return decodeFilters(type, r)
    case 'pingreq':
    case 'disconnect':
      r.done(type)
      return { type }
    default:
      // a type a server sends: `decodeClientBody` reads it as a server packet
      return decodeClientBody(type, first, r) as ServerPacket
  }
}

/**
 * A client's `decodeBody`: the packets a server sends are decoded as `decodeBody` does; one only a
 * client sends is the peer's fault whatever its body, so its body is not read.
 */
export function decodeClientBody(
  type: PacketType,
  first: number,
  r: BodyReader,
): ServerPacket | MisdirectedPacket {
  switch (type) {
    case 'connack': {
      const flags = r.byte('connack flags')
      // [MQTT-3.2.2-1] bits 7-1 of the acknowledge flags are reserved.
      if (flags > 1) throw r.fail('reserved connack flags', r.pos - 1)
      const returnCode = r.byte('connack return code')
      r.done(type)
      return { type, sessionPresent: flags === 1, returnCode }
    }
    case 'publish': {
      const qos = ((first >> 1) & 3) as QoS
      const topic = r.topicName('topic name')
      const packetId = qos > 0 ? r.packetId() : 0
      const dup = (first & 0x08) !== 0
      return { type, topic, payload: r.rest(), qos, dup, retain: (first & 1) === 1, packetId }
    }
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
    case 'unsuback': {
      const packetId = r.packetId()
      r.done(type)
      return { type, packetId }
    }
    case 'suback': {
      const packetId = r.packetId()
      const granted: SubackCode[] = []
      do {
        const code = r.byte('suback return code')
        // [MQTT-3.9.3-2] 0x00, 0x01, 0x02 or 0x80.
        if (code > 2 && code !== 0x80) throw r.fail('reserved suback return code', r.pos - 1)
        granted.push(code as SubackCode)
      } while (r.remaining > 0)
      return { type, packetId, granted }
    }
    case 'pingresp':
      r.done(type)
      return { type }
    default:
      // only a client sends it: its body is not read
      return { type }
  }
}

function decodeConnect(r: BodyReader): Packet {
  const at = r.pos
  // §3.1.2.1 protocol name "MQTT", §3.1.2.2 level 4: other versions are not this codec's.
  if (r.string('protocol name') !== 'MQTT') throw r.fail('protocol name is not MQTT', at)
  if (r.byte('protocol level') !== 4) throw r.fail('protocol level is not 4', r.pos - 1)
  const flags = r.byte('connect flags')
  const flagsAt = r.pos - 1
  // [MQTT-3.1.2-3] reserved bit 0.
  if ((flags & 0x01) !== 0) throw r.fail('reserved connect flag', flagsAt)
  const hasWill = (flags & 0x04) !== 0
  const willQos = (flags >> 3) & 3
  // [MQTT-3.1.2-14] no will QoS 3; [MQTT-3.1.2-11] [MQTT-3.1.2-13] [MQTT-3.1.2-15] will bits
  // only with a will.
  if (willQos === 3) throw r.fail('will qos 3', flagsAt)
  if (!hasWill && (flags & 0x38) !== 0) throw r.fail('will qos or retain without will', flagsAt)
  // [MQTT-3.1.2-22] password flag only with the user name flag.
  if ((flags & 0xc0) === 0x40) throw r.fail('password without user name', flagsAt)
  const keepalive = r.u16('keepalive')
  const clientId = r.string('client id')
  let will: Will | undefined
  if (hasWill) {
    const topic = r.topicName('will topic')
    const payload = readBytes(r, 'will payload')
    will = { topic, payload, qos: willQos as QoS, retain: (flags & 0x20) !== 0 }
  }
  const username = (flags & 0x80) !== 0 ? r.string('user name') : undefined
  const password = (flags & 0x40) !== 0 ? readBytes(r, 'password') : undefined
  r.done('connect')
  return {
    type: 'connect',
    clientId,
    clean: (flags & 0x02) !== 0,
    keepalive,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(will === undefined ? {} : { will }),
  }
}

/** Length-prefixed binary data, copied out of the frame (CONNECT's alone: a server's). */
function readBytes(r: BodyReader, what: string): Uint8Array {
  const at = r.pos
  const n = r.u16(`${what} length`)
  if (r.remaining < n) throw r.fail(`${what} longer than the packet`, at)
  return r.rest(r.pos + n)
}

/** SUBSCRIBE or UNSUBSCRIBE: a packet id, then topic filters (each with a QoS on SUBSCRIBE). */
function decodeFilters(type: 'subscribe' | 'unsubscribe', r: BodyReader): Packet {
  const packetId = r.packetId()
  const topics: string[] = []
  const subscriptions: Subscription[] = []
  // [MQTT-3.8.3-3] [MQTT-3.10.3-2] at least one topic filter.
  do {
    const topic = r.string('topic filter')
    if (type === 'unsubscribe') topics.push(topic)
    else {
      const options = r.byte('requested qos')
      // [MQTT-3-8.3-4] bits 7-2 are reserved and QoS 3 is malformed.
      if (options > 2) throw r.fail('reserved requested qos bits', r.pos - 1)
      subscriptions.push({ topic, qos: options as QoS })
    }
  } while (r.remaining > 0)
  return type === 'subscribe' ? { type, packetId, subscriptions } : { type, packetId, topics }
}
