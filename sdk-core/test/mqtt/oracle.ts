/** Converts between our packets and mqtt-packet's objects (the test oracle, protocol level 4). */
import mqttPacket from 'mqtt-packet'
import type { Packet, SubackCode } from '@astarte-ts/sdk-core'

const V4 = { protocolVersion: 4 } as const

/** mqtt-packet's `generate()` of the same packet. */
export function oracleEncode(p: Packet): Uint8Array {
  return new Uint8Array(mqttPacket.generate(toOracle(p) as unknown as mqttPacket.Packet, V4))
}

/** Every packet mqtt-packet's parser finds in `bytes`, as our packets; throws on its errors. */
export function oracleParse(bytes: Uint8Array): Packet[] {
  const parser = mqttPacket.parser(V4)
  const out: Packet[] = []
  let failure: Error | undefined
  parser.on('packet', (p) => out.push(fromOracle(p)))
  parser.on('error', (e) => (failure ??= e))
  parser.parse(Buffer.from(bytes))
  if (failure !== undefined) throw failure
  return out
}

function toOracle(p: Packet): Record<string, unknown> {
  switch (p.type) {
    case 'connect':
      return {
        cmd: p.type,
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: p.clean,
        keepalive: p.keepalive,
        clientId: p.clientId,
        ...(p.username === undefined ? {} : { username: p.username }),
        ...(p.password === undefined ? {} : { password: Buffer.from(p.password) }),
        ...(p.will === undefined
          ? {}
          : { will: { ...p.will, payload: Buffer.from(p.will.payload) } }),
      }
    case 'connack':
      return { cmd: p.type, sessionPresent: p.sessionPresent, returnCode: p.returnCode }
    case 'publish': {
      const { topic, qos, dup, retain } = p
      const id = qos > 0 ? { messageId: p.packetId } : {}
      return { cmd: p.type, topic, payload: Buffer.from(p.payload), qos, dup, retain, ...id }
    }
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
    case 'unsuback':
      return { cmd: p.type, messageId: p.packetId }
    case 'subscribe':
      return { cmd: p.type, messageId: p.packetId, subscriptions: p.subscriptions }
    case 'suback':
      return { cmd: p.type, messageId: p.packetId, granted: p.granted }
    case 'unsubscribe':
      return { cmd: p.type, messageId: p.packetId, unsubscriptions: p.topics }
    case 'pingreq':
    case 'pingresp':
    case 'disconnect':
      return { cmd: p.type }
  }
}

/** The fields mqtt-packet's parser sets for protocol level 4 packets. */
interface Parsed {
  readonly cmd: mqttPacket.PacketCmd
  readonly clientId: string
  readonly clean: boolean
  readonly keepalive: number
  readonly username?: string
  readonly password?: Buffer
  readonly will?: { topic: string; payload: Buffer; qos: 0 | 1 | 2; retain: boolean }
  readonly sessionPresent: boolean
  readonly returnCode: number
  readonly topic: string
  readonly payload: Buffer
  readonly qos: 0 | 1 | 2
  readonly dup: boolean
  readonly retain: boolean
  readonly messageId: number
  readonly subscriptions: { topic: string; qos: 0 | 1 | 2 }[]
  readonly granted: SubackCode[]
  readonly unsubscriptions: string[]
}

function fromOracle(o: mqttPacket.Packet): Packet {
  const m = o as unknown as Parsed
  switch (m.cmd) {
    case 'connect': {
      const { will, username, password } = m
      return {
        type: 'connect',
        clientId: m.clientId,
        clean: m.clean,
        keepalive: m.keepalive,
        ...(username === undefined ? {} : { username }),
        ...(password === undefined ? {} : { password: new Uint8Array(password) }),
        ...(will === undefined ? {} : { will: { ...will, payload: new Uint8Array(will.payload) } }),
      }
    }
    case 'connack':
      return { type: 'connack', sessionPresent: m.sessionPresent, returnCode: m.returnCode }
    case 'publish':
      return {
        type: 'publish',
        topic: m.topic,
        payload: new Uint8Array(m.payload),
        qos: m.qos,
        dup: m.dup,
        retain: m.retain,
        packetId: m.qos > 0 ? m.messageId : 0,
      }
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
    case 'unsuback':
      return { type: m.cmd, packetId: m.messageId }
    case 'subscribe':
      return { type: 'subscribe', packetId: m.messageId, subscriptions: m.subscriptions }
    case 'suback':
      return { type: 'suback', packetId: m.messageId, granted: m.granted }
    case 'unsubscribe':
      return { type: 'unsubscribe', packetId: m.messageId, topics: m.unsubscriptions }
    case 'pingreq':
    case 'pingresp':
    case 'disconnect':
      return { type: m.cmd }
    case 'auth':
      throw new Error('auth is not a 3.1.1 packet')
  }
}
