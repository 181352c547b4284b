/** @module protocol test fixtures: interfaces written as Astarte JSON and parsed for real. */
import { parseInterface } from '@astarte-ts/sdk-core'
import type { Interface, Mapping } from '@astarte-ts/sdk-core'

export const REALM = 'test'
export const DEVICE_ID = 'u-WraCwtK_G_fjJf63TiAw'

/** Mapping JSON (spec §1.2), `type` defaulting to `double`. */
export type MappingJson = { readonly endpoint: string } & Readonly<Record<string, unknown>>

export interface InterfaceShape {
  readonly type: 'datastream' | 'properties'
  readonly ownership: 'device' | 'server'
  readonly major?: number
  readonly minor?: number
  readonly aggregation?: 'individual' | 'object'
}

/** Parses an interface built from `shape` and `mappings`; throws on a bad fixture. */
export function iface(
  name: string,
  shape: InterfaceShape,
  mappings: readonly MappingJson[] = [{ endpoint: '/%{id}/value' }],
): Interface {
  const { major = 1, minor = major === 0 ? 1 : 0, ...rest } = shape
  const parsed = parseInterface({
    interface_name: name,
    version_major: major,
    version_minor: minor,
    ...rest,
    mappings: mappings.map((m) => ({ type: 'double', ...m })),
  })
  if (!parsed.ok) throw new Error(`bad fixture ${name}: ${JSON.stringify(parsed.error)}`)
  return parsed.value
}

/** The single mapping of a one-mapping datastream built with `attributes`. */
export function mapping(
  endpoint: string,
  attributes: Readonly<Record<string, unknown>> = {},
): Mapping {
  const shape = { type: 'datastream', ownership: 'device' } as const
  const m = iface('org.example.Fixture', shape, [{ endpoint, ...attributes }]).mappings[0]
  if (m === undefined) throw new Error('no mapping')
  return m
}
