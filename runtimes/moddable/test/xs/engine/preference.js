// Moddable's `preference` module (ESP32 NVS): strings, numbers, booleans and ArrayBuffers by
// domain and key, both of 15 characters at most, values of 4000 bytes at most.
import { fromBase64, host, toBase64 } from './host.js'

function check(domain, key) {
  if (domain.length > 15 || key.length > 15) throw new Error('preference name too long')
}

function utf8Length(text) {
  let n = 0
  for (const c of text) {
    const code = c.codePointAt(0)
    n += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4
  }
  return n
}

export default {
  get(domain, key) {
    check(domain, key)
    const value = host({ op: 'prefGet', domain, key })
    if (value === undefined || value === null) return undefined
    return typeof value === 'object' ? fromBase64(value.base64) : value
  },
  set(domain, key, value) {
    check(domain, key)
    // NVS: a blob of 4000 bytes at most, a string of 3999 (4000 with its NUL)
    const size =
      value instanceof ArrayBuffer
        ? value.byteLength
        : typeof value === 'string'
          ? utf8Length(value) + 1
          : 0
    if (size > 4000) throw new Error('preference value too large')
    const stored = value instanceof ArrayBuffer ? { base64: toBase64(value) } : value
    host({ op: 'prefSet', domain, key, value: stored })
  },
  delete(domain, key) {
    host({ op: 'prefDelete', domain, key })
  },
  keys(domain) {
    return host({ op: 'prefKeys', domain })
  },
}
