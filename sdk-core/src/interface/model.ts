/**
 * @module interface model: the parsed, validated form of an Astarte interface (spec §1).
 * Every field is present with its default applied; only `parseInterface` produces these.
 */

/** The 14 Astarte mapping types (spec §2.3). */
export type AstarteType =
  | 'double'
  | 'integer'
  | 'boolean'
  | 'longinteger'
  | 'string'
  | 'binaryblob'
  | 'datetime'
  | 'doublearray'
  | 'integerarray'
  | 'booleanarray'
  | 'longintegerarray'
  | 'stringarray'
  | 'binaryblobarray'
  | 'datetimearray'

export type InterfaceType = 'datastream' | 'properties'
export type Ownership = 'device' | 'server'
export type Aggregation = 'individual' | 'object'
export type Reliability = 'unreliable' | 'guaranteed' | 'unique'
export type Retention = 'discard' | 'volatile' | 'stored'
export type DatabaseRetentionPolicy = 'no_ttl' | 'use_ttl'

/** One level of an endpoint: a literal identifier or a whole-level `%{name}` parameter. */
export type EndpointLevel =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'parameter'; readonly name: string }

export interface Mapping {
  /** The endpoint template as written, e.g. `/%{room}/temperature`. */
  readonly endpoint: string
  readonly levels: readonly EndpointLevel[]
  readonly type: AstarteType
  readonly reliability: Reliability
  readonly retention: Retention
  /** Seconds; 0 = never expires. */
  readonly expiry: number
  readonly databaseRetentionPolicy: DatabaseRetentionPolicy
  readonly databaseRetentionTtl?: number
  readonly allowUnset: boolean
  readonly explicitTimestamp: boolean
  readonly required: boolean
  /**
   * The payloads are end-to-end encrypted (spec §1.2): Astarte accepts the flag on any mapping,
   * but has not released the key agreement, so a device refuses such a mapping
   * (`checkSupportedInterface`).
   */
  readonly encrypted: boolean
  readonly description?: string
  readonly doc?: string
}

export interface Interface {
  readonly name: string
  readonly major: number
  readonly minor: number
  readonly type: InterfaceType
  readonly ownership: Ownership
  readonly aggregation: Aggregation
  readonly description?: string
  readonly doc?: string
  readonly mappings: readonly Mapping[]
}
