/** @module kind: what kind of JS value something is, for messages; never the value itself. */

/** `null`, `an array`, `a Date`, `a Uint8Array`, or `a <typeof>`: short, and never large. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (value instanceof Date) return 'a Date'
  if (value instanceof Uint8Array) return 'a Uint8Array'
  return `a ${typeof value}`
}

/** A JSON object (not null, not an array). */
export function isObject(x: unknown): x is Readonly<Record<string, unknown>> {
  return typeof x === 'object' && x !== null && !Array.isArray(x)
}
