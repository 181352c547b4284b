/** fast-check arbitraries for MQTT 3.1.1 packets, their streams and damaged frames. */
import fc from 'fast-check'
import { encodePacket, type Packet, type SubackCode } from '@astarte-ts/sdk-core'

type Qos = 0 | 1 | 2

// Any code point but U+0000 [MQTT-1.5.3-2]; the `binary` unit never yields lone surrogates.
const arbString = (minLength = 0): fc.Arbitrary<string> =>
  fc.string({ unit: 'binary', minLength, maxLength: 12 }).filter((s) => !s.includes('\0'))
// [MQTT-4.7.3-1] non-empty, [MQTT-3.3.2-2] no wildcards.
const arbTopicName = arbString(1).filter((s) => !/[+#]/.test(s))
const arbFilter = fc.oneof(arbString(), fc.constantFrom('#', '+/a/#', 'realm/dev/#'))
const arbQos: fc.Arbitrary<Qos> = fc.constantFrom(0, 1, 2)
const arbPacketId = fc.integer({ min: 1, max: 0xffff })
// Mostly small, sometimes past the 2- and 3-byte remaining-length boundaries (128, 16 384).
const arbPayload = fc.oneof(
  { weight: 30, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 100, maxLength: 20_000 }) },
)
const arbBinary = fc.uint8Array({ maxLength: 20 })

const arbConnect: fc.Arbitrary<Packet> = fc
  .record(
    {
      clean: fc.boolean(),
      keepalive: fc.integer({ min: 0, max: 0xffff }),
      clientId: arbString(),
      username: arbString(),
      password: arbBinary,
      will: fc.record({
        topic: arbTopicName,
        payload: arbBinary,
        qos: arbQos,
        retain: fc.boolean(),
      }),
    },
    { requiredKeys: ['clean', 'keepalive', 'clientId'] },
  )
  // [MQTT-3.1.3-7] an empty client id needs a clean session; [MQTT-3.1.2-22] no password
  // without a user name.
  .filter((c) => c.clientId !== '' || c.clean)
  .filter((c) => c.password === undefined || c.username !== undefined)
  .map((c) => ({ type: 'connect' as const, ...c }))

const arbPublish: fc.Arbitrary<Packet> = fc
  .record({
    topic: arbTopicName,
    payload: arbPayload,
    qos: arbQos,
    dup: fc.boolean(),
    retain: fc.boolean(),
    packetId: arbPacketId,
  })
  // [MQTT-3.3.1-2] no DUP with QoS 0, and no packet id on the wire either.
  .map((p) => ({
    type: 'publish' as const,
    ...p,
    dup: p.qos > 0 && p.dup,
    packetId: p.qos > 0 ? p.packetId : 0,
  }))

const arbSubackCode: fc.Arbitrary<SubackCode> = fc.constantFrom(0, 1, 2, 0x80)

/** Any valid 3.1.1 packet, as plain objects (fast-check records have a null prototype). */
export const arbPacket: fc.Arbitrary<Packet> = fc
  .oneof(
    arbConnect,
    fc.record({
      type: fc.constant('connack' as const),
      sessionPresent: fc.boolean(),
      returnCode: fc.integer({ min: 0, max: 255 }),
    }),
    arbPublish,
    fc.record({
      type: fc.constantFrom(...(['puback', 'pubrec', 'pubrel', 'pubcomp'] as const)),
      packetId: arbPacketId,
    }),
    fc.record({
      type: fc.constant('subscribe' as const),
      packetId: arbPacketId,
      subscriptions: fc.array(fc.record({ topic: arbFilter, qos: arbQos }), {
        minLength: 1,
        maxLength: 4,
      }),
    }),
    fc.record({
      type: fc.constant('suback' as const),
      packetId: arbPacketId,
      granted: fc.array(arbSubackCode, { minLength: 1, maxLength: 4 }),
    }),
    fc.record({
      type: fc.constant('unsubscribe' as const),
      packetId: arbPacketId,
      topics: fc.array(arbFilter, { minLength: 1, maxLength: 4 }),
    }),
    fc.record({ type: fc.constant('unsuback' as const), packetId: arbPacketId }),
    fc.record({ type: fc.constantFrom(...(['pingreq', 'pingresp', 'disconnect'] as const)) }),
  )
  .map((p) => structuredClone(p))

/** A byte stream and the points at which it is cut into chunks. */
export const arbCuts = (length: number): fc.Arbitrary<number[]> =>
  fc
    .uniqueArray(fc.integer({ min: 1, max: Math.max(1, length - 1) }), { maxLength: 6 })
    .map((c) => c.sort((a, b) => a - b))

/** Cuts `bytes` at `cuts`. */
export function chunksOf(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = []
  let from = 0
  for (const c of cuts) {
    if (c <= from || c >= bytes.length) continue
    out.push(bytes.subarray(from, c))
    from = c
  }
  out.push(bytes.subarray(from))
  return out
}

/** Encoded packets damaged by a byte overwrite, a bit flip, truncation or an inserted byte. */
export const arbDamaged: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    arbPacket,
    fc.nat(),
    fc.integer({ min: 0, max: 255 }),
    fc.constantFrom('set', 'flip', 'cut', 'insert'),
  )
  .map(([p, at, byte, how]) => {
    const bytes = encodePacket(p)
    const i = at % bytes.length
    switch (how) {
      case 'set':
        return bytes.map((b, j) => (j === i ? byte : b))
      case 'flip':
        return bytes.map((b, j) => (j === i ? b ^ (1 << (byte & 7)) : b))
      case 'cut':
        return bytes.subarray(0, i)
      case 'insert':
        return Uint8Array.from([...bytes.subarray(0, i), byte, ...bytes.subarray(i)])
    }
  })
