/**
 * @module interface issue codes: the stable `Issue.code` values this module emits, one per rule
 * (spec §1.3 letters in brackets). The CLI and docs list them from here; never rename one.
 */

/** Every issue code of the interface module, with a one-line description. */
export const interfaceIssueCodes = {
  json_syntax: 'the text is not well-formed json',
  field_type: 'a field has the wrong json type (object, array, string, integer, boolean)',
  missing_field: 'a required field is absent',
  not_integer: 'a numeric field is not a (safe) integer',
  interface_name_syntax: "the interface name doesn't match the reverse-domain regex [A]",
  interface_name_length: 'the interface name is longer than 128 characters [A]',
  interface_name_reserved: 'the interface name is astarte, control or device [A]',
  version_negative: 'version_major or version_minor is negative [B]',
  version_zero: 'version 0.0: minor must be > 0 when major is 0 [B]',
  enum_value: 'a string field is not one of its allowed lower-case values [C]',
  properties_object: 'a properties interface has object aggregation [C]',
  mappings_count: 'mappings has fewer than 1 or more than 1024 entries [D]',
  description_too_long: 'description is longer than 1000 characters [D]',
  doc_too_long: 'doc is longer than 100000 characters [D]',
  endpoint_syntax: 'an endpoint level is neither an identifier nor a whole-level %{parameter} [E]',
  endpoint_length: 'an endpoint is shorter than 2 or longer than 256 characters [E]',
  endpoint_levels: 'an endpoint has more than 64 levels [E]',
  must_be_blank: "a field that doesn't apply to this interface kind has a non-default value [F]",
  expiry_negative: 'expiry is negative [G]',
  ttl_range: 'database_retention_ttl is outside [60, 630720000) [G]',
  ttl_missing: 'database_retention_policy is use_ttl but database_retention_ttl is absent [G]',
  ttl_without_use_ttl: 'database_retention_ttl is set while the policy is no_ttl [G]',
  duplicate_endpoint: 'two endpoints are equal once placeholders are stripped and case folded [H]',
  overlapping_endpoints: 'two endpoints can match the same path or one prefixes the other [I]',
  object_attributes_differ: 'object mappings differ in reliability, retention, expiry, … [J]',
  object_prefix_differs: 'object endpoints differ in their prefix (all levels but the last) [J]',
  encrypted_unsupported:
    'a device refuses a mapping with encrypted: true (no key agreement yet); validate accepts it',
  invalid_path:
    'a concrete path is malformed: no leading /, empty level, +, #, U+0000 or bad utf-16 [K]',
  mapping_not_found: 'no mapping matches the concrete path',
  ambiguous_path: 'the concrete path stops on an inner node of the endpoint tree',
  aggregation_mismatch: 'an object path was resolved on an individual interface',
} as const

/** A stable issue code of the interface module. */
export type InterfaceIssueCode = keyof typeof interfaceIssueCodes
