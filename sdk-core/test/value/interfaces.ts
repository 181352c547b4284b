/** Builds `Interface` models for tests (every field defaulted as the parser would). */
import {
  astarteTypes,
  type AstarteType,
  type EndpointLevel,
  type Interface,
  type Mapping,
} from '@astarte-ts/sdk-core'

export { astarteTypes }

function levels(endpoint: string): EndpointLevel[] {
  return endpoint
    .slice(1)
    .split('/')
    .map((l) =>
      l.startsWith('%{')
        ? { kind: 'parameter', name: l.slice(2, -1) }
        : { kind: 'literal', text: l },
    )
}

export function mapping(
  endpoint: string,
  type: AstarteType,
  extra: Partial<Mapping> = {},
): Mapping {
  return {
    endpoint,
    levels: levels(endpoint),
    type,
    reliability: 'unreliable',
    retention: 'discard',
    expiry: 0,
    databaseRetentionPolicy: 'no_ttl',
    allowUnset: false,
    explicitTimestamp: false,
    required: false,
    encrypted: false,
    ...extra,
  }
}

export function iface(
  name: string,
  mappings: Mapping[],
  extra: Partial<Pick<Interface, 'type' | 'ownership' | 'aggregation'>> = {},
): Interface {
  return {
    name,
    major: 1,
    minor: 0,
    type: 'datastream',
    ownership: 'device',
    aggregation: 'individual',
    mappings,
    ...extra,
  }
}

/** One datastream per type at `/%{sensor}/<type>`, explicit timestamps. */
export const individualStream = iface(
  'org.example.Individual',
  astarteTypes.map((t) => mapping(`/%{sensor}/${t}`, t, { explicitTimestamp: true })),
)

/** The same without explicit timestamps. */
export const individualPlain = iface(
  'org.example.Plain',
  astarteTypes.map((t) => mapping(`/%{sensor}/${t}`, t)),
)

/** An object datastream with one key per type. */
export const objectStream = iface(
  'org.example.Object',
  astarteTypes.map((t) => mapping(`/%{sensor}/${t}`, t, { explicitTimestamp: true })),
  { aggregation: 'object' },
)

/** Properties: `/unsettable` allows unset, `/fixed` does not. */
export const properties = iface(
  'org.example.Props',
  [
    mapping('/%{id}/unsettable', 'integer', { allowUnset: true }),
    mapping('/%{id}/fixed', 'string'),
  ],
  { type: 'properties' },
)

/** The object datastream without explicit timestamps. */
export const objectPlain = iface(
  'org.example.ObjectPlain',
  astarteTypes.map((t) => mapping(`/%{sensor}/${t}`, t)),
  { aggregation: 'object' },
)
