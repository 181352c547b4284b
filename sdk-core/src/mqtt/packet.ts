/**
 * @module mqtt packet: the MQTT 3.1.1 control packets as plain data, one variant per type, so
 * that encoder, decoder and session switch over them exhaustively.
 */

/** Quality of service of a publish or subscription (MQTT 3.1.1 §4.3). */
export type QoS = 0 | 1 | 2

/** SUBACK return codes: the granted QoS, or 0x80 for failure [MQTT-3.9.3-2]. */
export type SubackCode = QoS | 0x80

/** Control packet type numbers of the fixed header (MQTT 3.1.1 §2.2.1). */
export const PacketCode = {
  connect: 1,
  connack: 2,
  publish: 3,
  puback: 4,
  pubrec: 5,
  pubrel: 6,
  pubcomp: 7,
  subscribe: 8,
  suback: 9,
  unsubscribe: 10,
  unsuback: 11,
  pingreq: 12,
  pingresp: 13,
  disconnect: 14,
} as const

/** Last will published by the server when the connection drops uncleanly (§3.1.2.5). */
export interface Will {
  readonly topic: string
  readonly payload: Uint8Array
  readonly qos: QoS
  readonly retain: boolean
}

/** CONNECT, protocol name `MQTT` and level 4 only. */
export interface ConnectPacket {
  readonly type: 'connect'
  readonly clientId: string
  readonly clean: boolean
  /** Seconds, 0..65 535; 0 turns keepalive off [MQTT-3.1.2-10]. */
  readonly keepalive: number
  readonly username?: string
  /** Only together with `username` [MQTT-3.1.2-22]. */
  readonly password?: Uint8Array
  readonly will?: Will
}

export interface ConnackPacket {
  readonly type: 'connack'
  readonly sessionPresent: boolean
  /** 0 accepted; 1..5 refusals of §3.2.2.3; higher values are reserved but carried as is. */
  readonly returnCode: number
}

export interface PublishPacket {
  readonly type: 'publish'
  readonly topic: string
  readonly payload: Uint8Array
  readonly qos: QoS
  /** Only with QoS 1 and 2 [MQTT-3.3.1-2]. */
  readonly dup: boolean
  readonly retain: boolean
  /** 1..65 535 for QoS 1 and 2; 0 for QoS 0, which carries none on the wire. */
  readonly packetId: number
}

export type AckType = 'puback' | 'pubrec' | 'pubrel' | 'pubcomp' | 'unsuback'

/** PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK: a packet id and nothing else. */
export interface AckPacket<T extends AckType> {
  readonly type: T
  readonly packetId: number
}

export interface Subscription {
  readonly topic: string
  readonly qos: QoS
}

export interface SubscribePacket {
  readonly type: 'subscribe'
  readonly packetId: number
  /** At least one [MQTT-3.8.3-3]. */
  readonly subscriptions: readonly Subscription[]
}

export interface SubackPacket {
  readonly type: 'suback'
  readonly packetId: number
  /** One per requested filter, in order [MQTT-3.9.3-1]. */
  readonly granted: readonly SubackCode[]
}

export interface UnsubscribePacket {
  readonly type: 'unsubscribe'
  readonly packetId: number
  /** At least one [MQTT-3.10.3-2]. */
  readonly topics: readonly string[]
}

export type EmptyType = 'pingreq' | 'pingresp' | 'disconnect'

/** PINGREQ, PINGRESP and DISCONNECT: a fixed header alone. */
export interface EmptyPacket<T extends EmptyType> {
  readonly type: T
}

/** What a server sends a client (§3): the packets whose bodies a client reads. */
export type ServerPacket =
  | ConnackPacket
  | PublishPacket
  | AckPacket<'puback'>
  | AckPacket<'pubrec'>
  | AckPacket<'pubrel'>
  | AckPacket<'pubcomp'>
  | SubackPacket
  | AckPacket<'unsuback'>
  | EmptyPacket<'pingresp'>

/** The packets only a client sends, then every packet. */
export type Packet =
  | ConnectPacket
  | SubscribePacket
  | UnsubscribePacket
  | EmptyPacket<'pingreq'>
  | EmptyPacket<'disconnect'>
  | ServerPacket

export type PacketType = Packet['type']

/** A packet only a client sends, as a client receives it: its type alone, the body unread. */
export interface MisdirectedPacket {
  readonly type: Exclude<PacketType, ServerPacket['type']>
}

/** Largest remaining length the four-byte variable integer can express (§2.2.3). */
export const MAX_REMAINING_LENGTH = 268_435_455
