/** @module bytes: better-sqlite3 BLOBs come back as Buffers; callers get plain Uint8Arrays */

/** A plain `Uint8Array` view of a BLOB (`deepEqual` with caller bytes holds; no copy). */
export const blobBytes = (b: Buffer): Uint8Array =>
  new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
