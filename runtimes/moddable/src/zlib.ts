/** @module zlib: sdk-core's `Inflater` on Moddable's zlib modules (`inflate`, `deflate`). */
import { SdkError, type Inflater } from '@astarte-ts/sdk-core'
import Deflate from 'deflate'
import Inflate from 'inflate'
import { toArrayBuffer } from './pem.js'

export const moddableInflater: Inflater = {
  inflate(data, maxBytes) {
    const inflate = new Inflate()
    inflate.push(toArrayBuffer(data), true)
    const out = new Uint8Array(inflate.result)
    if (out.length > maxBytes) {
      throw new SdkError('remote.inflate_too_large', 'the inflated data is too large', {
        ctx: { maxBytes },
      })
    }
    return out
  },
  deflate(data) {
    const deflate = new Deflate()
    deflate.push(toArrayBuffer(data), true)
    return new Uint8Array(deflate.result)
  },
}
