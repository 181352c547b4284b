/** @module ingest outcome: what handling one device publish asks the broker to do. */

/** A message the server publishes in answer (emptyCache → purge list + properties), QoS 2. */
export interface Reply {
  readonly topic: string
  readonly payload: Uint8Array
}

/**
 * DUP error names (spec §3.10). All but `unset_on_datastream` cost the device a forced
 * disconnect with session cleanup.
 */
export type DupError =
  | 'write_on_server_owned_interface'
  | 'invalid_interface'
  | 'invalid_path'
  | 'mapping_not_found'
  | 'ambiguous_path'
  | 'interface_loading_failed'
  | 'undecodable_bson_payload'
  | 'unexpected_value_type'
  | 'unexpected_object_key'
  | 'value_size_exceeded'
  | 'missing_required_mapping'
  | 'unset_not_allowed'
  | 'invalid_introspection'
  | 'purge_properties_error'
  | 'malformed_capabilities_message'
  | 'unexpected_control_message'

export type IngestOutcome =
  | { readonly type: 'accepted'; readonly replies: readonly Reply[] }
  | { readonly type: 'dropped'; readonly error: 'unset_on_datastream' }
  | { readonly type: 'disconnect'; readonly error: DupError }

export const accepted: IngestOutcome = { type: 'accepted', replies: [] }

export const disconnect = (error: DupError): IngestOutcome => ({ type: 'disconnect', error })
