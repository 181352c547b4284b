/**
 * Keepalive on a manual clock: PINGREQ after `keepalive` of silence [MQTT-3.1.2-23]; dead after
 * 1.5× `keepalive` without a byte from the server [MQTT-3.1.2-24].
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MqttSession, SdkError, decodePacket, encodePacket } from '@astarte-ts/sdk-core'
import { split } from './broker-responder.js'

const keepaliveSec = 10
const K = keepaliveSec * 1000
const connack = encodePacket({ type: 'connack', sessionPresent: false, returnCode: 0 })
const pingresp = encodePacket({ type: 'pingresp' })

const options = { clientId: 'r/d', keepaliveSec, clean: false }

function connected(): MqttSession {
  const session = new MqttSession()
  session.handle({ type: 'connect', options }, 0)
  session.handle({ type: 'bytes', data: connack }, 0)
  return session
}

const isKeepaliveTimeout = (e: { type: string; error?: SdkError }): boolean =>
  e.type === 'closed' && e.error?.code === 'remote.mqtt_keepalive_timeout'

test('a silent connection pings at keepalive and is dead at 1.5× keepalive', () => {
  const session = new MqttSession()
  const open = split(session.handle({ type: 'connect', options }, 0))
  assert.deepEqual(open.timers, [1.5 * K])
  const ack = split(session.handle({ type: 'bytes', data: connack }, 0))
  assert.deepEqual(ack.timers, [K])
  // A timer that fires early only re-arms.
  const early = split(session.handle({ type: 'timer' }, K - 1))
  assert.deepEqual(early, { writes: [], events: [], timers: [K] })
  const ping = split(session.handle({ type: 'timer' }, K))
  assert.deepEqual(
    ping.writes.map((w) => decodePacket(w)),
    [{ type: 'pingreq' }],
  )
  assert.deepEqual(ping.timers, [1.5 * K])
  const dead = split(session.handle({ type: 'timer' }, 1.5 * K))
  assert.equal(dead.events.length, 1)
  assert.ok(isKeepaliveTimeout(dead.events[0] as { type: string; error?: SdkError }))
  assert.equal(session.state, 'idle')
  // Timers and bytes after the end are ignored.
  assert.deepEqual(session.handle({ type: 'timer' }, 2 * K), [])
})

test('a PINGRESP keeps the connection alive; the next ping follows the last silence', () => {
  const session = connected()
  session.handle({ type: 'timer' }, K)
  const resp = split(session.handle({ type: 'bytes', data: pingresp }, K + 500))
  assert.deepEqual(resp.timers, [], 'the deadline only moved later: the armed timer re-arms')
  assert.deepEqual(split(session.handle({ type: 'timer' }, 1.5 * K)).events, [])
  // Last write (the PINGREQ) at K, last read at K + 500: the next ping is due at 2K.
  const next = split(session.handle({ type: 'timer' }, 2 * K))
  assert.deepEqual(
    next.writes.map((w) => decodePacket(w)),
    [{ type: 'pingreq' }],
  )
  assert.equal(session.state, 'connected')
})

test('writing keeps pinging for replies: a server that never answers is found dead', () => {
  const session = connected()
  let t = 0
  let closed = false
  // QoS 0 traffic every second; the server never sends a byte.
  while (!closed && t < 3 * K) {
    t += 1000
    const payload = Uint8Array.of(1)
    const out = split(session.handle({ type: 'publish', topic: 't', payload, qos: 0, opId: t }, t))
    const timer = split(session.handle({ type: 'timer' }, t))
    closed = [...out.events, ...timer.events].some((e) => isKeepaliveTimeout(e as { type: string }))
  }
  assert.ok(closed)
  assert.equal(t, 1.5 * K)
})

test('no CONNACK within 1.5× keepalive ends the attempt; keepalive 0 never sets a timer', () => {
  const session = new MqttSession()
  session.handle({ type: 'connect', options }, 0)
  const dead = split(session.handle({ type: 'timer' }, 1.5 * K))
  assert.ok(isKeepaliveTimeout(dead.events[0] as { type: string }))
  const off = new MqttSession()
  const a = split(off.handle({ type: 'connect', options: { ...options, keepaliveSec: 0 } }, 0))
  const b = split(off.handle({ type: 'bytes', data: connack }, 0))
  assert.deepEqual([...a.timers, ...b.timers], [])
})
