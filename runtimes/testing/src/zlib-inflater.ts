/** @module zlib inflater: the `Inflater` port on node:zlib, output capped inside zlib itself */
import { deflateSync, inflateSync } from 'node:zlib'
import { SdkError } from '@astarte-ts/sdk-core'
import type { Inflater } from '@astarte-ts/sdk-core'

const bytesOf = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)

/** zlib (RFC 1950) for purge payloads (spec §3.6); throws `remote.inflate_failed`. */
export const zlibInflater = {
  inflate(data: Uint8Array, maxBytes: number): Uint8Array {
    try {
      // node rejects maxOutputLength 0; an over-long result is refused below
      const out = bytesOf(inflateSync(data, { maxOutputLength: Math.max(1, maxBytes) }))
      if (out.length <= maxBytes) return out
    } catch (cause) {
      throw new SdkError('remote.inflate_failed', "couldn't inflate a zlib stream", { cause })
    }
    throw new SdkError('remote.inflate_failed', "couldn't inflate a zlib stream within its limit", {
      ctx: { maxBytes },
    })
  },
  deflate(data: Uint8Array): Uint8Array {
    return bytesOf(deflateSync(data))
  },
} satisfies Inflater
