/**
 * @module COBS (Consistent Overhead Byte Stuffing): removes every zero from a frame so that `00`
 * can delimit frames on the wire (PROTOCOL.md §1.1).
 */
import { SdkError } from '@astarte-ts/sdk-core'

/** The encoded length of an `n`-byte frame, without the delimiter. */
export function cobsEncodedLength(n: number): number {
  return n + Math.floor(n / 254) + 1
}

/** Encodes `data`; the result contains no zero byte and no delimiter. */
export function cobsEncode(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(cobsEncodedLength(data.length))
  let codeAt = 0
  let o = 1
  let code = 1
  for (const b of data) {
    if (b === 0) {
      out[codeAt] = code
      codeAt = o++
      code = 1
      continue
    }
    out[o++] = b
    code++
    if (code === 0xff) {
      out[codeAt] = code
      codeAt = o++
      code = 1
    }
  }
  out[codeAt] = code
  return out.subarray(0, o)
}

/**
 * Decodes one encoded frame (delimiter excluded).
 * @throws SdkError `remote.frame_bad_cobs` when a code byte is zero or points past the end.
 */
export function cobsDecode(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length)
  let i = 0
  let o = 0
  while (i < data.length) {
    const code = data[i]!
    if (code === 0 || i + code > data.length) {
      throw new SdkError(
        'remote.frame_bad_cobs',
        `couldn't decode frame: COBS code byte at ${i} points past the end`,
        {
          ctx: { offset: i, length: data.length },
        },
      )
    }
    for (let k = 1; k < code; k++) {
      const b = data[i + k]!
      if (b === 0) {
        throw new SdkError(
          'remote.frame_bad_cobs',
          `couldn't decode frame: zero byte inside COBS data at ${i + k}`,
          {
            ctx: { offset: i + k },
          },
        )
      }
      out[o++] = b
    }
    i += code
    if (code < 0xff && i < data.length) out[o++] = 0
  }
  return out.subarray(0, o)
}
