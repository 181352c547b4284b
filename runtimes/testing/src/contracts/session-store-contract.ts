/**
 * The `MqttSessionStore` contract (`ports.ts`), for every adapter: numbered records put whole and
 * read back byte for byte after a reboot (`reopen`), replaced by a later put, gone after a
 * delete (of a missing record too, harmlessly), an empty record the same as none; and an
 * `MqttSession` on it that a reboot interrupts resumes exactly what was in flight.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  decodePacket,
  encodePacket,
  MqttSession,
  type MqttSessionStore,
  type Packet,
  type SessionAction,
} from '@astarte-ts/sdk-core'

export interface SessionStoreContractEnv {
  readonly store: MqttSessionStore
  /** The same flash after a reboot: a new store opened on it. */
  reopen(): MqttSessionStore
}

const loaded = (store: MqttSessionStore): [number, number[]][] =>
  store
    .load()
    .filter(([, r]) => r.length > 0)
    .map(([k, r]): [number, number[]] => [k, [...r]])
    .sort((a, b) => a[0] - b[0])

const written = (actions: readonly SessionAction[]): Packet[] =>
  actions.flatMap((a) => (a.type === 'write' ? [decodePacket(a.bytes)] : []))

export function describeSessionStoreContract(
  name: string,
  open: () => SessionStoreContractEnv,
): void {
  describe(`MqttSessionStore contract: ${name}`, () => {
    test('records come back byte for byte after a reboot; put replaces, delete forgets', () => {
      const env = open()
      const big = Uint8Array.from({ length: 600 }, (_, i) => i & 0xff)
      env.store.put(0, Uint8Array.of(0x01, 0x02))
      env.store.put(1, Uint8Array.of(0, 0, 0, 0, 1, 0x32))
      env.store.put(65535, big)
      env.store.put(1, Uint8Array.of(1, 0xff, 0x00))
      env.store.put(7, Uint8Array.of(7))
      env.store.delete(7)
      env.store.delete(8)
      const again = env.reopen()
      assert.deepEqual(loaded(again), [
        [0, [0x01, 0x02]],
        [1, [1, 0xff, 0x00]],
        [65535, [...big]],
      ])
      again.put(0, new Uint8Array(0))
      again.delete(65535)
      assert.deepEqual(loaded(env.reopen()), [[1, [1, 0xff, 0x00]]])
    })

    test('a session rebooted mid-exchange resumes it: PUBREL, DUP PUBLISH, one delivery', () => {
      const env = open()
      const first = new MqttSession({ sessionStore: env.store })
      const options = { clientId: 'realm/device', keepaliveSec: 0, clean: false }
      first.handle({ type: 'connect', options }, 0)
      const connack = (sessionPresent: boolean) =>
        encodePacket({ type: 'connack', sessionPresent, returnCode: 0 })
      first.handle({ type: 'bytes', data: connack(false) }, 0)
      const payload = Uint8Array.of(42)
      const sent = [
        ...first.handle({ type: 'publish', topic: 'a', payload, qos: 2, opId: 1 }, 1),
        ...first.handle({ type: 'publish', topic: 'b', payload, qos: 1, opId: 2 }, 1),
      ]
      const [a, b] = written(sent) as [Packet & { packetId: number }, Packet & { packetId: number }]
      first.handle(
        { type: 'bytes', data: encodePacket({ type: 'pubrec', packetId: a.packetId }) },
        2,
      )
      const message = {
        type: 'publish',
        topic: 'c',
        payload,
        qos: 2,
        dup: false,
        retain: false,
        packetId: 9,
      } as const
      const delivered = first
        .handle({ type: 'bytes', data: encodePacket(message) }, 3)
        .filter((x) => x.type === 'event' && x.event.type === 'message')
      assert.equal(delivered.length, 1)

      const second = new MqttSession({ sessionStore: env.reopen() })
      second.handle({ type: 'connect', options }, 10)
      const resent = written(second.handle({ type: 'bytes', data: connack(true) }, 10))
      assert.deepEqual(
        resent.map((p) => [p.type, 'packetId' in p ? p.packetId : 0, 'dup' in p && p.dup]),
        [
          ['pubrel', a.packetId, false],
          ['publish', b.packetId, true],
        ],
      )
      const again = second.handle(
        { type: 'bytes', data: encodePacket({ ...message, dup: true }) },
        11,
      )
      assert.deepEqual(
        again.filter((x) => x.type === 'event').map((x) => x.type === 'event' && x.event.type),
        [],
        'the redelivered message is not delivered twice',
      )
      assert.deepEqual(written(again), [{ type: 'pubrec', packetId: 9 }])
    })
  })
}
