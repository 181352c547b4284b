/** @module node inflater: zlib (RFC 1950) via node:zlib; inflate never allocates past its cap */
import { deflateSync, inflateSync } from 'node:zlib'
import { SdkError } from '@astarte-ts/sdk-core'
import type { Inflater } from '@astarte-ts/sdk-core'

const toBytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)

const inflateError = (data: Uint8Array, maxBytes: number, cause: unknown): SdkError =>
  new SdkError('remote.inflate_failed', "couldn't inflate the zlib payload", {
    ctx: { bytes: data.byteLength, maxBytes },
    cause,
  })

/** `Inflater` on node:zlib: purge-properties payloads (spec §3.6). */
export const nodeInflater = {
  inflate(data: Uint8Array, maxBytes: number): Uint8Array {
    let out: Buffer
    try {
      // maxOutputLength makes zlib stop (RangeError) instead of inflating a bomb to the end;
      // node refuses 0, hence the floor of 1 and the explicit check below.
      out = inflateSync(data, { maxOutputLength: Math.max(1, maxBytes) })
    } catch (cause) {
      throw inflateError(data, maxBytes, cause)
    }
    if (out.byteLength > maxBytes) throw inflateError(data, maxBytes, undefined)
    return toBytes(out)
  },
  deflate(data: Uint8Array): Uint8Array {
    return toBytes(deflateSync(data))
  },
} satisfies Inflater
