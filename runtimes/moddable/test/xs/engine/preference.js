// Moddable's `preference` module (ESP32 NVS): strings, numbers, booleans and ArrayBuffers by
// domain and key, both of 15 characters at most, values of 4000 bytes at most.
import { fromBase64, host, toBase64 } from './host.js'

function check(domain, key) {
  if (domain.length > 15 || key.length > 15) throw new Error('preference name too long')
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
