/** @module test helper: a parsed `Interface` from endpoints; throws if they don't validate. */
import { parseInterface } from '../../src/interface/index.js'
import type { Aggregation, Interface } from '../../src/interface/model.js'
import { interfaceJson } from './arbitraries.js'

export function interfaceOf(
  endpoints: readonly string[],
  aggregation: Aggregation = 'individual',
): Interface {
  const r = parseInterface({ ...interfaceJson(endpoints), aggregation })
  if (!r.ok) throw new Error(`invalid test interface: ${JSON.stringify(r.error)}`)
  return r.value
}
