// The bridge under the engine shim: what a Moddable module would do in C, asked of the test
// process with xsnap's synchronous `issueCommand` (JSON); what the host reports arrives through
// `handleCommand` and is dispatched to the object that registered for it.
const listeners = new Map()
let nextId = 1

/** A synchronous request to the host; its JSON answer. */
export function host(request) {
  const reply = issueCommand(new TextEncoder().encode(JSON.stringify(request)).buffer)
  const text = new TextDecoder().decode(reply)
  return text === '' ? undefined : JSON.parse(text)
}

/** A fresh id whose host reports go to `listener(report)`. */
export function register(listener) {
  const id = nextId++
  listeners.set(id, listener)
  return id
}

export function unregister(id) {
  listeners.delete(id)
}

globalThis.handleCommand = (message) => {
  const report = JSON.parse(new TextDecoder().decode(message))
  const listener = listeners.get(report.id)
  if (listener !== undefined) listener(report)
  return new ArrayBuffer(0)
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

export function toBase64(buffer) {
  const bytes = new Uint8Array(buffer)
  let out = ''
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0)
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63]
    out += i + 1 < bytes.length ? ALPHABET[(n >> 6) & 63] : '='
    out += i + 2 < bytes.length ? ALPHABET[n & 63] : '='
  }
  return out
}

export function fromBase64(text) {
  const clean = text.replace(/=+$/, '')
  const bytes = new Uint8Array((clean.length * 3) >> 2)
  let bits = 0
  let value = 0
  let at = 0
  for (const c of clean) {
    value = (value << 6) | ALPHABET.indexOf(c)
    bits += 6
    if (bits >= 8) {
      bits -= 8
      bytes[at++] = (value >> bits) & 255
    }
  }
  return bytes.buffer
}
