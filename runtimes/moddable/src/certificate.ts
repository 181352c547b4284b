/**
 * @module certificate: the few X.509 fields the core needs (`CertificateInfo`, spec §4.5) read
 * from DER: validity, serial number and the subject's CN. Moddable documents no certificate
 * parser, and this is all renewal needs. CNs are read as Latin-1: astarte's are ASCII
 * (`<realm>/<device_id>`).
 */
import { SdkError, type CertificateInfo } from '@astarte-ts/sdk-core'
import { pemToDer } from './pem.js'

interface Tlv {
  readonly tag: number
  readonly start: number
  readonly end: number
}

const bad = (): SdkError =>
  new SdkError('local.invalid_certificate', "couldn't read the certificate")

function tlv(der: Uint8Array, at: number): Tlv {
  const tag = der[at] ?? -1
  let length = der[at + 1] ?? 0
  let start = at + 2
  if (length > 0x80) {
    const n = length & 0x7f
    length = 0
    for (let i = 0; i < n; i++) length = length * 256 + (der[start + i] ?? 0)
    start += n
  }
  if (tag < 0 || start + length > der.length) throw bad()
  return { tag, start, end: start + length }
}

function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = []
  for (let at = parent.start; at < parent.end; at = out[out.length - 1]?.end ?? parent.end) {
    out.push(tlv(der, at))
  }
  return out
}

/**
 * XS pushes every argument of a call on its stack and aborts the machine past it (1024 slots on
 * a device, see the manifest): a field's length is the certificate's to choose, so its characters
 * are passed 128 at a time, as sdk-core's UTF-8 decoder does.
 */
const CHUNK = 128

function text(der: Uint8Array, t: Tlv): string {
  let out = ''
  for (let at = t.start; at < t.end; at += CHUNK) {
    out += String.fromCharCode(...der.subarray(at, Math.min(at + CHUNK, t.end)))
  }
  return out
}

/** UTCTime (YYMMDDHHMMSSZ, years 1950-2049) or GeneralizedTime (YYYYMMDDHHMMSSZ). */
function time(der: Uint8Array, t: Tlv): number {
  const s = text(der, t)
  const full = t.tag === 0x18 ? s : `${Number(s.slice(0, 2)) < 50 ? '20' : '19'}${s}`
  const n = (from: number, len: number) => Number(full.slice(from, from + len))
  const ms = Date.UTC(n(0, 4), n(4, 2) - 1, n(6, 2), n(8, 2), n(10, 2), n(12, 2))
  if (!Number.isFinite(ms)) throw bad()
  return ms
}

/** The content bytes of the CN attribute's OID, 2.5.4.3. */
const CN_OID = '\u0055\u0004\u0003'

/** Reads a PEM certificate. @throws SdkError `local.invalid_certificate` when malformed. */
export function parseCertificate(pem: string): CertificateInfo {
  const der = pemToDer(pem)
  const [tbs] = children(der, tlv(der, 0))
  if (tbs === undefined) throw bad()
  const fields = children(der, tbs)
  const at = fields[0]?.tag === 0xa0 ? 1 : 0
  const [serial, , , validity, subject] = fields.slice(at)
  if (serial === undefined || validity === undefined || subject === undefined) throw bad()
  const [notBefore, notAfter] = children(der, validity)
  if (notBefore === undefined || notAfter === undefined) throw bad()
  let subjectCommonName = ''
  for (const rdn of children(der, subject)) {
    for (const attribute of children(der, rdn)) {
      const [type, value] = children(der, attribute)
      if (type !== undefined && value !== undefined && text(der, type) === CN_OID) {
        subjectCommonName ||= text(der, value)
      }
    }
  }
  let serialNumber = ''
  for (const b of der.subarray(serial.start, serial.end)) {
    serialNumber += b.toString(16).padStart(2, '0')
  }
  return {
    subjectCommonName,
    notBeforeMs: time(der, notBefore),
    notAfterMs: time(der, notAfter),
    serialNumber,
  }
}
