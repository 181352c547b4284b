// Writes the golden frames (vectors/*.json) from the TypeScript codec and the worked examples of
// PROTOCOL.md §6 from them. Run after a protocol change: `npm run vectors -w firmware-bridge`.
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  Float64,
  type Message,
  cobsEncode,
  crc16,
  encodeMessage,
  encodeWire,
  messageToJson,
  toHex,
} from '../src/index.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const T = 1796605200000 // 2026-12-07T01:00:00Z
const D = (x: number): Float64 => new Float64(x)
const t = (mapping: number, ...params: string[]) => ({ mapping, params })

const examples: { name: string; description: string; message: Message }[] = [
  {
    name: 'hello',
    description: 'MCU after boot 7: four interfaces, 256-byte frames, window 2, nothing pending',
    message: {
      type: 'hello',
      token: 1,
      version: 1,
      bootCounter: 7,
      identity: 'mps2-0001',
      interfaces: [
        'org.astarte-ts.bridge.Sensor:1:0',
        'org.astarte-ts.bridge.Status:1:0',
        'org.astarte-ts.bridge.Setpoint:1:0',
        'org.astarte-ts.bridge.Air:1:0',
      ],
      maxFrame: 256,
      window: 2,
      txSeq: 0,
      rxSeq: 0,
    },
  },
  {
    name: 'hello_ack',
    description: 'host: device id, time, the whole index table (6 entries) in one frame',
    message: {
      type: 'helloAck',
      token: 1,
      version: 1,
      deviceId: 'Jb4d3eD9Si2NbXxWtqW-7g',
      time: T,
      first: 0,
      entries: [
        { interfaceIndex: 0, endpoint: '/temperature', type: 1 },
        { interfaceIndex: 0, endpoint: '/uptime', type: 4 },
        { interfaceIndex: 1, endpoint: '/firmware', type: 5 },
        { interfaceIndex: 1, endpoint: '/periodMs', type: 2 },
        { interfaceIndex: 2, endpoint: '/setpoint', type: 1 },
        {
          interfaceIndex: 3,
          endpoint: '/%{room}',
          fields: [
            { name: 'temperature', type: 1 },
            { name: 'humidity', type: 1 },
          ],
        },
      ],
      total: 6,
      maxFrame: 1024,
      txSeq: 0,
      rxSeq: 0,
      window: 4,
    },
  },
  {
    name: 'send_one',
    description: 'one double on mapping 0 (/temperature) at t0, no batching: 28 bytes on the wire',
    message: {
      type: 'send',
      seq: 0,
      t0: T + 250,
      samples: [{ target: t(0), value: D(21.53), dt: 0 }],
    },
  },
  {
    name: 'send_batch8',
    description: 'eight doubles on mapping 0, 100 ms apart: 119 bytes on the wire, 14.9 per sample',
    message: {
      type: 'send',
      seq: 1,
      t0: T + 1000,
      samples: [21.53, 21.54, 21.56, 21.55, 21.57, 21.6, 21.58, 21.61].map((v, i) => ({
        target: t(0),
        value: D(v),
        dt: i === 0 ? 0 : 100,
      })),
    },
  },
  {
    name: 'send_no_timestamp',
    description:
      'a longinteger on mapping 1 (/uptime) without timestamp (the host stamps reception time)',
    message: { type: 'send', seq: 2, t0: null, samples: [{ target: t(1), value: 86400000 }] },
  },
  {
    name: 'send_object',
    description:
      'an object on mapping 5 (/%{room}) for room "lab": field 0 temperature, field 1 humidity',
    message: {
      type: 'send',
      seq: 3,
      t0: T + 2000,
      samples: [
        {
          target: t(5, 'lab'),
          value: new Map([
            [0, D(22.5)],
            [1, D(41.25)],
          ]),
          dt: 0,
        },
      ],
    },
  },
  {
    name: 'set',
    description: 'device-owned property /firmware (mapping 2) set to "sensor 1.0.0"',
    message: { type: 'set', seq: 4, target: t(2), value: 'sensor 1.0.0' },
  },
  {
    name: 'unset',
    description: 'device-owned property /periodMs (mapping 3) unset',
    message: { type: 'unset', seq: 5, target: t(3) },
  },
  {
    name: 'server_data',
    description: 'host → MCU: server property /setpoint (mapping 4) = 19.5',
    message: { type: 'serverData', seq: 0, target: t(4), value: D(19.5) },
  },
  {
    name: 'server_unset',
    description: 'host → MCU: the server unset /setpoint',
    message: { type: 'serverData', seq: 1, target: t(4) },
  },
  {
    name: 'ack',
    description: 'ACK of seq 3 (and everything before it)',
    message: { type: 'ack', seq: 3 },
  },
  {
    name: 'nack_type',
    description: 'NACK of seq 6: sample 0 is not a double',
    message: { type: 'nack', seq: 6, reason: 5, sampleIndex: 0, detail: 'expected double' },
  },
  {
    name: 'nack_unknown_interface',
    description: 'NACK of HELLO token 1: the host has no org.example.Missing:1:0',
    message: {
      type: 'nack',
      seq: 1,
      reason: 10,
      detail: 'unknown interface org.example.Missing:1:0',
    },
  },
  {
    name: 'nack_no_session',
    description: 'NACK of seq 9: no session, send HELLO',
    message: { type: 'nack', seq: 9, reason: 3 },
  },
  { name: 'ping', description: 'PING with token 0x2a', message: { type: 'ping', token: 0x2a } },
  {
    name: 'pong',
    description: 'PONG answering token 0x2a',
    message: { type: 'pong', token: 0x2a },
  },
  { name: 'time_request', description: 'MCU asks for the time', message: { type: 'time' } },
  {
    name: 'time',
    description: 'host → MCU: the time',
    message: { type: 'time', time: T + 600000 },
  },
]

const vectors = examples.map((e) => ({
  name: e.name,
  description: e.description,
  message: messageToJson(e.message),
  frame: toHex(encodeMessage(e.message)),
  wire: toHex(encodeWire(e.message)),
}))
writeFileSync(join(root, 'vectors', 'frames.json'), JSON.stringify(vectors, null, 2) + '\n')

const cobsCases = [
  [],
  [0],
  [0, 0],
  [1],
  [0x11, 0x22, 0x00, 0x33],
  Array.from({ length: 254 }, (_, i) => i + 1),
  Array.from({ length: 255 }, (_, i) => (i % 255) + 1),
  [1, 2, 0, ...Array.from({ length: 300 }, (_, i) => (i % 250) + 1)],
]
writeFileSync(
  join(root, 'vectors', 'cobs.json'),
  JSON.stringify(
    {
      crc: [
        {
          ascii: '123456789',
          crc: crc16(new TextEncoder().encode('123456789')).toString(16).padStart(4, '0'),
        },
        { ascii: '', crc: crc16(new Uint8Array(0)).toString(16).padStart(4, '0') },
      ],
      cobs: cobsCases.map((c) => ({
        raw: toHex(Uint8Array.from(c)),
        encoded: toHex(cobsEncode(Uint8Array.from(c))),
      })),
    },
    null,
    2,
  ) + '\n',
)

// Frames every decoder must refuse, each with the error kind it must report.
const withCrc = (b: number[]): Uint8Array => {
  const f = Uint8Array.from([...b, 0, 0])
  const c = crc16(f, b.length)
  f[b.length] = c >> 8
  f[b.length + 1] = c & 0xff
  return f
}
const wire = (frame: Uint8Array): string => toHex(cobsEncode(frame)) + '00'
const ack = encodeMessage({ type: 'ack', seq: 3 })
const flipped = Uint8Array.from(ack)
flipped[1] = ack[1]! ^ 0x01
const bad = [
  {
    name: 'bad_crc',
    description: 'ACK with one bit flipped in seq',
    wire: wire(flipped),
    error: 'bad_crc',
  },
  {
    name: 'short',
    description: 'a three-byte frame',
    wire: wire(Uint8Array.of(3, 3, 0xff)),
    error: 'short',
  },
  {
    name: 'bad_cobs',
    description: 'a COBS code byte pointing past the end',
    wire: '05030300',
    error: 'bad_cobs',
  },
  {
    name: 'bad_cbor',
    description: 'SEND whose body is a truncated array',
    wire: wire(withCrc([0x10, 0, 0x83, 0x01])),
    error: 'bad_cbor',
  },
  {
    name: 'trailing_cbor',
    description: 'ACK-shaped SEND with two CBOR items in the body',
    wire: wire(withCrc([0x10, 0, 0x01, 0x02])),
    error: 'bad_cbor',
  },
  {
    name: 'bad_shape',
    description: 'SEND whose body is a map',
    wire: wire(withCrc([0x10, 0, 0xa0])),
    error: 'bad_shape',
  },
  {
    name: 'unknown_type',
    description: 'type 0x7f',
    wire: wire(withCrc([0x7f, 0])),
    error: 'unknown_type',
  },
  {
    name: 'oversize',
    description: '2000 non-zero bytes then the delimiter (receiver limit 1024)',
    wire: '01'.repeat(2000) + '00',
    error: 'oversize',
  },
]
writeFileSync(join(root, 'vectors', 'bad-frames.json'), JSON.stringify(bad, null, 2) + '\n')

// PROTOCOL.md §6, every byte annotated.
function annotate(b: Uint8Array): string[] {
  const lines: string[] = []
  let i = 0
  const item = (depth: number, label: string): void => {
    const start = i
    const ib = b[i++]!
    const major = ib >> 5
    const info = ib & 31
    let n = BigInt(info)
    if (info >= 24 && info <= 27) {
      const len = 1 << (info - 24)
      n = 0n
      if (major !== 7) for (let k = 0; k < len; k++) n = (n << 8n) | BigInt(b[i++]!)
      else i += len
    }
    const head = toHex(b.subarray(start, i))
    const pad = '  '.repeat(depth)
    const say = (what: string, extra = ''): void => {
      lines.push(`${(pad + head + extra).padEnd(40)} ${label}${what}`)
    }
    switch (major) {
      case 0:
        say(`uint ${n}`)
        break
      case 1:
        say(`int ${-1n - n}`)
        break
      case 2:
      case 3: {
        const body = b.subarray(i, i + Number(n))
        i += Number(n)
        say(major === 3 ? `text "${new TextDecoder().decode(body)}"` : `bytes`, ' ' + toHex(body))
        break
      }
      case 4:
        say(`array(${n})`)
        for (let k = 0; k < Number(n); k++) item(depth + 1, '')
        break
      case 5:
        say(`map(${n})`)
        for (let k = 0; k < Number(n); k++) {
          item(depth + 1, 'key ')
          item(depth + 2, '')
        }
        break
      case 7: {
        const dv = new DataView(b.buffer, b.byteOffset + start + 1)
        if (info === 20) say('false')
        else if (info === 21) say('true')
        else if (info === 22) say('null')
        else if (info === 25) say('half float')
        else if (info === 26) say(`float ${dv.getFloat32(0)}`)
        else if (info === 27) say(`double ${dv.getFloat64(0)}`)
        break
      }
    }
  }
  while (i < b.length) item(0, '')
  return lines
}

const NAMES: Record<number, string> = {
  1: 'HELLO',
  2: 'HELLO_ACK',
  3: 'ACK',
  4: 'NACK',
  5: 'PING',
  6: 'PONG',
  7: 'TIME',
  0x10: 'SEND',
  0x11: 'SET',
  0x12: 'UNSET',
  0x20: 'SERVER_DATA',
}
const sections = examples.map((e) => {
  const frame = encodeMessage(e.message)
  const w = encodeWire(e.message)
  const body = frame.subarray(2, frame.length - 2)
  const out = [
    `### ${e.name}`,
    '',
    `${e.description[0]!.toUpperCase()}${e.description.slice(1)}. Frame ${frame.length} bytes, ${w.length} on the wire.`,
    '',
    '```',
    `${toHex(frame.subarray(0, 1)).padEnd(40)} type ${NAMES[frame[0]!]}`,
    `${toHex(frame.subarray(1, 2)).padEnd(40)} seq ${frame[1]}`,
    ...annotate(body),
    `${toHex(frame.subarray(frame.length - 2)).padEnd(40)} CRC-16`,
    '```',
    '',
    'On the wire (COBS, delimiter):',
    '',
    '```',
    ...(toHex(w).match(/.{1,64}/g) ?? []),
    '```',
    '',
  ]
  return out.join('\n')
})
const protocolPath = join(root, 'PROTOCOL.md')
const doc = readFileSync(protocolPath, 'utf8')
const startMark = '<!-- examples:start -->'
const endMark = '<!-- examples:end -->'
const a = doc.indexOf(startMark)
const z = doc.indexOf(endMark)
if (a < 0 || z < a) throw new Error('PROTOCOL.md lacks the examples markers')
writeFileSync(
  protocolPath,
  doc.slice(0, a + startMark.length) + '\n\n' + sections.join('\n') + '\n' + doc.slice(z),
)
console.log(
  `wrote ${vectors.length} frames, ${bad.length} bad frames, ${cobsCases.length} COBS cases`,
)
