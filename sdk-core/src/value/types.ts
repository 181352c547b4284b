/**
 * @module value types: the JavaScript form of each Astarte type (spec §2.3) and the validated
 * values that are the only thing the protocol layer accepts.
 */
import type { AstarteType, Interface, Mapping } from '../interface/model.js'

/**
 * JavaScript value for each Astarte type. `longinteger` accepts a `bigint` or a safe-integer
 * `number` when sending; decoded `longinteger` values are always `bigint`.
 */
export interface AstarteTypeToValue {
  double: number
  integer: number
  boolean: boolean
  longinteger: bigint | number
  string: string
  binaryblob: Uint8Array
  datetime: Date
  doublearray: readonly number[]
  integerarray: readonly number[]
  booleanarray: readonly boolean[]
  longintegerarray: readonly (bigint | number)[]
  stringarray: readonly string[]
  binaryblobarray: readonly Uint8Array[]
  datetimearray: readonly Date[]
}

/** The JavaScript value accepted for Astarte type `T`. */
export type ValueOf<T extends AstarteType> = AstarteTypeToValue[T]

/** Any value some Astarte type accepts. */
export type AstarteValue = AstarteTypeToValue[AstarteType]

/** An object-aggregate value: last endpoint level → value. */
export type AstarteObjectValue = Readonly<Record<string, AstarteValue>>

declare const validated: unique symbol

/**
 * An individual value checked against its interface and mapping. Only the validators in
 * `value/validate.ts` construct these; the brand makes hand-built ones a type error.
 */
export interface ValidatedIndividual {
  readonly [validated]: 'individual'
  readonly kind: 'individual'
  readonly iface: Interface
  readonly mapping: Mapping
  /** Concrete path, e.g. `/kitchen/temperature`. */
  readonly path: string
  readonly value: AstarteValue
  /** Present only when the mapping has `explicit_timestamp`. */
  readonly timestamp?: Date
}

/** An object-aggregate value checked against its interface; `path` is the instantiated prefix. */
export interface ValidatedObject {
  readonly [validated]: 'object'
  readonly kind: 'object'
  readonly iface: Interface
  readonly path: string
  readonly value: AstarteObjectValue
  readonly timestamp?: Date
}

/** A property unset, checked: the mapping is a property with `allow_unset`. */
export interface ValidatedUnset {
  readonly [validated]: 'unset'
  readonly kind: 'unset'
  readonly iface: Interface
  readonly mapping: Mapping
  readonly path: string
}

export type Validated = ValidatedIndividual | ValidatedObject | ValidatedUnset
