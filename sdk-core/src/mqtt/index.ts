/**
 * @module mqtt: a sans-I/O MQTT 3.1.1 client core (codec and session) for engines without one,
 * and `SessionTransport`, the `MqttTransport` it makes over a host's TLS byte stream.
 */
export { PacketCode, MAX_REMAINING_LENGTH } from './packet.js'
export type {
  AckPacket,
  ConnackPacket,
  ConnectPacket,
  EmptyPacket,
  Packet,
  PacketType,
  PublishPacket,
  SubackCode,
  SubackPacket,
  SubscribePacket,
  Subscription,
  UnsubscribePacket,
  Will,
} from './packet.js'
export { encodePacket } from './encode.js'
export { DEFAULT_MAX_FRAME_BYTES, NEED_MORE, PacketDecoder, decodePacket } from './decoder.js'
export type { NeedMore, PacketDecoderOptions } from './decoder.js'
export { DEFAULT_MAX_INFLIGHT, MqttSession } from './session/mqtt-session.js'
export type {
  MqttSessionOptions,
  SessionAction,
  SessionConnectOptions,
  SessionEvent,
  SessionInput,
} from './session/types.js'
export { SessionTransport } from './transport/session-transport.js'
export type { SessionTransportOptions } from './transport/session-transport.js'
