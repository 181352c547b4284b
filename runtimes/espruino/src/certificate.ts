/**
 * @module certificate: what the pairing machine needs of an X.509 certificate (subject CN,
 * validity, serial), read straight from its DER: Espruino has no X.509 parser to call.
 */
import { SdkError } from '@astarte-ts/sdk-core'
import type { CertificateInfo } from '@astarte-ts/sdk-core'
import { pemToBinary } from './bytes.js'

interface Tlv {
  readonly tag: number
  /** Offset of the value. */
  readonly at: number
  readonly end: number
}

function tlv(der: string, at: number): Tlv {
  const tag = der.charCodeAt(at)
  let len = der.charCodeAt(at + 1)
  let pos = at + 2
  if (len & 0x80) {
    const n = len & 0x7f
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + der.charCodeAt(pos++)
  }
  if (pos + len > der.length || Number.isNaN(tag)) throw new RangeError('truncated')
  return { tag, at: pos, end: pos + len }
}

/** The elements of the constructed value `outer`. */
function children(der: string, outer: Tlv): Tlv[] {
  const out: Tlv[] = []
  for (let at = outer.at; at < outer.end;) {
    const t = tlv(der, at)
    out.push(t)
    at = t.end
  }
  return out
}

/** UTCTime (0x17, two-digit year) or GeneralizedTime, in ms since the epoch. */
function time(der: string, t: Tlv): number {
  let s = der.slice(t.at, t.end)
  if (t.tag === 0x17) s = (Number(s.slice(0, 2)) < 50 ? '20' : '19') + s
  const n = (i: number): number => Number(s.slice(i, i + 2))
  return Date.UTC(Number(s.slice(0, 4)), n(4) - 1, n(6), n(8), n(10), n(12))
}

const CN = '\x55\x04\x03'

export function parseCertificate(pem: string): CertificateInfo {
  try {
    const der = pemToBinary(pem)
    const tbs = children(der, tlv(der, 0))[0] as Tlv
    const fields = children(der, tbs)
    // an explicit [0] version comes first when present
    const base = (fields[0] as Tlv).tag === 0xa0 ? 1 : 0
    const serial = fields[base] as Tlv
    const validity = children(der, fields[base + 3] as Tlv)
    let cn = ''
    for (const rdn of children(der, fields[base + 4] as Tlv)) {
      for (const attr of children(der, rdn)) {
        const [oid, value] = children(der, attr) as [Tlv, Tlv]
        if (der.slice(oid.at, oid.end) === CN) cn = der.slice(value.at, value.end)
      }
    }
    let hex = ''
    for (let i = serial.at; i < serial.end; i++)
      hex += (0x100 + der.charCodeAt(i)).toString(16).slice(1)
    return {
      subjectCommonName: cn,
      notBeforeMs: time(der, validity[0] as Tlv),
      notAfterMs: time(der, validity[1] as Tlv),
      serialNumber: hex,
    }
  } catch {
    throw new SdkError('local.invalid_certificate', "couldn't read the certificate: malformed DER")
  }
}
