/**
 * @module mqtt connection: what lives as long as one network connection: the decoder and the
 * keepalive clock. [MQTT-3.1.2-23] a PINGREQ goes out after `keepalive` of silence either way
 * (so a healthy peer always has something to answer); [MQTT-3.1.2-24] after 1.5× `keepalive`
 * without a byte from the peer the connection is dead.
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

  /** The peer is gone: nothing read for 1.5× keepalive. */
  isDead(nowMs: number): boolean {
    return this.keepaliveMs > 0 && nowMs - this.lastReadMs >= this.keepaliveMs * 1.5
  }

  /** Time for a PINGREQ: none outstanding and either direction silent for keepalive. */
  needsPing(nowMs: number): boolean {
    const k = this.keepaliveMs
    return k > 0 && !this.pingSent && nowMs - Math.min(this.lastReadMs, this.lastWriteMs) >= k
  }

  /** Next instant `isDead` or `needsPing` may change, or `undefined` with keepalive off. */
  deadline(pinging: boolean): number | undefined {
    const k = this.keepaliveMs
    if (k === 0) return undefined
    const dead = this.lastReadMs + k * 1.5
    if (!pinging || this.pingSent) return dead
    return Math.min(dead, Math.min(this.lastReadMs, this.lastWriteMs) + k)
  }
}
