/**
 * @module the index table (PROTOCOL.md §3.3) of an MCU's interfaces, and the conversions between
 * wire values (CBOR) and Astarte values, checked against the mapping before anything is stored.
 */
import {
  type AstarteType,
  type AstarteValue,
  type Interface,
  type Mapping,
  checkValue,
} from '@astarte-ts/sdk-core'
import { type CborValue, Float64 } from '../codec/cbor.js'
import { NackReason, type TableEntry, type Target, TypeCode } from '../codec/messages.js'

/** One table row with what the bridge needs to route it. */
export interface Row {
  readonly entry: TableEntry
  readonly iface: Interface
  /** The mapping (individual), or the object's mappings in field order. */
  readonly mappings: readonly Mapping[]
  readonly levels: readonly string[]
}

/** A refusal: the NACK reason and a sentence naming what and where. */
export class Refusal {
  constructor(
    readonly reason: number,
    readonly detail: string,
  ) {}
}

const objectBase = (m: Mapping): string => m.endpoint.slice(0, m.endpoint.lastIndexOf('/'))
const fieldName = (m: Mapping): string => m.endpoint.slice(m.endpoint.lastIndexOf('/') + 1)

/** The table of `interfaces` (in HELLO order): mappings in file order, objects collapsed. */
export function buildTable(interfaces: readonly Interface[]): Row[] {
  const rows: Row[] = []
  interfaces.forEach((iface, interfaceIndex) => {
    if (iface.aggregation === 'object') {
      const groups = new Map<string, Mapping[]>()
      for (const m of iface.mappings)
        groups.set(objectBase(m), [...(groups.get(objectBase(m)) ?? []), m])
      for (const [endpoint, mappings] of groups) {
        rows.push({
          entry: {
            interfaceIndex,
            endpoint,
            fields: mappings.map((m) => ({ name: fieldName(m), type: TypeCode[m.type] })),
          },
          iface,
          mappings,
          levels: endpoint.split('/').slice(1),
        })
      }
      return
    }
    for (const m of iface.mappings) {
      rows.push({
        entry: { interfaceIndex, endpoint: m.endpoint, type: TypeCode[m.type] },
        iface,
        mappings: [m],
        levels: m.endpoint.split('/').slice(1),
      })
    }
  })
  return rows
}

const isParam = (level: string): boolean => level.startsWith('%{')

/** The concrete path of `target` in `rows`, or the refusal. */
export function pathOf(rows: readonly Row[], target: Target): { row: Row; path: string } | Refusal {
  const row = rows[target.mapping]
  if (row === undefined)
    return new Refusal(
      NackReason.unknownMapping,
      `mapping ${target.mapping} not in the table (${rows.length} entries)`,
    )
  const params = [...target.params]
  const wanted = row.levels.filter(isParam).length
  if (params.length !== wanted) {
    return new Refusal(
      NackReason.unknownMapping,
      `mapping ${target.mapping} (${row.entry.endpoint}) takes ${wanted} parameters, got ${params.length}`,
    )
  }
  for (const p of params) {
    if (p === '' || p.includes('/') || p.includes('#') || p.includes('+')) {
      return new Refusal(
        NackReason.unknownMapping,
        `parameter "${p}" of mapping ${target.mapping} is not a path level`,
      )
    }
  }
  let k = 0
  return { row, path: '/' + row.levels.map((l) => (isParam(l) ? params[k++]! : l)).join('/') }
}

/** The target of `path` on interface `name` (server → MCU), if the table has it. */
export function targetOf(
  rows: readonly Row[],
  name: string,
  path: string,
): { target: Target; row: Row } | undefined {
  const levels = path.split('/').slice(1)
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!
    if (row.iface.name !== name || row.levels.length !== levels.length) continue
    const params: string[] = []
    if (
      row.levels.every((l, j) => (isParam(l) ? (params.push(levels[j]!), true) : l === levels[j]))
    ) {
      return { target: { mapping: i, params }, row }
    }
  }
  return undefined
}

function scalarFromWire(type: AstarteType, v: CborValue): unknown {
  switch (type) {
    case 'double':
    case 'doublearray':
      return typeof v === 'bigint' ? Number(v) : v
    case 'datetime':
    case 'datetimearray':
      return typeof v === 'number' && Number.isSafeInteger(v) ? new Date(v) : v
    default:
      return v
  }
}

/** The Astarte value of wire value `v` for `mapping` at `path`, checked. */
export function valueFromWire(
  mapping: Mapping,
  v: CborValue,
  path: string,
): AstarteValue | Refusal {
  const raw =
    mapping.type.endsWith('array') && Array.isArray(v)
      ? (v as CborValue[]).map((x) => scalarFromWire(mapping.type, x))
      : scalarFromWire(mapping.type, v)
  const checked = checkValue(mapping.type, raw, path)
  if (!checked.ok)
    return new Refusal(
      NackReason.typeMismatch,
      `${path}: ${checked.error.map((i) => i.message).join('; ')}`.slice(0, 120),
    )
  return checked.value
}

function scalarToWire(type: AstarteType, v: unknown): CborValue {
  if (v instanceof Date) return v.getTime()
  if (type.startsWith('double') && typeof v === 'number') return new Float64(v)
  return v as CborValue
}

/** The wire value of Astarte value `v` of `type`. */
export function valueToWire(type: AstarteType, v: AstarteValue): CborValue {
  return Array.isArray(v)
    ? (v as unknown[]).map((x) => scalarToWire(type, x))
    : scalarToWire(type, v)
}
