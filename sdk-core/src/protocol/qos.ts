/** @module protocol qos: the MQTT QoS of every Astarte publish, from its mapping (spec §3.5). */
import { assertNever } from '../errors.js'
import type { Interface, Mapping } from '../interface/model.js'

export type Qos = 0 | 1 | 2

/**
 * QoS for data on `mapping` of `iface`: properties 2, datastreams by reliability. Object
 * aggregates share one reliability across mappings, so `mapping` defaults to the first one.
 */
export function qosFor(iface: Interface, mapping: Mapping | undefined = iface.mappings[0]): Qos {
  if (iface.type === 'properties') return 2
  const reliability = mapping?.reliability ?? 'unreliable'
  switch (reliability) {
    case 'unreliable':
      return 0
    case 'guaranteed':
      return 1
    case 'unique':
      return 2
    default:
      return assertNever(reliability)
  }
}
