/** @module pem: PEM text ⇄ the DER bytes Moddable's TLS and `Preference` take. */
import { base64Decode, base64Encode, SdkError } from '@astarte-ts/sdk-core'

/** The DER inside the first PEM block of `pem`. */
export function pemToDer(pem: string): Uint8Array {
  const body = /-----BEGIN [^-]+-----([^-]*)-----END/.exec(pem)?.[1]?.replace(/\s+/g, '')
  const der = body === undefined ? undefined : base64Decode(body)
  if (der === undefined) throw new SdkError('local.invalid_pem', "couldn't read a pem block")
  return der
}

/** `der` as a PEM block labelled `label` (`CERTIFICATE`, `PRIVATE KEY`, …). */
export function derToPem(der: Uint8Array, label: string): string {
  const lines = base64Encode(der).match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}

/** The buffer Moddable's APIs take: `bytes` exactly, not the buffer it may be a view of. */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.byteLength === bytes.byteLength && bytes.byteOffset === 0
    ? (bytes.buffer as ArrayBuffer)
    : (bytes.slice().buffer as ArrayBuffer)
}
