/**
 * @module broker frame guard: bounds what aedes may buffer per frame, before it buffers it. It
 * reads only MQTT fixed headers (type byte + remaining-length varint) and skips bodies, so it
 * costs nothing per payload byte; a frame announcing more than the bound closes the connection.
 * The payload itself is held to `max_message_size` (spec §3.1) when the publish is authorized.
 */
import { Duplex } from 'node:stream'

/** VerneMQ's per-session `max_message_size` set by the Astarte plugin (spec §3.1), on payloads. */
export const MAX_MESSAGE_SIZE = 65_535

/** Largest frame accepted: a full-size payload plus room for the topic and packet id. */
export const MAX_FRAME_SIZE = MAX_MESSAGE_SIZE + 4096

type ScanState =
  | { readonly tag: 'type' }
  | {
      readonly tag: 'length'
      readonly value: number
      readonly shift: number
      readonly bytes: number
    }
  | { readonly tag: 'body'; readonly remaining: number }

/** A duplex over `socket` that passes bytes through unchanged until a frame is too large. */
export class FrameGuard extends Duplex {
  private state: ScanState = { tag: 'type' }

  constructor(
    private readonly socket: Duplex,
    private readonly onOversized: (announcedBytes: number) => void,
    private readonly maxBytes = MAX_FRAME_SIZE,
  ) {
    super()
    socket.on('data', (chunk: Buffer) => {
      if (!this.scan(chunk)) return
      if (!this.push(chunk)) socket.pause()
    })
    socket.on('end', () => this.push(null))
    socket.on('close', () => this.destroy())
    socket.on('error', (error) => this.destroy(error))
  }

  override _read(): void {
    this.socket.resume()
  }

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    this.socket.write(chunk, callback)
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback)
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy()
    callback(error)
  }

  /** Advances the header scanner over `chunk`; false (and the socket destroyed) on violation. */
  private scan(chunk: Buffer): boolean {
    let i = 0
    while (i < chunk.length) {
      const s = this.state
      switch (s.tag) {
        case 'type':
          i += 1
          this.state = { tag: 'length', value: 0, shift: 0, bytes: 0 }
          break
        case 'length': {
          const byte = chunk[i] ?? 0
          i += 1
          const value = s.value + (byte & 0x7f) * 2 ** s.shift
          if (value > this.maxBytes || (byte & 0x80 && s.bytes >= 3)) {
            this.onOversized(value)
            this.socket.destroy()
            return false
          }
          this.state =
            byte & 0x80
              ? { tag: 'length', value, shift: s.shift + 7, bytes: s.bytes + 1 }
              : value === 0
                ? { tag: 'type' }
                : { tag: 'body', remaining: value }
          break
        }
        case 'body': {
          const take = Math.min(s.remaining, chunk.length - i)
          i += take
          this.state =
            s.remaining === take ? { tag: 'type' } : { tag: 'body', remaining: s.remaining - take }
          break
        }
      }
    }
    return true
  }
}
