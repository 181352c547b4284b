/**
 * @module subject common name: the first subject CN of a DER certificate, read with a minimal
 * DER walk (RFC 5280 §4.1) so that opening a device with valid credentials does not load an
 * ASN.1 library (a large share of cold start). `undefined` when the DER is not a certificate.
 */

interface Tlv {
  readonly tag: number
  /** First byte of the value. */
  readonly start: number
  /** First byte after the value. */
  readonly end: number
}

// X.690 §8.1: one-byte tags only (certificates use no high tag numbers), definite lengths (DER).
function readTlv(der: Uint8Array, at: number, limit: number): Tlv | undefined {
  const tag = der[at]
  let lengthByte = der[at + 1]
  if (tag === undefined || lengthByte === undefined || (tag & 0x1f) === 0x1f) return undefined
  let start = at + 2
  let length = lengthByte
  if (lengthByte & 0x80) {
    const count = lengthByte & 0x7f
    if (count === 0 || count > 4) return undefined
    length = 0
    for (let i = 0; i < count; i++) {
      lengthByte = der[start + i]
      if (lengthByte === undefined) return undefined
      length = length * 256 + lengthByte
    }
    start += count
  }
  const end = start + length
  return end <= limit ? { tag, start, end } : undefined
}

/** The children of the constructed value `parent`, in order. */
function children(der: Uint8Array, parent: Tlv): Tlv[] | undefined {
  const out: Tlv[] = []
  for (let at = parent.start; at < parent.end;) {
    const tlv = readTlv(der, at, parent.end)
    if (tlv === undefined) return undefined
    out.push(tlv)
    at = tlv.end
  }
  return out
}

const SEQUENCE = 0x30
const SET = 0x31
const OID = 0x06
/** `[0] EXPLICIT Version` of TBSCertificate. */
const VERSION = 0xa0
/** id-at-commonName 2.5.4.3 (RFC 5280 §4.1.2.4), OID content bytes. */
const CN_OID = [0x55, 0x04, 0x03]

// X.520 DirectoryString choices, plus IA5String that some issuers use.
function decodeString(der: Uint8Array, tlv: Tlv): string | undefined {
  const bytes = der.subarray(tlv.start, tlv.end)
  switch (tlv.tag) {
    case 0x0c: // UTF8String
      return new TextDecoder('utf-8', { fatal: false }).decode(bytes)
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x14: // TeletexString, read as Latin-1 like most decoders
      return String.fromCharCode(...bytes)
    case 0x1e: // BMPString: UTF-16BE
      return new TextDecoder('utf-16be').decode(bytes)
    case 0x1c: {
      // UniversalString: UTF-32BE
      let text = ''
      for (let i = 0; i + 3 < bytes.length; i += 4) {
        const cp =
          (((bytes[i] ?? 0) << 24) |
            ((bytes[i + 1] ?? 0) << 16) |
            ((bytes[i + 2] ?? 0) << 8) |
            (bytes[i + 3] ?? 0)) >>>
          0
        text += String.fromCodePoint(cp)
      }
      return text
    }
    default:
      return undefined
  }
}

function isCnOid(der: Uint8Array, tlv: Tlv): boolean {
  return (
    tlv.tag === OID &&
    tlv.end - tlv.start === CN_OID.length &&
    CN_OID.every((b, i) => der[tlv.start + i] === b)
  )
}

/** The first CN of the subject, `''` when it has none, `undefined` when `der` is malformed. */
export function subjectCommonName(der: Uint8Array): string | undefined {
  const certificate = readTlv(der, 0, der.length)
  if (certificate?.tag !== SEQUENCE) return undefined
  const tbs = children(der, certificate)?.[0]
  if (tbs?.tag !== SEQUENCE) return undefined
  const fields = children(der, tbs)
  if (fields === undefined) return undefined
  // version?, serialNumber, signature, issuer, validity, subject
  const subject = fields[fields[0]?.tag === VERSION ? 5 : 4]
  if (subject?.tag !== SEQUENCE) return undefined
  for (const rdn of children(der, subject) ?? []) {
    if (rdn.tag !== SET) return undefined
    for (const attribute of children(der, rdn) ?? []) {
      const [type, value] = attribute.tag === SEQUENCE ? (children(der, attribute) ?? []) : []
      if (type !== undefined && value !== undefined && isCnOid(der, type)) {
        return decodeString(der, value)
      }
    }
  }
  return ''
}
