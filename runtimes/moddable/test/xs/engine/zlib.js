// Moddable's zlib modules (`inflate`, `deflate`, miniz in C): the host's zlib does the work.
import { fromBase64, host, toBase64 } from './host.js'

function coder(op) {
  return class {
    #chunks = []
    result = undefined

    push(buffer, end) {
      this.#chunks.push(toBase64(buffer))
      if (!end) return
      const reply = host({ op, data: this.#chunks })
      if (reply.error !== undefined) throw new Error(reply.error)
      this.result = fromBase64(reply.data)
    }
  }
}

export const Inflate = coder('inflate')
export const Deflate = coder('deflate')
