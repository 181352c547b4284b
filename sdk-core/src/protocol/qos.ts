/** @module protocol qos: the MQTT QoS of every Astarte publish, from its mapping (spec §3.5). */
import type { Interface, Mapping } from '../interface/model.js'
import { reliabilities } from '../interface/astarte-types.js'

export type Qos = 0 | 1 | 2

/**
 * QoS for data on `mapping` of `iface`: properties 2, datastreams by reliability. Object
 * aggregates share one reliability across mappings, so `mapping` defaults to the first one.
 */
export function qosFor(iface: Interface, mapping: Mapping | undefined = iface.mappings[0]): Qos {
  if (iface.type === 'properties') return 2
  // `reliabilities` lists them in QoS order: unreliable 0, guaranteed 1, unique 2
  return reliabilities.indexOf(mapping?.reliability ?? 'unreliable') as Qos
}
