/**
 * @module compiled interfaces: the compact table form a microcontroller loads instead of interface
 * JSON. The host validates an interface with the full parser and compiles it
 * (`astarte-device interface compile`); the device only unpacks the table, so neither the
 * validator nor its messages ship to the chip. Arrays, not objects: no key survives that a
 * minifier could rename, and the table is a few dozen bytes per mapping.
 *
 * Format 1, one interface:
 * `[1, name, major, minor, flags, mappings]`, flags bit 0 properties (else datastream), bit 1
 * server-owned (else device), bit 2 object aggregation (else individual);
 * each mapping `[endpoint, type, flags, expiry, databaseRetentionTtl?]`, `type` an index into
 * `astarteTypes`, flags bits 0-1 reliability (0 unreliable, 1 guaranteed, 2 unique), bits 2-3
 * retention (0 discard, 1 volatile, 2 stored), bit 4 allow_unset, bit 5 explicit_timestamp,
 * bit 6 required, bit 7 database_retention_policy `use_ttl`. Descriptions and docs are dropped;
 * an encrypted mapping is refused (no device can use it, `checkSupportedInterface`).
 */
import { SdkError } from '../errors.js'
import { parseEndpointLevels } from './endpoint.js'
import type { DatabaseRetentionPolicy, Interface, Mapping } from './model.js'
import { astarteTypes, reliabilities, retentions } from './astarte-types.js'
import { checkSupportedInterface } from './supported.js'

/** One mapping row: `[endpoint, type, flags, expiry]` or with `databaseRetentionTtl` last. */
export type CompiledMapping =
  readonly [string, number, number, number] | readonly [string, number, number, number, number]

/** One interface as a table (format 1, see the module). */
export type CompiledInterface = readonly [
  1,
  string,
  number,
  number,
  number,
  readonly CompiledMapping[],
]

/** The mapping types in table order: a type's code is its index in `astarteTypes` (pinned by tests). */
const TYPES = astarteTypes

const PROPERTIES = 1
const SERVER = 2
const OBJECT = 4
const ALLOW_UNSET = 16
const EXPLICIT_TIMESTAMP = 32
const REQUIRED = 64
const USE_TTL = 128

/**
 * The table of a parsed (so valid) interface.
 *
 * @throws SdkError `local.unsupported_interface` for an interface no device can use.
 */
export function compileInterface(iface: Interface): CompiledInterface {
  checkSupportedInterface(iface)
  const flags =
    (iface.type === 'properties' ? PROPERTIES : 0) |
    (iface.ownership === 'server' ? SERVER : 0) |
    (iface.aggregation === 'object' ? OBJECT : 0)
  const mappings = iface.mappings.map((m): CompiledMapping => {
    const bits =
      reliabilities.indexOf(m.reliability) |
      (retentions.indexOf(m.retention) << 2) |
      (m.allowUnset ? ALLOW_UNSET : 0) |
      (m.explicitTimestamp ? EXPLICIT_TIMESTAMP : 0) |
      (m.required ? REQUIRED : 0) |
      (m.databaseRetentionPolicy === 'use_ttl' ? USE_TTL : 0)
    const row = [m.endpoint, TYPES.indexOf(m.type), bits, m.expiry] as const
    return m.databaseRetentionTtl === undefined ? row : [...row, m.databaseRetentionTtl]
  })
  return [1, iface.name, iface.major, iface.minor, flags, mappings]
}

function invalid(at: string): SdkError {
  return new SdkError(
    'local.invalid_compiled_interface',
    `couldn't load a compiled interface: ${at}`,
    {
      ctx: { at },
    },
  )
}

const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0

function loadMapping(row: unknown, at: string): Mapping {
  if (!Array.isArray(row) || row.length < 4 || row.length > 5) throw invalid(at)
  const [endpoint, code, bits, expiry, ttl] = row as unknown[]
  const type = TYPES[code as number]
  const reliability = reliabilities[(bits as number) & 3]
  const retention = retentions[((bits as number) >> 2) & 3]
  const levels = typeof endpoint === 'string' ? parseEndpointLevels(endpoint) : undefined
  if (
    levels === undefined ||
    type === undefined ||
    !isCount(bits) ||
    reliability === undefined ||
    retention === undefined ||
    !isCount(expiry) ||
    (ttl !== undefined && !isCount(ttl))
  ) {
    throw invalid(at)
  }
  const policy: DatabaseRetentionPolicy = bits & USE_TTL ? 'use_ttl' : 'no_ttl'
  return {
    endpoint: endpoint as string,
    levels,
    type,
    reliability,
    retention,
    expiry,
    databaseRetentionPolicy: policy,
    ...(ttl === undefined ? {} : { databaseRetentionTtl: ttl }),
    allowUnset: (bits & ALLOW_UNSET) !== 0,
    explicitTimestamp: (bits & EXPLICIT_TIMESTAMP) !== 0,
    required: (bits & REQUIRED) !== 0,
    encrypted: false,
  }
}

/**
 * The interface a table describes. Checks the table's shape only (the host validated the
 * interface when it compiled it).
 *
 * @throws SdkError `local.invalid_compiled_interface`, `ctx.at` naming the part that is not a
 * format-1 table.
 */
export function loadCompiledInterface(table: unknown): Interface {
  if (!Array.isArray(table) || table[0] !== 1 || table.length !== 6) throw invalid('table')
  const [, name, major, minor, flags, rows] = table as unknown[]
  if (typeof name !== 'string' || !isCount(major) || !isCount(minor) || !isCount(flags)) {
    throw invalid('header')
  }
  if (!Array.isArray(rows) || rows.length === 0) throw invalid('mappings')
  return {
    name,
    major,
    minor,
    type: flags & PROPERTIES ? 'properties' : 'datastream',
    ownership: flags & SERVER ? 'server' : 'device',
    aggregation: flags & OBJECT ? 'object' : 'individual',
    mappings: rows.map((row, i) => loadMapping(row, `mappings/${i}`)),
  }
}
