/**
 * @module fleet target: what every simulated device sends — a double on a device-owned
 * individual datastream — and its encoded payloads, made by sdk-core's validator and encoder.
 */
import {
  SdkError,
  encodePayload,
  qosFor,
  resolveIndividualPath,
  validateIndividual,
  type Interface,
  type Mapping,
  type Qos,
} from '@astarte-ts/sdk-core'

export interface FleetTarget {
  readonly iface: Interface
  readonly mapping: Mapping
  readonly path: string
  readonly qos: Qos
}

const isCandidate = (i: Interface): boolean =>
  i.ownership === 'device' && i.type === 'datastream' && i.aggregation === 'individual'

/** The mapping's endpoint with every `%{param}` level filled in. */
function concretePath(mapping: Mapping): string {
  return '/' + mapping.levels.map((l) => (l.kind === 'literal' ? l.text : 'fleet')).join('/')
}

function noTarget(message: string, ctx: Record<string, unknown> = {}): SdkError {
  return new SdkError('local.fleet_target', `couldn't choose what to send: ${message}`, { ctx })
}

/**
 * `--interface NAME --path P` when given, else the first double mapping of the first
 * device-owned individual datastream (interfaces in name order).
 */
export function chooseTarget(
  interfaces: readonly Interface[],
  interfaceName?: string,
  path?: string,
): FleetTarget {
  if (interfaceName !== undefined) {
    const iface = interfaces.find((i) => i.name === interfaceName)
    if (iface === undefined || !isCandidate(iface)) {
      const what = 'is not a device-owned individual datastream here'
      throw noTarget(`${interfaceName} ${what}`, { interfaceName })
    }
    const mapping =
      path === undefined
        ? iface.mappings.find((m) => m.type === 'double')
        : resolveOrThrow(iface, path)
    if (mapping === undefined || mapping.type !== 'double') {
      throw noTarget(`${interfaceName} has no double mapping at the path`, { interfaceName, path })
    }
    return { iface, mapping, path: path ?? concretePath(mapping), qos: qosFor(iface, mapping) }
  }
  const sorted = [...interfaces].sort((a, b) => (a.name < b.name ? -1 : 1))
  for (const iface of sorted.filter(isCandidate)) {
    const mapping = iface.mappings.find((m) => m.type === 'double')
    if (mapping !== undefined) {
      return { iface, mapping, path: concretePath(mapping), qos: qosFor(iface, mapping) }
    }
  }
  throw noTarget('no device-owned individual datastream with a double mapping')
}

function resolveOrThrow(iface: Interface, path: string): Mapping {
  const r = resolveIndividualPath(iface, path)
  if (!r.ok) throw noTarget(`${path} is not a path of ${iface.name}`, { path })
  return r.value
}

/** The BSON payload of sample `seq` (spec §2.2), timestamped when the mapping asks for it. */
export function encodeSample(target: FleetTarget, seq: number, epochMs: number): Uint8Array {
  const value = 20 + (seq % 100) / 10
  const options = target.mapping.explicitTimestamp ? { timestamp: new Date(epochMs) } : {}
  const validated = validateIndividual(target.iface, target.path, value, options)
  if (!validated.ok) {
    throw new SdkError('local.invalid_value', `couldn't validate a sample for ${target.path}`, {
      issues: validated.error,
    })
  }
  return encodePayload(validated.value)
}
