/**
 * @module bytes: Espruino moves binary data as 8-bit strings (sockets, Storage, `atob`/`btoa`);
 * sdk-core as `Uint8Array`. Conversions between them, and PEM bodies for the TLS module.
 */

declare const atob: (text: string) => string
declare const btoa: (binary: string) => string

export function toBinary(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i] as number)
  return s
}

export function fromBinary(s: string): Uint8Array {
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff
  return out
}

export function toBase64(bytes: Uint8Array): string {
  return btoa(toBinary(bytes))
}

export function fromBase64(text: string): Uint8Array {
  return fromBinary(atob(text))
}

/** The DER bytes of a PEM block, as the 8-bit string Espruino's `tls` takes (`atob` of its body). */
export function pemToBinary(pem: string): string {
  return atob(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''))
}
