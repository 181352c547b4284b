/**
 * Faults: the peer's end the connection with a `remote.` error in the `closed` event (the session
 * stays usable); the caller's throw `local.` errors.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  MqttSession,
  SdkError,
  decodePacket,
  encodePacket,
  type SessionEvent,
} from '@astarte-ts/sdk-core'
import { split } from './broker-responder.js'

const options = { clientId: 'realm/device', keepaliveSec: 0, clean: false }
const connack = (returnCode: number): Uint8Array =>
  encodePacket({ type: 'connack', sessionPresent: false, returnCode })

function closedCode(events: readonly SessionEvent[]): string | undefined {
  const last = events.at(-1)
  return last?.type === 'closed' ? last.error?.code : 'not closed'
}

function online(): MqttSession {
  const session = new MqttSession()
  session.handle({ type: 'connect', options }, 0)
  session.handle({ type: 'bytes', data: connack(0) }, 0)
  return session
}

const subscribe = encodePacket({
  type: 'subscribe',
  packetId: 1,
  subscriptions: [{ topic: 'a', qos: 0 }],
})
const peerFaults: readonly [string, Uint8Array, string][] = [
  [
    'an unsolicited PUBACK',
    encodePacket({ type: 'puback', packetId: 77 }),
    'remote.mqtt_unsolicited_ack',
  ],
  ['a malformed frame', Uint8Array.of(0x00, 0x00), 'remote.mqtt_malformed'],
  ['a second CONNACK', connack(0), 'remote.mqtt_protocol'],
  ['a SUBSCRIBE from the server', subscribe, 'remote.mqtt_protocol'],
  [
    'a CONNECT from the server',
    encodePacket({ type: 'connect', clientId: 'x', clean: true, keepalive: 0 }),
    'remote.mqtt_protocol',
  ],
  [
    'an UNSUBSCRIBE from the server',
    encodePacket({ type: 'unsubscribe', packetId: 1, topics: ['a'] }),
    'remote.mqtt_protocol',
  ],
  ['a DISCONNECT from the server', encodePacket({ type: 'disconnect' }), 'remote.mqtt_protocol'],
  // a client reads no body of a packet only clients send: whatever it holds, it is misdirected
  ['a PINGREQ with a body', Uint8Array.of(0xc0, 0x01, 0x00), 'remote.mqtt_protocol'],
]

for (const [name, bytes, code] of peerFaults) {
  test(`${name} closes the connection with ${code}`, () => {
    const session = online()
    const { events } = split(session.handle({ type: 'bytes', data: bytes }, 1))
    assert.equal(closedCode(events), code)
    assert.equal(session.state, 'idle')
    // The session is reusable: a new connection starts cleanly.
    const again = split(session.handle({ type: 'connect', options }, 2))
    assert.equal(again.writes.length, 1)
  })
}

test('a refused CONNACK closes with remote.mqtt_connection_refused and its return code', () => {
  const session = new MqttSession()
  session.handle({ type: 'connect', options }, 0)
  const { events } = split(session.handle({ type: 'bytes', data: connack(5) }, 0))
  const closed = events.at(-1)
  assert.equal(closedCode(events), 'remote.mqtt_connection_refused')
  assert.equal(closed?.type === 'closed' && closed.error?.ctx['returnCode'], 5)
})

test('a packet before CONNACK is a protocol error', () => {
  const session = new MqttSession()
  session.handle({ type: 'connect', options }, 0)
  const pingresp = encodePacket({ type: 'pingresp' })
  const { events } = split(session.handle({ type: 'bytes', data: pingresp }, 0))
  assert.equal(closedCode(events), 'remote.mqtt_protocol')
})

test('a SUBACK with the wrong number of return codes is a protocol error', () => {
  const session = online()
  const subscriptions = [{ topic: 'a', qos: 1 as const }]
  const sub = split(session.handle({ type: 'subscribe', subscriptions, opId: 1 }, 1))
  const written = decodePacket(sub.writes[0]!)
  const packetId = written.type === 'subscribe' ? written.packetId : 0
  const suback = encodePacket({ type: 'suback', packetId, granted: [1, 1] })
  const { events } = split(session.handle({ type: 'bytes', data: suback }, 2))
  assert.equal(closedCode(events), 'remote.mqtt_protocol')
})

test("the caller's mistakes throw local errors and change nothing", () => {
  const session = online()
  const isLocal = (code: string) => (e: unknown) => e instanceof SdkError && e.code === code
  assert.throws(() => session.handle({ type: 'connect', options }, 1), isLocal('local.mqtt_busy'))
  const bad = { type: 'publish', topic: 'a/#', payload: Uint8Array.of(), qos: 1, opId: 1 } as const
  assert.throws(() => session.handle(bad, 1), isLocal('local.mqtt_invalid_packet'))
  assert.equal(session.queuedCount + session.inflightCount, 0)
  assert.equal(session.state, 'connected')
})
