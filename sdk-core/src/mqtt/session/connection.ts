/**
 * @module mqtt connection: what lives as long as one network connection: the decoder and the
 * keepalive clock (read by `keepalive.ts`).
 */
import { decodeClientBody } from '../decode-body.js'
import { FrameDecoder } from '../decoder.js'
import type { MisdirectedPacket, ServerPacket } from '../packet.js'

export class Connection {
  readonly decoder: FrameDecoder<ServerPacket | MisdirectedPacket>
  readonly keepaliveMs: number
  lastReadMs: number
  lastWriteMs: number
  pingSent = false
  /** Deadline last handed out in `timer.set`, until that timer fires. */
  timerAtMs: number | undefined

  constructor(keepaliveSec: number, maxFrameBytes: number | undefined, nowMs: number) {
    const options = maxFrameBytes === undefined ? {} : { maxFrameBytes }
    this.decoder = new FrameDecoder(decodeClientBody, options)
    this.keepaliveMs = keepaliveSec * 1000
    this.lastReadMs = nowMs
    this.lastWriteMs = nowMs
  }
}
