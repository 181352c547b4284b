/**
 * @module wire framing: a message as `COBS(frame) 00`, and the streaming receiver that finds
 * frames in a byte stream full of noise (PROTOCOL.md §1.3).
 */
import { SdkError } from '@astarte-ts/sdk-core'
import { cobsDecode, cobsEncode, cobsEncodedLength } from './cobs.js'
import { type Message, decodeMessage, encodeMessage } from './messages.js'

/** The bytes of `m` on the wire: COBS-encoded frame and its `00` delimiter. */
export function encodeWire(m: Message): Uint8Array {
  const encoded = cobsEncode(encodeMessage(m))
  const out = new Uint8Array(encoded.length + 1)
  out.set(encoded)
  return out
}

/** One thing the receiver found: a message (with its frame length), or a typed error. */
export type Received =
  | { readonly ok: true; readonly message: Message; readonly frameLength: number }
  | { readonly ok: false; readonly error: SdkError }

/**
 * Streaming receiver: feed it bytes as they come, get messages and errors out. Never throws;
 * holds at most `cobsEncodedLength(maxFrame)` bytes.
 */
export class FrameReceiver {
  private readonly limit: number
  private buf: Uint8Array
  private len = 0
  private overflowing = false

  /** @param maxFrame the largest frame (type to CRC, before COBS) accepted. */
  constructor(readonly maxFrame: number) {
    this.limit = cobsEncodedLength(maxFrame)
    this.buf = new Uint8Array(this.limit)
  }

  /** Bytes of a frame not yet delimited (what a reset mid-frame leaves behind). */
  get pending(): number {
    return this.len
  }

  push(chunk: Uint8Array): Received[] {
    const out: Received[] = []
    for (const b of chunk) {
      if (b !== 0) {
        if (this.overflowing) continue
        if (this.len === this.limit) {
          this.overflowing = true
          this.len = 0
          out.push({
            ok: false,
            error: new SdkError(
              'remote.frame_oversize',
              `couldn't read frame: longer than ${this.maxFrame} bytes`,
            ),
          })
          continue
        }
        this.buf[this.len++] = b
        continue
      }
      const n = this.len
      this.len = 0
      if (this.overflowing) {
        this.overflowing = false
        continue
      }
      if (n === 0) continue
      out.push(this.frame(this.buf.subarray(0, n)))
    }
    return out
  }

  private frame(encoded: Uint8Array): Received {
    try {
      const frame = cobsDecode(encoded)
      return { ok: true, message: decodeMessage(frame), frameLength: frame.length }
    } catch (e) {
      return {
        ok: false,
        error:
          e instanceof SdkError
            ? e
            : new SdkError('remote.frame_bad_cbor', "couldn't read frame", { cause: e }),
      }
    }
  }
}
