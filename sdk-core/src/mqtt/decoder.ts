/**
 * @module mqtt decoder: a byte stream → packets, fed chunks of any size. Buffering is bounded by
 * `maxFrameBytes`; the first malformed byte makes the decoder fail for good (sticky, as h11's
 * ERROR state), and nothing but `SdkError` with a `remote.` code is ever thrown.
 */
import { SdkError } from '../errors.js'
import { BodyReader } from './body-reader.js'
import { decodeBody, packetTypeOf } from './decode-body.js'
import { malformed } from './invalid.js'
import type { Packet, PacketType } from './packet.js'

/** Returned by `PacketDecoder.next()` when the buffered bytes hold no complete packet. */
export const NEED_MORE: unique symbol = Symbol('mqtt need more')
export type NeedMore = typeof NEED_MORE

/** 1 MiB: well above Astarte's 65 535-byte `max_message_size` (spec §3.1). */
export const DEFAULT_MAX_FRAME_BYTES = 1_048_576

export interface PacketDecoderOptions {
  /** Largest whole frame (fixed header included) accepted; larger ones fail before buffering. */
  readonly maxFrameBytes?: number
}

const EMPTY = new Uint8Array(0)
// The fixed header is at most 5 bytes: type and flags, then up to 4 length bytes (§2.2.3).
const MAX_HEADER = 5

/** Reads the body of a frame whose first byte `packetTypeOf` accepted as `type`. */
export type BodyDecoder<P> = (type: PacketType, first: number, r: BodyReader) => P

/**
 * Streaming MQTT 3.1.1 framing: `push(chunk)`, then call `next()` until it returns `NEED_MORE`;
 * `body` turns each complete frame into a packet. A chunk is read in place until `next()`
 * returns `NEED_MORE`; after that the decoder holds no reference to it, so the caller may reuse
 * its buffers. Payloads are copies.
 */
export class FrameDecoder<P> {
  readonly maxFrameBytes: number
  readonly #body: BodyDecoder<P>
  #buf: Uint8Array = EMPTY
  #pos = 0
  #end = 0
  /** `#buf` was allocated here (not the caller's chunk) and `#pos` is 0. */
  #owned = false
  /** Size of the frame being assembled, once its header is known. */
  #want = 0
  /** Stream offset of `#buf[#pos]`. */
  #consumed = 0
  #error: SdkError | undefined

  constructor(body: BodyDecoder<P>, options: PacketDecoderOptions = {}) {
    this.#body = body
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
  }

  /** Bytes received but not yet returned as packets. */
  get buffered(): number {
    return this.#end - this.#pos
  }

  /** Adds received bytes; ignored once the decoder has failed. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0 || this.#error !== undefined) return
    const pending = this.#end - this.#pos
    if (pending === 0) {
      this.#buf = chunk
      this.#pos = 0
      this.#end = chunk.length
      this.#owned = false
      return
    }
    if (!this.#owned || this.#pos > 0 || this.#end + chunk.length > this.#buf.length) {
      this.#own(Math.max(pending + chunk.length, this.#want))
    }
    this.#buf.set(chunk, this.#end)
    this.#end += chunk.length
  }

  /** The next complete packet, or `NEED_MORE`. Throws `remote.mqtt_*` `SdkError`s only. */
  next(): P | NeedMore {
    if (this.#error !== undefined) throw this.#error
    try {
      return this.#next()
    } catch (e) {
      // Only malformed input throws here (the fuzz properties hold us to it); it is final.
      if (e instanceof SdkError) this.#error = e
      throw e
    }
  }

  #next(): P | NeedMore {
    const buf = this.#buf
    const pos = this.#pos
    const end = this.#end
    if (pos >= end) return this.#needMore(0)
    const first = buf[pos] as number
    const type = packetTypeOf(first, this.#consumed)
    let remaining = 0
    let multiplier = 1
    let i = pos + 1
    for (;;) {
      if (i >= end) return this.#needMore(0)
      const b = buf[i] as number
      remaining += (b & 0x7f) * multiplier
      if ((b & 0x80) === 0) break
      // §2.2.3 the remaining length takes at most four bytes.
      if (i - pos === MAX_HEADER - 1) {
        throw malformed('remaining length longer than four bytes', this.#consumed + i - pos)
      }
      multiplier *= 0x80
      i++
    }
    const bodyStart = i + 1
    const total = bodyStart - pos + remaining
    if (total > this.maxFrameBytes) {
      const ctx = { offset: this.#consumed, frameBytes: total, maxFrameBytes: this.maxFrameBytes }
      const message = `couldn't accept a ${total}-byte mqtt frame`
      throw new SdkError('remote.mqtt_frame_too_large', message, { ctx })
    }
    if (end - pos < total) return this.#needMore(total)
    const base = this.#consumed - pos
    const body = new BodyReader(buf, bodyStart, bodyStart + remaining, base)
    const packet = this.#body(type, first, body)
    this.#pos = pos + total
    this.#consumed += total
    this.#want = 0
    if (this.#pos === end) this.#release()
    return packet
  }

  /** Keeps what is pending in a buffer of our own, sized for the frame when it is known. */
  #needMore(want: number): NeedMore {
    this.#want = want
    const pending = this.#end - this.#pos
    if (pending === 0) this.#release()
    else if (!this.#owned || this.#pos > 0 || want > this.#buf.length) {
      this.#own(Math.max(pending, want, MAX_HEADER))
    }
    return NEED_MORE
  }

  #own(capacity: number): void {
    const next = new Uint8Array(capacity)
    next.set(this.#buf.subarray(this.#pos, this.#end))
    this.#end -= this.#pos
    this.#pos = 0
    this.#buf = next
    this.#owned = true
  }

  #release(): void {
    this.#buf = EMPTY
    this.#pos = 0
    this.#end = 0
    this.#owned = false
  }
}

/** Streaming MQTT 3.1.1 decoder of every packet type (see `FrameDecoder`). */
export class PacketDecoder extends FrameDecoder<Packet> {
  constructor(options: PacketDecoderOptions = {}) {
    super(decodeBody, options)
  }
}

/** Decodes exactly one packet from `bytes`; trailing or missing bytes are malformed. */
export function decodePacket(bytes: Uint8Array, options: PacketDecoderOptions = {}): Packet {
  return decodeWhole(new PacketDecoder(options), bytes)
}

/** The one packet `bytes` holds, read by a fresh `decoder`; trailing or missing bytes are malformed. */
export function decodeWhole<P>(decoder: FrameDecoder<P>, bytes: Uint8Array): P {
  decoder.push(bytes)
  const packet = decoder.next()
  if (packet === NEED_MORE) throw malformed('truncated packet', bytes.length)
  const extra = decoder.buffered
  if (extra > 0) throw malformed('bytes after the packet', bytes.length - extra)
  return packet
}
