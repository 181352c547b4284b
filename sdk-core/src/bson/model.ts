/**
 * @module bson model: the tagged values of the BSON subset Astarte uses (spec §2.1, §2.3).
 * Integers that are 64-bit on the wire (int64, UTC datetime) are `bigint`, so nothing is lost.
 */

/** Element type bytes of the subset (BSON 1.1). */
export const BsonType = {
  double: 0x01,
  string: 0x02,
  document: 0x03,
  array: 0x04,
  binary: 0x05,
  boolean: 0x08,
  datetime: 0x09,
  null: 0x0a,
  int32: 0x10,
  int64: 0x12,
} as const

/** A document: keys in wire order; a repeated key keeps its last value. */
export type BsonDocument = ReadonlyMap<string, BsonValue>

export type BsonValue =
  | { readonly type: 'double'; readonly value: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'document'; readonly value: BsonDocument }
  | { readonly type: 'array'; readonly value: readonly BsonValue[] }
  /** `subtype` as on the wire; encoding writes it, or 0x00 (generic binary) when absent. */
  | { readonly type: 'binary'; readonly value: Uint8Array; readonly subtype?: number }
  | { readonly type: 'boolean'; readonly value: boolean }
  /** Milliseconds since the Unix epoch, int64. */
  | { readonly type: 'datetime'; readonly value: bigint }
  | { readonly type: 'null' }
  | { readonly type: 'int32'; readonly value: number }
  | { readonly type: 'int64'; readonly value: bigint }

/** Nesting limit of decoded documents; Astarte payloads need 3 (root, object, array). */
export const MAX_DEPTH = 32
