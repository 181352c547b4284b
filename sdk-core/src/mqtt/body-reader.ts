/**
 * @module mqtt body-reader: a cursor over one complete frame's variable header and payload.
 * Every read is bounds-checked against the frame end; failures throw `remote.mqtt_malformed`
 * with the stream offset of the byte that broke the rule.
 */
import { utf8Read } from '../bson/utf8.js'
import type { SdkError } from '../errors.js'
import { malformed } from './invalid.js'

export class BodyReader {
  readonly #buf: Uint8Array
  readonly #base: number

  /**
   * @param buf bytes holding the frame
   * @param pos first body byte in `buf`
   * @param end one past the last body byte in `buf`
   * @param base stream offset of `buf[0]`
   */
  constructor(
    buf: Uint8Array,
    public pos: number,
    readonly end: number,
    base: number,
  ) {
    this.#buf = buf
    this.#base = base
  }

  get remaining(): number {
    return this.end - this.pos
  }

  /** An error naming `reason` at the current byte (or `at`, an index into the buffer). */
  fail(reason: string, at: number = this.pos): SdkError {
    return malformed(reason, this.#base + at)
  }

  byte(what: string): number {
    if (this.pos >= this.end) throw this.fail(`${what} missing`)
    return this.#buf[this.pos++] as number
  }

  u16(what: string): number {
    if (this.end - this.pos < 2) throw this.fail(`${what} missing`)
    const n = ((this.#buf[this.pos] as number) << 8) | (this.#buf[this.pos + 1] as number)
    this.pos += 2
    return n
  }

  /** [MQTT-2.3.1-1] a non-zero packet identifier. */
  packetId(): number {
    const at = this.pos
    const id = this.u16('packet id')
    if (id === 0) throw this.fail('packet id 0', at)
    return id
  }

  /** A length-prefixed UTF-8 string: well-formed [MQTT-1.5.3-1], without U+0000 [MQTT-1.5.3-2]. */
  string(what: string): string {
    const at = this.pos
    const n = this.u16(`${what} length`)
    if (this.end - this.pos < n) throw this.fail(`${what} longer than the packet`, at)
    const s = utf8Read(this.#buf, this.pos, this.pos + n)
    if (s === undefined) throw this.fail(`${what} is not well-formed utf-8`, at)
    if (s.indexOf('\u0000') >= 0) throw this.fail(`${what} contains U+0000`, at)
    this.pos += n
    return s
  }

  /** A topic name: [MQTT-4.7.3-1] non-empty, [MQTT-3.3.2-2] without wildcards. */
  topicName(what: string): string {
    const at = this.pos
    const s = this.string(what)
    if (s === '' || s.indexOf('+') >= 0 || s.indexOf('#') >= 0) {
      throw this.fail(`${what} is empty or holds a wildcard`, at)
    }
    return s
  }

  /** Bytes up to `to` (default: the frame end), copied so the caller may reuse its buffers. */
  rest(to: number = this.end): Uint8Array {
    const out = this.#buf.slice(this.pos, to)
    this.pos = to
    return out
  }

  /** The frame must hold nothing more. */
  done(type: string): void {
    if (this.pos !== this.end) throw this.fail(`${type} longer than its fields`)
  }
}
