/** @module bson decode: bytes → tagged document, strictly (spec §2.1); throws only `SdkError`. */
import type { BsonDocument } from './model.js'
import { BsonReader, undecodable } from './reader.js'

/**
 * Decodes one whole BSON document. The declared length must equal `bytes.length` exactly.
 * @throws SdkError `remote.undecodable_bson` (ctx.offset = where it went wrong).
 */
export function decodeBson(bytes: Uint8Array): BsonDocument {
  const r = openRoot(bytes)
  return r.document(bytes.length, 0)
}

/** A reader positioned on a root document whose declared length matches the buffer. */
export function openRoot(bytes: Uint8Array): BsonReader {
  if (!(bytes instanceof Uint8Array)) throw undecodable(0, 'input is not a Uint8Array')
  const r = new BsonReader(bytes)
  if (bytes.length >= 4) {
    const declared = r.int32At(0)
    if (declared !== bytes.length) {
      throw undecodable(0, `declared length ${declared} differs from buffer length ${bytes.length}`)
    }
  }
  return r
}
