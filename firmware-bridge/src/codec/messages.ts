/**
 * @module the message set of PROTOCOL.md §3 and its mapping to and from frames
 * (`type`, `seq`, CBOR body, CRC-16), before COBS.
 */
import { SdkError } from '@astarte-ts/sdk-core'
import { type CborValue, decodeCbor, encodeCbor } from './cbor.js'
import { crc16 } from './crc16.js'

/** Message type bytes. */
export const MessageType = {
  hello: 0x01,
  helloAck: 0x02,
  ack: 0x03,
  nack: 0x04,
  ping: 0x05,
  pong: 0x06,
  time: 0x07,
  send: 0x10,
  set: 0x11,
  unset: 0x12,
  serverData: 0x20,
} as const

/** NACK reason codes (PROTOCOL.md §3.9). */
export const NackReason = {
  unknownType: 1,
  malformed: 2,
  noSession: 3,
  unknownMapping: 4,
  typeMismatch: 5,
  ownership: 6,
  timestamp: 7,
  busy: 8,
  internal: 9,
  unknownInterface: 10,
  version: 11,
  tooLarge: 12,
} as const

/** Astarte type codes of the index table (PROTOCOL.md §2.1). */
export const TypeCode = {
  double: 1,
  integer: 2,
  boolean: 3,
  longinteger: 4,
  string: 5,
  binaryblob: 6,
  datetime: 7,
  doublearray: 9,
  integerarray: 10,
  booleanarray: 11,
  longintegerarray: 12,
  stringarray: 13,
  binaryblobarray: 14,
  datetimearray: 15,
} as const

/** Where a value goes: a mapping index and the endpoint's `%{…}` parameters in order. */
export interface Target {
  readonly mapping: number
  readonly params: readonly string[]
}

/** One index-table entry: an individual mapping (`type`) or an object (`fields`). */
export type TableEntry =
  | { readonly interfaceIndex: number; readonly endpoint: string; readonly type: number }
  | {
      readonly interfaceIndex: number
      readonly endpoint: string
      readonly fields: readonly { readonly name: string; readonly type: number }[]
    }

/** One SEND sample; `dt` (ms after the previous sample) is present iff the SEND has a `t0`. */
export interface Sample {
  readonly target: Target
  readonly value: CborValue
  readonly dt?: number
}

export interface Hello {
  readonly type: 'hello'
  readonly token: number
  readonly version: number
  readonly bootCounter: number
  /** Absent when the firmware has no hardware identity. */
  readonly identity?: string
  readonly interfaces: readonly string[]
  readonly maxFrame: number
  readonly window: number
  readonly txSeq: number
  readonly rxSeq: number
  readonly firmware?: string
}

export interface HelloAck {
  readonly type: 'helloAck'
  readonly token: number
  readonly version: number
  readonly deviceId: string
  readonly time: number
  readonly first: number
  readonly entries: readonly TableEntry[]
  readonly total: number
  readonly maxFrame: number
  readonly txSeq: number
  readonly rxSeq: number
  readonly window: number
}

export type Message =
  | Hello
  | HelloAck
  | { readonly type: 'ack'; readonly seq: number }
  | {
      readonly type: 'nack'
      readonly seq: number
      readonly reason: number
      readonly detail?: string
      readonly sampleIndex?: number
    }
  | { readonly type: 'ping'; readonly token: number }
  | { readonly type: 'pong'; readonly token: number }
  | { readonly type: 'time'; readonly time?: number }
  | {
      readonly type: 'send'
      readonly seq: number
      readonly t0: number | null
      readonly samples: readonly Sample[]
    }
  | {
      readonly type: 'set'
      readonly seq: number
      readonly target: Target
      readonly value: CborValue
    }
  | { readonly type: 'unset'; readonly seq: number; readonly target: Target }
  | {
      readonly type: 'serverData'
      readonly seq: number
      readonly target: Target
      readonly value?: CborValue
    }

/** The message types that are sequenced, acknowledged and retransmitted (PROTOCOL.md §4). */
export type SequencedMessage = Extract<Message, { type: 'send' | 'set' | 'unset' | 'serverData' }>

export function isSequenced(m: Message): m is SequencedMessage {
  return m.type === 'send' || m.type === 'set' || m.type === 'unset' || m.type === 'serverData'
}

const target = (t: Target): CborValue =>
  t.params.length === 0 ? t.mapping : [t.mapping, ...t.params]

function entry(e: TableEntry): CborValue {
  return 'fields' in e
    ? [e.interfaceIndex, e.endpoint, e.fields.map((f) => [f.name, f.type])]
    : [e.interfaceIndex, e.endpoint, e.type]
}

function header(m: Message): [number, number, CborValue | undefined] {
  switch (m.type) {
    case 'hello': {
      const body = new Map<number, CborValue>([
        [0, m.version],
        [1, m.bootCounter],
        [3, [...m.interfaces]],
        [4, m.maxFrame],
        [5, m.window],
        [7, m.txSeq],
        [8, m.rxSeq],
      ])
      if (m.identity !== undefined) body.set(2, m.identity)
      if (m.firmware !== undefined) body.set(9, m.firmware)
      return [MessageType.hello, m.token, body]
    }
    case 'helloAck':
      return [
        MessageType.helloAck,
        m.token,
        new Map<number, CborValue>([
          [0, m.version],
          [1, m.deviceId],
          [2, m.time],
          [3, m.first],
          [4, m.entries.map(entry)],
          [5, m.total],
          [6, m.maxFrame],
          [7, m.txSeq],
          [8, m.rxSeq],
          [10, m.window],
        ]),
      ]
    case 'ack':
      return [MessageType.ack, m.seq, undefined]
    case 'nack': {
      const detail: CborValue[] = [m.reason]
      if (m.sampleIndex !== undefined) detail.push([m.sampleIndex, m.detail ?? ''])
      else if (m.detail !== undefined) detail.push(m.detail)
      return [MessageType.nack, m.seq, detail]
    }
    case 'ping':
      return [MessageType.ping, m.token, undefined]
    case 'pong':
      return [MessageType.pong, m.token, undefined]
    case 'time':
      return [MessageType.time, 0, m.time]
    case 'send':
      return [
        MessageType.send,
        m.seq,
        [
          m.t0,
          ...m.samples.map((s): CborValue =>
            m.t0 === null ? [target(s.target), s.value] : [target(s.target), s.value, s.dt ?? 0],
          ),
        ],
      ]
    case 'set':
      return [MessageType.set, m.seq, [target(m.target), m.value]]
    case 'unset':
      return [MessageType.unset, m.seq, [target(m.target)]]
    case 'serverData':
      return [
        MessageType.serverData,
        m.seq,
        m.value === undefined ? [target(m.target)] : [target(m.target), m.value],
      ]
  }
}

/** Encodes `m` as a frame: type, seq, CBOR body, CRC-16 big-endian (no COBS, no delimiter). */
export function encodeMessage(m: Message): Uint8Array {
  const [type, seq, body] = header(m)
  const cbor = body === undefined ? new Uint8Array(0) : encodeCbor(body)
  const frame = new Uint8Array(cbor.length + 4)
  frame[0] = type
  frame[1] = seq & 0xff
  frame.set(cbor, 2)
  const crc = crc16(frame, cbor.length + 2)
  frame[cbor.length + 2] = crc >> 8
  frame[cbor.length + 3] = crc & 0xff
  return frame
}

function shape(what: string): SdkError {
  return new SdkError('remote.frame_bad_shape', `couldn't read frame: ${what}`)
}

function uint(v: CborValue | undefined, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max)
    throw shape(`${what} is not an unsigned integer up to ${max}`)
  return v
}

function int(v: CborValue | undefined, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw shape(`${what} is not an integer`)
  return v
}

function text(v: CborValue | undefined, what: string, max = 1024): string {
  if (typeof v !== 'string' || v.length > max)
    throw shape(`${what} is not a text of at most ${max} characters`)
  return v
}

function array(v: CborValue | undefined, what: string): readonly CborValue[] {
  if (!Array.isArray(v)) throw shape(`${what} is not an array`)
  return v as readonly CborValue[]
}

function map(v: CborValue | undefined, what: string): ReadonlyMap<number, CborValue> {
  if (!(v instanceof Map)) throw shape(`${what} is not a map`)
  return v
}

function readTarget(v: CborValue | undefined, what: string): Target {
  if (typeof v === 'number') return { mapping: uint(v, what, 0xffff), params: [] }
  const a = array(v, what)
  if (a.length < 2) throw shape(`${what} is an array without parameters`)
  return {
    mapping: uint(a[0], `${what} mapping`, 0xffff),
    params: a.slice(1).map((p, i) => text(p, `${what} parameter ${i}`, 128)),
  }
}

function readEntry(v: CborValue, i: number): TableEntry {
  const a = array(v, `table entry ${i}`)
  if (a.length !== 3) throw shape(`table entry ${i} has ${a.length} items, not 3`)
  const interfaceIndex = uint(a[0], `table entry ${i} interface`, 0xffff)
  const endpoint = text(a[1], `table entry ${i} endpoint`, 256)
  if (typeof a[2] === 'number')
    return { interfaceIndex, endpoint, type: uint(a[2], `table entry ${i} type`, 15) }
  const fields = array(a[2], `table entry ${i} fields`).map((f, k) => {
    const pair = array(f, `table entry ${i} field ${k}`)
    return {
      name: text(pair[0], `table entry ${i} field ${k} name`, 128),
      type: uint(pair[1], `table entry ${i} field ${k} type`, 15),
    }
  })
  return { interfaceIndex, endpoint, fields }
}

function readBody(type: number, seq: number, body: CborValue | undefined): Message {
  const need = (): CborValue => {
    if (body === undefined) throw shape(`message type 0x${type.toString(16)} without body`)
    return body
  }
  const none = (): void => {
    if (body !== undefined) throw shape(`message type 0x${type.toString(16)} with a body`)
  }
  switch (type) {
    case MessageType.hello: {
      const b = map(need(), 'HELLO body')
      const firmware = b.get(9)
      const identity = b.get(2)
      return {
        type: 'hello',
        token: seq,
        version: uint(b.get(0), 'HELLO version'),
        bootCounter: uint(b.get(1), 'HELLO boot counter', 0xffffffff),
        interfaces: array(b.get(3), 'HELLO interfaces').map((s, i) =>
          text(s, `HELLO interface ${i}`, 128),
        ),
        maxFrame: uint(b.get(4), 'HELLO max frame', 0xffff),
        window: uint(b.get(5), 'HELLO window', 255),
        txSeq: uint(b.get(7), 'HELLO tx seq', 255),
        rxSeq: uint(b.get(8), 'HELLO rx seq', 255),
        ...(identity === undefined ? {} : { identity: text(identity, 'HELLO identity', 128) }),
        ...(firmware === undefined ? {} : { firmware: text(firmware, 'HELLO firmware', 128) }),
      }
    }
    case MessageType.helloAck: {
      const b = map(need(), 'HELLO_ACK body')
      return {
        type: 'helloAck',
        token: seq,
        version: uint(b.get(0), 'HELLO_ACK version'),
        deviceId: text(b.get(1), 'HELLO_ACK device id', 64),
        time: uint(b.get(2), 'HELLO_ACK time'),
        first: uint(b.get(3), 'HELLO_ACK first entry', 0xffff),
        entries: array(b.get(4), 'HELLO_ACK entries').map(readEntry),
        total: uint(b.get(5), 'HELLO_ACK total', 0xffff),
        maxFrame: uint(b.get(6), 'HELLO_ACK max frame', 0xffff),
        txSeq: uint(b.get(7), 'HELLO_ACK tx seq', 255),
        rxSeq: uint(b.get(8), 'HELLO_ACK rx seq', 255),
        window: uint(b.get(10), 'HELLO_ACK window', 255),
      }
    }
    case MessageType.ack:
      none()
      return { type: 'ack', seq }
    case MessageType.nack: {
      const a = array(need(), 'NACK body')
      if (a.length < 1 || a.length > 2) throw shape('NACK body is not [reason, detail?]')
      const reason = uint(a[0], 'NACK reason', 255)
      if (a.length === 1) return { type: 'nack', seq, reason }
      if (Array.isArray(a[1])) {
        const d = a[1] as readonly CborValue[]
        if (d.length !== 2) throw shape('NACK detail is not [sampleIndex, text]')
        return {
          type: 'nack',
          seq,
          reason,
          sampleIndex: uint(d[0], 'NACK sample index', 0xffff),
          detail: text(d[1], 'NACK detail', 256),
        }
      }
      return { type: 'nack', seq, reason, detail: text(a[1], 'NACK detail', 256) }
    }
    case MessageType.ping:
      none()
      return { type: 'ping', token: seq }
    case MessageType.pong:
      none()
      return { type: 'pong', token: seq }
    case MessageType.time:
      return body === undefined ? { type: 'time' } : { type: 'time', time: uint(body, 'TIME') }
    case MessageType.send: {
      const a = array(need(), 'SEND body')
      if (a.length < 2) throw shape('SEND without samples')
      const t0 = a[0] === null ? null : uint(a[0], 'SEND t0')
      const samples = a.slice(1).map((s, i): Sample => {
        const item = array(s, `SEND sample ${i}`)
        if (item.length !== (t0 === null ? 2 : 3))
          throw shape(`SEND sample ${i} has ${item.length} items, not ${t0 === null ? 2 : 3}`)
        const t = readTarget(item[0], `SEND sample ${i} target`)
        return t0 === null
          ? { target: t, value: item[1]! }
          : { target: t, value: item[1]!, dt: int(item[2], `SEND sample ${i} dt`) }
      })
      return { type: 'send', seq, t0, samples }
    }
    case MessageType.set: {
      const a = array(need(), 'SET body')
      if (a.length !== 2) throw shape('SET body is not [target, value]')
      return { type: 'set', seq, target: readTarget(a[0], 'SET target'), value: a[1]! }
    }
    case MessageType.unset: {
      const a = array(need(), 'UNSET body')
      if (a.length !== 1) throw shape('UNSET body is not [target]')
      return { type: 'unset', seq, target: readTarget(a[0], 'UNSET target') }
    }
    case MessageType.serverData: {
      const a = array(need(), 'SERVER_DATA body')
      if (a.length !== 1 && a.length !== 2) throw shape('SERVER_DATA body is not [target, value?]')
      const t = readTarget(a[0], 'SERVER_DATA target')
      return a.length === 1
        ? { type: 'serverData', seq, target: t }
        : { type: 'serverData', seq, target: t, value: a[1]! }
    }
    default:
      throw new SdkError(
        'remote.frame_unknown_type',
        `couldn't read frame: unknown message type 0x${type.toString(16)}`,
        {
          ctx: { type, seq },
        },
      )
  }
}

/**
 * Decodes a frame (COBS already removed): length, CRC, CBOR body, shape.
 * @throws SdkError `remote.frame_short`, `remote.frame_bad_crc`, `remote.frame_bad_cbor`,
 * `remote.frame_bad_shape` or `remote.frame_unknown_type` (the last with `ctx.seq`, so the
 * receiver may NACK it).
 */
export function decodeMessage(frame: Uint8Array): Message {
  if (frame.length < 4) {
    throw new SdkError(
      'remote.frame_short',
      `couldn't read frame: ${frame.length} bytes, at least 4 needed`,
    )
  }
  const n = frame.length - 2
  const crc = (frame[n]! << 8) | frame[n + 1]!
  const computed = crc16(frame, n)
  if (crc !== computed) {
    throw new SdkError(
      'remote.frame_bad_crc',
      `couldn't read frame: CRC 0x${crc.toString(16)} but computed 0x${computed.toString(16)}`,
    )
  }
  const body = n > 2 ? decodeCbor(frame.subarray(2, n)) : undefined
  try {
    return readBody(frame[0]!, frame[1]!, body)
  } catch (e) {
    // The CRC held, so type and seq can be trusted: the receiver may NACK the frame.
    if (e instanceof SdkError && e.code === 'remote.frame_bad_shape') {
      throw new SdkError(e.code, e.message, { ctx: { type: frame[0]!, seq: frame[1]! } })
    }
    throw e
  }
}
