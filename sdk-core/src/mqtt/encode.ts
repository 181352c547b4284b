/**
 * @module mqtt encode: packet → bytes, identical to mqtt-packet's `generate` at protocol level 4.
 * Each packet is measured first and written into exactly one allocation. Packets MQTT 3.1.1
 * can't carry throw `local.mqtt_invalid_packet` before anything is written. The session calls
 * the encoders of the packets a client sends directly, so a device build leaves the rest out.
 */
import { assertNever } from '../errors.js'
import { pooledBytes } from '../bson/pool.js'
import { utf8Length, utf8Write } from '../bson/utf8.js'
import { invalidPacket } from './invalid.js'
import {
  MAX_REMAINING_LENGTH,
  PacketCode,
  type AckType,
  type ConnectPacket,
  type EmptyType,
  type Packet,
  type PublishPacket,
  type QoS,
  type Subscription,
  type SubackPacket,
} from './packet.js'
import { varIntSize, writeVarInt } from './var-int.js'

const MAX_U16 = 0xffff
// "MQTT" protocol name and level 4 (§3.1.2.1, §3.1.2.2).
const PROTOCOL = [0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04] as const

/** Encodes one MQTT 3.1.1 control packet into a new `Uint8Array`. */
export function encodePacket(p: Packet): Uint8Array {
  switch (p.type) {
    case 'connect':
      return encodeConnect(p)
    case 'connack':
      if (!Number.isInteger(p.returnCode) || p.returnCode < 0 || p.returnCode > 0xff) {
        throw invalidPacket(p.type, 'return code is not a byte')
      }
      return Uint8Array.of(PacketCode.connack << 4, 2, p.sessionPresent ? 1 : 0, p.returnCode)
    case 'publish':
      return encodePublish(p)
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
    case 'unsuback':
      return encodeAck(p.type, p.packetId)
    case 'subscribe':
    case 'unsubscribe':
      return encodeFilters(p.type, p.packetId, p.type === 'subscribe' ? p.subscriptions : p.topics)
    case 'suback':
      return encodeSuback(p)
    case 'pingreq':
    case 'pingresp':
    case 'disconnect':
      return encodeEmpty(p.type)
    default:
      return assertNever(p)
  }
}

export function encodeConnect(p: ConnectPacket): Uint8Array {
  const { will, username, password } = p
  if (!Number.isInteger(p.keepalive) || p.keepalive < 0 || p.keepalive > MAX_U16) {
    throw invalidPacket(p.type, 'keepalive is not 0..65535 seconds')
  }
  // [MQTT-3.1.3-7] an empty client id needs a clean session (mqtt-packet refuses it too).
  if (p.clientId === '' && !p.clean) throw invalidPacket(p.type, 'empty client id without clean')
  // [MQTT-3.1.2-22] no password without a user name.
  if (password !== undefined && username === undefined) {
    throw invalidPacket(p.type, 'password without username')
  }
  let size = PROTOCOL.length + 3 + stringSize(p.type, p.clientId)
  if (will !== undefined) {
    checkQos(p.type, will.qos)
    size +=
      checkTopicName(p.type, will.topic, utf8Length(will.topic)) +
      sized(p.type, 'binary field', will.payload.length)
  }
  if (username !== undefined) size += stringSize(p.type, username)
  if (password !== undefined) size += sized(p.type, 'binary field', password.length)
  const [out, start] = frame(p.type, PacketCode.connect << 4, size)
  out.set(PROTOCOL, start)
  let o = start + PROTOCOL.length
  // §3.1.2.3 connect flags: user name, password, will retain, will QoS, will, clean session.
  out[o++] =
    (username !== undefined ? 0x80 : 0) |
    (password !== undefined ? 0x40 : 0) |
    (will === undefined ? 0 : (will.retain ? 0x20 : 0) | (will.qos << 3) | 0x04) |
    (p.clean ? 0x02 : 0)
  o = writeU16(out, o, p.keepalive)
  o = writeString(out, o, p.clientId)
  if (will !== undefined) {
    o = writeString(out, o, will.topic)
    o = writeBytes(out, o, will.payload)
  }
  if (username !== undefined) o = writeString(out, o, username)
  if (password !== undefined) writeBytes(out, o, password)
  return out
}

export function encodePublish(p: PublishPacket): Uint8Array {
  checkQos(p.type, p.qos)
  // [MQTT-3.3.1-2] DUP is 0 for every QoS 0 message.
  if (p.qos === 0 && p.dup) throw invalidPacket(p.type, 'dup on a qos 0 message')
  if (p.qos > 0) checkPacketId(p.type, p.packetId)
  const topicLength = utf8Length(p.topic)
  const size = checkTopicName(p.type, p.topic, topicLength) + (p.qos > 0 ? 2 : 0) + p.payload.length
  const first = (PacketCode.publish << 4) | (p.dup ? 0x08 : 0) | (p.qos << 1) | (p.retain ? 1 : 0)
  // a QoS 0 PUBLISH goes to the socket and is dropped, the packet sent most often: pooled
  const [out, start] = frame(p.type, first, size, p.qos === 0)
  let o = writeU16(out, start, topicLength)
  o = utf8Write(out, o, p.topic)
  if (p.qos > 0) o = writeU16(out, o, p.packetId)
  out.set(p.payload, o)
  return out
}

export function encodeAck(type: AckType, packetId: number): Uint8Array {
  checkPacketId(type, packetId)
  // [MQTT-3.6.1-1] PUBREL's fixed-header flags are 0b0010.
  const first = (PacketCode[type] << 4) | (type === 'pubrel' ? 0x02 : 0)
  return Uint8Array.of(first, 2, packetId >> 8, packetId & 0xff)
}

export function encodeEmpty(type: EmptyType): Uint8Array {
  return Uint8Array.of(PacketCode[type] << 4, 0)
}

/**
 * SUBSCRIBE (subscriptions) or UNSUBSCRIBE (topic filters): a packet id, then the filters, each
 * followed by its requested QoS on a SUBSCRIBE.
 */
export function encodeFilters(
  type: 'subscribe' | 'unsubscribe',
  packetId: number,
  filters: readonly (Subscription | string)[],
): Uint8Array {
  checkPacketId(type, packetId)
  if (filters.length === 0) throw invalidPacket(type, 'no topic filter')
  let size = 2
  for (const f of filters) {
    if (typeof f === 'string') size += stringSize(type, f)
    else {
      checkQos(type, f.qos)
      size += stringSize(type, f.topic) + 1
    }
  }
  // [MQTT-3.8.1-1] [MQTT-3.10.1-1] SUBSCRIBE's and UNSUBSCRIBE's fixed-header flags are 0b0010.
  const [out, start] = frame(type, (PacketCode[type] << 4) | 0x02, size)
  let o = writeU16(out, start, packetId)
  for (const f of filters) {
    if (typeof f === 'string') o = writeString(out, o, f)
    else {
      o = writeString(out, o, f.topic)
      out[o++] = f.qos
    }
  }
  return out
}

function encodeSuback(p: SubackPacket): Uint8Array {
  checkPacketId(p.type, p.packetId)
  if (p.granted.length === 0) throw invalidPacket(p.type, 'no return code')
  for (const code of p.granted) {
    if (code !== 0x80) checkQos(p.type, code)
  }
  const [out, start] = frame(p.type, PacketCode.suback << 4, 2 + p.granted.length)
  out.set(p.granted, writeU16(out, start, p.packetId))
  return out
}

/** Allocates the whole packet and writes its fixed header; returns it and the body's offset. */
function frame(
  type: string,
  first: number,
  remaining: number,
  pooled = false,
): [Uint8Array, number] {
  if (remaining > MAX_REMAINING_LENGTH) throw invalidPacket(type, 'packet too large')
  const length = 1 + varIntSize(remaining) + remaining
  const out = pooled ? pooledBytes(length) : new Uint8Array(length)
  out[0] = first
  return [out, writeVarInt(out, 1, remaining)]
}

function writeU16(out: Uint8Array, o: number, n: number): number {
  out[o] = n >> 8
  out[o + 1] = n & 0xff
  return o + 2
}

/** A length-prefixed UTF-8 string (§1.5.3); the prefix is filled in once the bytes are written. */
function writeString(out: Uint8Array, o: number, s: string): number {
  const end = utf8Write(out, o + 2, s)
  writeU16(out, o, end - o - 2)
  return end
}

function writeBytes(out: Uint8Array, o: number, bytes: Uint8Array): number {
  out.set(bytes, writeU16(out, o, bytes.length))
  return o + 2 + bytes.length
}

function stringSize(type: string, s: string): number {
  // [MQTT-1.5.3-2] no U+0000 in UTF-8 strings.
  if (s.indexOf('\u0000') >= 0) throw invalidPacket(type, 'string contains U+0000')
  return sized(type, 'string', utf8Length(s))
}

/** Size of a topic name field; [MQTT-4.7.3-1] non-empty, [MQTT-3.3.2-2] no wildcards. */
function checkTopicName(type: string, topic: string, byteLength: number): number {
  // indexOf, not /[+#\u0000]/: Espruino's RegExp has no \u escape
  if (
    topic === '' ||
    topic.indexOf('+') >= 0 ||
    topic.indexOf('#') >= 0 ||
    topic.indexOf('\0') >= 0
  ) {
    throw invalidPacket(type, 'topic name is empty or holds a wildcard or U+0000')
  }
  return sized(type, 'topic name', byteLength)
}

/** A field of `n` bytes with its two-byte length prefix (§1.5.3); `what` names it. */
function sized(type: string, what: string, n: number): number {
  if (n > MAX_U16) throw invalidPacket(type, `${what} longer than 65535 bytes`)
  return 2 + n
}

function checkPacketId(type: string, id: number): void {
  // [MQTT-2.3.1-1] packet identifiers are non-zero 16-bit integers.
  if (!Number.isInteger(id) || id < 1 || id > MAX_U16) {
    throw invalidPacket(type, 'packet id is not 1..65535')
  }
}

function checkQos(type: string, qos: number): asserts qos is QoS {
  if (qos !== 0 && qos !== 1 && qos !== 2) throw invalidPacket(type, 'qos is not 0, 1 or 2')
}
