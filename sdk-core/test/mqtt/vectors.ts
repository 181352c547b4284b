/**
 * Annotated MQTT 3.1.1 frames, field by field (§2 fixed header, §3 per packet), and frames that
 * break a rule, with the stream offset the decoder must blame.
 */
import type { Packet } from '@astarte-ts/sdk-core'

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0))
const u8 = (xs: readonly number[]): Uint8Array => Uint8Array.from(xs)

export type GoldenVector = readonly [name: string, packet: Packet, bytes: readonly number[]]

const payload200 = new Array<number>(200).fill(0x7a)

export const goldenVectors: readonly GoldenVector[] = [
  [
    'CONNECT as an Astarte device (no credentials, clean false)',
    { type: 'connect', clientId: 'test/dev', clean: false, keepalive: 60 },
    [
      0x10 /* CONNECT */, 0x14 /* remaining length 20 */,
      0x00, 0x04, ...ascii('MQTT') /* protocol name */, 0x04 /* protocol level 4 */,
      0x00 /* connect flags: none */, 0x00, 0x3c /* keepalive 60 s */,
      0x00, 0x08, ...ascii('test/dev') /* client id */,
    ],
  ],
  [
    'CONNECT with will, user name and password',
    {
      type: 'connect',
      clientId: 'c',
      clean: true,
      keepalive: 0,
      username: 'u',
      password: u8([0x70]),
      will: { topic: 't', payload: u8([0x01]), qos: 1, retain: true },
    },
    [
      0x10 /* CONNECT */, 0x19 /* remaining length 25 */,
      0x00, 0x04, ...ascii('MQTT') /* protocol name */, 0x04 /* protocol level 4 */,
      0xee /* flags: user 0x80 | password 0x40 | will retain 0x20 | will qos1 0x08 | will 0x04 */
      /* | clean 0x02 */,
      0x00, 0x00 /* keepalive off */,
      0x00, 0x01, ...ascii('c') /* client id */,
      0x00, 0x01, ...ascii('t') /* will topic */,
      0x00, 0x01, 0x01 /* will payload */,
      0x00, 0x01, ...ascii('u') /* user name */,
      0x00, 0x01, 0x70 /* password */,
    ],
  ],
  [
    'CONNACK accepted, session present',
    { type: 'connack', sessionPresent: true, returnCode: 0 },
    [0x20 /* CONNACK */, 0x02 /* remaining length */, 0x01 /* session present */, 0x00 /* accepted */],
  ],
  [
    'CONNACK refused: not authorized',
    { type: 'connack', sessionPresent: false, returnCode: 5 },
    [0x20 /* CONNACK */, 0x02 /* remaining length */, 0x00 /* no session */, 0x05 /* not authorized */],
  ],
  [
    'PUBLISH qos 0',
    { type: 'publish', topic: 'a/b', payload: u8(ascii('hi')), qos: 0, dup: false, retain: false, packetId: 0 },
    [
      0x30 /* PUBLISH qos0 */, 0x07 /* remaining length */,
      0x00, 0x03, ...ascii('a/b') /* topic name */,
      ...ascii('hi') /* payload, no packet id at qos 0 */,
    ],
  ],
  [
    'PUBLISH qos 1, dup, retain',
    { type: 'publish', topic: 'a', payload: u8([0xff]), qos: 1, dup: true, retain: true, packetId: 10 },
    [
      0x3b /* PUBLISH dup 0x08 | qos1 0x02 | retain 0x01 */, 0x06 /* remaining length */,
      0x00, 0x01, ...ascii('a') /* topic name */, 0x00, 0x0a /* packet id 10 */,
      0xff /* payload */,
    ],
  ],
  [
    'PUBLISH qos 2, UTF-8 topic, empty payload',
    { type: 'publish', topic: 'ü/😀', payload: u8([]), qos: 2, dup: false, retain: false, packetId: 0xffff },
    [
      0x34 /* PUBLISH qos2 */, 0x0b /* remaining length */,
      0x00, 0x07 /* topic length */, 0xc3, 0xbc /* ü */, 0x2f /* / */, 0xf0, 0x9f, 0x98, 0x80 /* 😀 */,
      0xff, 0xff /* packet id 65535 */,
    ],
  ],
  [
    'PUBLISH qos 0 with a two-byte remaining length',
    { type: 'publish', topic: 'a', payload: u8(payload200), qos: 0, dup: false, retain: false, packetId: 0 },
    [
      0x30 /* PUBLISH qos0 */, 0xcb, 0x01 /* remaining length 203 = 0x4b + 1×128 */,
      0x00, 0x01, ...ascii('a') /* topic name */, ...payload200 /* payload */,
    ],
  ],
  ['PUBACK', { type: 'puback', packetId: 1 }, [0x40 /* PUBACK */, 0x02, 0x00, 0x01 /* packet id */]],
  ['PUBREC', { type: 'pubrec', packetId: 0x1234 }, [0x50 /* PUBREC */, 0x02, 0x12, 0x34 /* packet id */]],
  ['PUBREL', { type: 'pubrel', packetId: 2 }, [0x62 /* PUBREL, flags 0b0010 */, 0x02, 0x00, 0x02 /* packet id */]],
  ['PUBCOMP', { type: 'pubcomp', packetId: 3 }, [0x70 /* PUBCOMP */, 0x02, 0x00, 0x03 /* packet id */]],
  [
    'SUBSCRIBE two filters',
    {
      type: 'subscribe',
      packetId: 4,
      subscriptions: [
        { topic: 'a/#', qos: 2 },
        { topic: 'b', qos: 0 },
      ],
    },
    [
      0x82 /* SUBSCRIBE, flags 0b0010 */, 0x0c /* remaining length 12 */, 0x00, 0x04 /* packet id */,
      0x00, 0x03, ...ascii('a/#') /* filter */, 0x02 /* requested qos 2 */,
      0x00, 0x01, ...ascii('b') /* filter */, 0x00 /* requested qos 0 */,
    ],
  ],
  [
    'SUBACK granted and failed',
    { type: 'suback', packetId: 4, granted: [2, 0x80] },
    [0x90 /* SUBACK */, 0x04 /* remaining length */, 0x00, 0x04 /* packet id */, 0x02 /* qos 2 */, 0x80 /* failure */],
  ],
  [
    'UNSUBSCRIBE',
    { type: 'unsubscribe', packetId: 5, topics: ['a/#'] },
    [0xa2 /* UNSUBSCRIBE, flags 0b0010 */, 0x07 /* remaining length */, 0x00, 0x05 /* packet id */, 0x00, 0x03, ...ascii('a/#') /* filter */],
  ],
  ['UNSUBACK', { type: 'unsuback', packetId: 5 }, [0xb0 /* UNSUBACK */, 0x02, 0x00, 0x05 /* packet id */]],
  ['PINGREQ', { type: 'pingreq' }, [0xc0 /* PINGREQ */, 0x00 /* remaining length */]],
  ['PINGRESP', { type: 'pingresp' }, [0xd0 /* PINGRESP */, 0x00 /* remaining length */]],
  ['DISCONNECT', { type: 'disconnect' }, [0xe0 /* DISCONNECT */, 0x00 /* remaining length */]],
]

export type MalformedVector = readonly [name: string, bytes: readonly number[], offset: number]

/** Frames that break a 3.1.1 rule, and the stream offset of the byte that breaks it. */
export const malformedVectors: readonly MalformedVector[] = [
  ['reserved type 0 (§2.2.1)', [0x00, 0x00], 0],
  ['reserved type 15 (§2.2.1)', [0xf0, 0x00], 0],
  ['PUBREL flags 0 [MQTT-3.6.1-1]', [0x60, 0x02, 0x00, 0x01], 0],
  ['PUBACK flags 1 [MQTT-2.2.2-2]', [0x41, 0x02, 0x00, 0x01], 0],
  ['PUBLISH qos 3 [MQTT-3.3.1-4]', [0x36, 0x03, 0x00, 0x01, 0x61], 0],
  ['PUBLISH dup at qos 0 [MQTT-3.3.1-2]', [0x38, 0x03, 0x00, 0x01, 0x61], 0],
  ['five-byte remaining length (§2.2.3)', [0x30, 0xff, 0xff, 0xff, 0xff, 0x01], 4],
  ['packet id 0 [MQTT-2.3.1-1]', [0x40, 0x02, 0x00, 0x00], 2],
  ['PUBACK with a trailing byte', [0x40, 0x03, 0x00, 0x01, 0x00], 4],
  ['topic not UTF-8 [MQTT-1.5.3-1]', [0x30, 0x04, 0x00, 0x02, 0xc0, 0x80], 2],
  ['topic holds a UTF-16 surrogate [MQTT-1.5.3-1]', [0x30, 0x05, 0x00, 0x03, 0xed, 0xa0, 0x80], 2],
  ['topic holds U+0000 [MQTT-1.5.3-2]', [0x30, 0x03, 0x00, 0x01, 0x00], 2],
  ['topic name with a wildcard [MQTT-3.3.2-2]', [0x30, 0x03, 0x00, 0x01, 0x23], 2],
  ['empty topic name [MQTT-4.7.3-1]', [0x30, 0x02, 0x00, 0x00], 2],
  ['string longer than the packet', [0x30, 0x04, 0x00, 0x05, 0x61, 0x62], 2],
  ['CONNACK reserved flags [MQTT-3.2.2-1]', [0x20, 0x02, 0x02, 0x00], 2],
  ['SUBSCRIBE without filters [MQTT-3.8.3-3]', [0x82, 0x02, 0x00, 0x01], 4],
  ['SUBSCRIBE reserved qos bits [MQTT-3-8.3-4]', [0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x04], 7],
  ['SUBACK reserved code [MQTT-3.9.3-2]', [0x90, 0x03, 0x00, 0x01, 0x03], 4],
  ['PINGRESP with a body', [0xd0, 0x01, 0x00], 2],
  [
    'CONNECT level 3 (§3.1.2.2)',
    [0x10, 0x0c, 0x00, 0x04, ...ascii('MQTT'), 0x03, 0x02, 0x00, 0x00, 0x00, 0x00],
    8,
  ],
  [
    'CONNECT reserved flag [MQTT-3.1.2-3]',
    [0x10, 0x0c, 0x00, 0x04, ...ascii('MQTT'), 0x04, 0x03, 0x00, 0x00, 0x00, 0x00],
    9,
  ],
  [
    'CONNECT password without user name [MQTT-3.1.2-22]',
    [0x10, 0x0c, 0x00, 0x04, ...ascii('MQTT'), 0x04, 0x42, 0x00, 0x00, 0x00, 0x00],
    9,
  ],
]
