/** @module astarte types: the mapping types, in the order of spec §2.3. */
import type { AstarteType, Reliability, Retention } from './model.js'

/** The 7 scalar types; each has an array type named `<scalar>array`. */
const SCALARS = [
  'double',
  'integer',
  'boolean',
  'longinteger',
  'string',
  'binaryblob',
  'datetime',
] as const

/** The 14 Astarte mapping types, in the order of spec §2.3: the scalars, then their arrays. */
export const astarteTypes: readonly AstarteType[] = [
  ...SCALARS,
  ...SCALARS.map((t) => `${t}array` as const),
]

/** The reliabilities and retentions a mapping may name; compiled tables encode each as its index. */
export const reliabilities: readonly Reliability[] = ['unreliable', 'guaranteed', 'unique']
export const retentions: readonly Retention[] = ['discard', 'volatile', 'stored']

/** How many of `astarteTypes` are scalars: type `i + SCALAR_COUNT` is the array of type `i`. */
export const SCALAR_COUNT = SCALARS.length
