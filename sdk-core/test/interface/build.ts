/** @module test helper: an `Interface` built directly from endpoints, bypassing validation. */
import type { Aggregation, Interface, Mapping } from '../../src/interface/model.js'
import { parseEndpointLevels } from '../../src/interface/endpoint.js'

export function interfaceOf(
  endpoints: readonly string[],
  aggregation: Aggregation = 'individual',
): Interface {
  const mappings = endpoints.map((endpoint): Mapping => {
    const levels = parseEndpointLevels(endpoint)
    if (levels === undefined) throw new Error(`bad test endpoint ${endpoint}`)
    return {
      endpoint,
      levels,
      type: 'double',
      reliability: 'unreliable',
      retention: 'discard',
      expiry: 0,
      databaseRetentionPolicy: 'no_ttl',
      allowUnset: false,
      explicitTimestamp: false,
      required: false,
    }
  })
  return {
    name: 'org.example.Test',
    major: 1,
    minor: 0,
    type: 'datastream',
    ownership: 'device',
    aggregation,
    mappings,
  }
}
