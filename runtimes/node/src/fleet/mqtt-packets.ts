/**
 * @module fleet mqtt packets: the few MQTT 3.1.1 packets a simulated device exchanges, encoded
 * by hand so that ten thousand clients cost a socket each and little more. Decoding is bounded:
 * a frame longer than `maxFrameBytes` is a protocol error.
 */

/** Control packet types (MQTT 3.1.1 §2.2.1). */
export const PacketType = {
  connect: 1,
  connack: 2,
  publish: 3,
  puback: 4,
  pubrec: 5,
  pubrel: 6,
  pubcomp: 7,
  subscribe: 8,
  suback: 9,
  pingreq: 12,
  pingresp: 13,
  disconnect: 14,
} as const

export interface Frame {
  readonly type: number
  readonly flags: number
  readonly body: Buffer
}

function remainingLength(n: number): number[] {
  const out: number[] = []
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    out.push(byte)
  } while (n > 0)
  return out
}

function frame(first: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([first, ...remainingLength(body.length)]), body])
}

function utf8Field(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8')
  const len = Buffer.alloc(2)
  len.writeUInt16BE(bytes.length)
  return Buffer.concat([len, bytes])
}

/** [MQTT-3.1.2] protocol name MQTT, level 4; no username/password: identity is the certificate. */
export function encodeConnect(clientId: string, keepaliveSec: number, clean: boolean): Buffer {
  const header = Buffer.from([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, clean ? 0x02 : 0x00, 0, 0])
  header.writeUInt16BE(keepaliveSec, 8)
  return frame(PacketType.connect << 4, Buffer.concat([header, utf8Field(clientId)]))
}

/** [MQTT-3.3.1] retain is always 0 (spec §3.2); a packet id only for QoS 1 and 2. */
export function encodePublish(
  topic: string,
  payload: Uint8Array,
  qos: 0 | 1 | 2,
  packetId: number,
): Buffer {
  const parts = [utf8Field(topic)]
  if (qos > 0) {
    const id = Buffer.alloc(2)
    id.writeUInt16BE(packetId)
    parts.push(id)
  }
  parts.push(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength))
  return frame((PacketType.publish << 4) | (qos << 1), Buffer.concat(parts))
}

/** [MQTT-3.8.1-1] SUBSCRIBE's fixed-header flags are 0b0010. */
export function encodeSubscribe(
  packetId: number,
  filters: readonly string[],
  qos: 0 | 1 | 2,
): Buffer {
  const id = Buffer.alloc(2)
  id.writeUInt16BE(packetId)
  const body = [id, ...filters.flatMap((f) => [utf8Field(f), Buffer.from([qos])])]
  return frame((PacketType.subscribe << 4) | 0x02, Buffer.concat(body))
}

/** PUBACK, PUBREC, PUBREL (flags 0b0010, [MQTT-3.6.1-1]) and PUBCOMP. */
export function encodeAck(type: 4 | 5 | 6 | 7, packetId: number): Buffer {
  const flags = type === PacketType.pubrel ? 0x02 : 0
  return Buffer.from([(type << 4) | flags, 2, packetId >> 8, packetId & 0xff])
}

export const PINGREQ = Buffer.from([PacketType.pingreq << 4, 0])
export const DISCONNECT = Buffer.from([PacketType.disconnect << 4, 0])

/** Splits a byte stream into frames; `push` returns false once the stream is malformed. */
export class FrameDecoder {
  private pending: Buffer | undefined

  constructor(private readonly maxFrameBytes: number) {}

  /** Feeds a chunk; calls `onFrame` for every complete frame. */
  push(chunk: Buffer, onFrame: (f: Frame) => void): boolean {
    let buf = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk])
    this.pending = undefined
    let off = 0
    while (off < buf.length) {
      let len = 0
      let mul = 1
      let i = off + 1
      for (; ; i++) {
        if (i >= buf.length) break
        const b = buf[i] as number
        len += (b & 0x7f) * mul
        mul *= 128
        if ((b & 0x80) === 0) break
        if (i - off >= 4) return false
      }
      if (i >= buf.length) break
      const start = i + 1
      if (len > this.maxFrameBytes) return false
      if (start + len > buf.length) break
      const first = buf[off] as number
      onFrame({ type: first >> 4, flags: first & 0x0f, body: buf.subarray(start, start + len) })
      off = start + len
    }
    if (off < buf.length) {
      // Copied so that a small remainder doesn't pin a whole socket chunk in memory.
      buf = Buffer.from(buf.subarray(off))
      this.pending = buf
    }
    return true
  }
}
