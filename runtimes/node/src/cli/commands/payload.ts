/**
 * @module astarte-device payload: decode and encode Astarte BSON payloads (spec §2) from the
 * command line with sdk-core's codec. Exit 0 success, 1 when the payload or value doesn't fit,
 * 2 on usage errors.
 *
 * Generic decoding (no `--interface`) prints the document as JSON with these conventions:
 * int32 and double as JSON numbers (an integral double prints like an integer: `5`), non-finite
 * doubles as `{"$double":"NaN"|"Infinity"|"-Infinity"}`, int64 as `{"$int64":"<decimal>"}`,
 * UTC datetime as `{"$date":"<ISO 8601>"}` (`{"$date":{"$int64":"<ms>"}}` outside Date's range),
 * binary as `{"$binary":"<base64>","subType":"<2 hex digits>"}`, null as `null`.
 */
import { readFile } from 'node:fs/promises'
import { parseFlags } from '../parse-flags.js'
import {
  base64Encode,
  decodeBson,
  decodePayload,
  encodePayload,
  objectKey,
  parseInterfaceText,
  parseIsoDate,
  resolveIndividualPath,
  resolveObjectPath,
  validateIndividual,
  validateObject,
  valueFromJson,
  valueToJson,
  SdkError,
  assertNever,
  type BsonDocument,
  type BsonValue,
  type Interface,
  type Issue,
  type Result,
} from '@astarte-ts/sdk-core'
import { UsageError } from '../usage-error.js'

const usage = `usage:
  astarte-device payload decode <hex> [--interface FILE --path PATH]
  astarte-device payload encode --interface FILE --path PATH --value JSON [--timestamp ISO8601]

decode without --interface prints the BSON document as JSON: int64 {"$int64":"<decimal>"},
datetime {"$date":"<ISO 8601>"}, binary {"$binary":"<base64>","subType":"00"}, int32 and double
as numbers. With --interface/--path it prints {"value": <AppEngine JSON form>, "timestamp"?: ISO}
({"unset": true} for an unset). encode takes --value in AppEngine JSON forms (longinteger as a
decimal string, binaryblob as base64, datetime as ISO 8601) and prints lower-case hex; for an
object interface PATH is the object's path and the value a JSON object of last-level keys.`

const options = {
  interface: { type: 'string' },
  path: { type: 'string' },
  value: { type: 'string' },
  timestamp: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, options, usage, true)
  if (values.help === true) {
    process.stdout.write(`${usage}\n`)
    return 0
  }
  const [subcommand, ...rest] = positionals
  switch (subcommand) {
    case 'decode':
      if (rest.length === 0) throw new UsageError(`give the payload as hex\n${usage}`)
      if (values.value !== undefined || values.timestamp !== undefined) {
        throw new UsageError(`decode takes no --value or --timestamp\n${usage}`)
      }
      return decode(parseHex(rest.join('')), await target(values.interface, values.path, false))
    case 'encode': {
      if (rest.length > 0) throw new UsageError(`unexpected argument ${rest[0]}\n${usage}`)
      const at = await target(values.interface, values.path, true)
      if (at === undefined || values.value === undefined) {
        throw new UsageError(`encode needs --interface, --path and --value\n${usage}`)
      }
      return encode(at, values.value, values.timestamp)
    }
    default:
      const what = subcommand === undefined ? 'missing' : 'unknown'
      throw new UsageError(`${what} subcommand\n${usage}`)
  }
}

interface Target {
  readonly iface: Interface
  readonly path: string
}

/** The interface file and path, both or neither (encode needs both). */
async function target(
  file: string | undefined,
  path: string | undefined,
  needed: boolean,
): Promise<Target | undefined> {
  if (file === undefined && path === undefined && !needed) return undefined
  if (file === undefined || path === undefined) {
    throw new UsageError(`--interface and --path go together\n${usage}`)
  }
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)
    throw new UsageError(`couldn't read --interface ${file}: ${why}`)
  }
  const parsed = parseInterfaceText(text)
  if (!parsed.ok) throw new UsageError(`invalid interface ${file}:\n${formatIssues(parsed.error)}`)
  return { iface: parsed.value, path }
}

function parseHex(text: string): Uint8Array {
  const hex = text.replace(/\s+/g, '')
  if (!/^([0-9a-fA-F]{2})*$/.test(hex)) {
    throw new UsageError(`payload is not hex (pairs of 0-9 a-f)\n${usage}`)
  }
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16))
}

const formatIssues = (issues: readonly Issue[]): string =>
  issues
    .map((i) => {
      const fix = i.code === 'missing_timestamp' ? ': give --timestamp ISO8601' : ''
      return `  ${i.path === '' ? '(value)' : i.path}: ${i.message}${fix} [${i.code}]`
    })
    .join('\n')

function fail(what: string, issues: readonly Issue[]): number {
  const lines = formatIssues(issues)
  process.stderr.write(`astarte-device payload: couldn't ${what}:\n${lines}\n`)
  return 1
}

function decode(bytes: Uint8Array, at: Target | undefined): number {
  if (at === undefined) {
    let doc: BsonDocument
    try {
      doc = decodeBson(bytes)
    } catch (e) {
      if (!(e instanceof SdkError)) throw e
      const offset = String(e.ctx['offset'])
      process.stderr.write(`astarte-device payload: ${e.message} (byte ${offset})\n`)
      return 1
    }
    process.stdout.write(`${JSON.stringify(documentToJson(doc))}\n`)
    return 0
  }
  const r = decodePayload(at.iface, at.path, bytes)
  if (!r.ok) return fail(`decode the payload for ${at.iface.name}${at.path}`, r.error)
  const d = r.value
  let out: Record<string, unknown>
  if (d.kind === 'unset') out = { unset: true }
  else {
    const value =
      d.kind === 'individual'
        ? valueToJson(d.mapping.type, d.value)
        : Object.fromEntries(
            at.iface.mappings
              .filter((m) => Object.prototype.hasOwnProperty.call(d.value, objectKey(m)))
              .map((m) => [objectKey(m), valueToJson(m.type, d.value[objectKey(m)]!)]),
          )
    out = d.timestamp === undefined ? { value } : { value, timestamp: d.timestamp.toISOString() }
  }
  process.stdout.write(`${JSON.stringify(out)}\n`)
  return 0
}

function encode(at: Target, valueText: string, timestampText: string | undefined): number {
  let json: unknown
  try {
    json = JSON.parse(valueText)
  } catch (e) {
    throw new UsageError(`--value is not JSON: ${(e as Error).message}`)
  }
  let timestamp: Date | undefined
  if (timestampText !== undefined) {
    timestamp = parseIsoDate(timestampText)
    if (timestamp === undefined) {
      throw new UsageError(`--timestamp '${timestampText}' is not an ISO 8601 date-time`)
    }
  }
  const opts = timestamp === undefined ? {} : { timestamp }
  const value =
    at.iface.aggregation === 'object' ? objectFromJson(at, json) : individualFromJson(at, json)
  const what = `encode the value for ${at.iface.name}${at.path}`
  if (!value.ok) return fail(what, value.error)
  const validated =
    at.iface.aggregation === 'object'
      ? validateObject(at.iface, at.path, value.value, opts)
      : validateIndividual(at.iface, at.path, value.value, opts)
  if (!validated.ok) return fail(what, validated.error)
  process.stdout.write(`${Buffer.from(encodePayload(validated.value)).toString('hex')}\n`)
  return 0
}

/** Issues from reading a JSON form point at the Astarte path they belong to. */
const at = (path: string, r: Result<unknown>): Result<unknown> =>
  r.ok ? r : { ok: false, error: r.error.map((i) => ({ ...i, path })) }

function individualFromJson(t: Target, json: unknown): Result<unknown> {
  const mapping = resolveIndividualPath(t.iface, t.path)
  return mapping.ok ? at(t.path, valueFromJson(mapping.value.type, json)) : mapping
}

/** Known keys are read in their mapping's JSON form; unknown ones are left for the validator. */
function objectFromJson(t: Target, json: unknown): Result<unknown> {
  const mappings = resolveObjectPath(t.iface, t.path)
  if (!mappings.ok) return mappings
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: true, value: json }
  }
  const byKey = new Map(mappings.value.map((m) => [objectKey(m), m]))
  const entries: [string, unknown][] = []
  const issues: Issue[] = []
  for (const [key, item] of Object.entries(json)) {
    const mapping = byKey.get(key)
    const r =
      mapping === undefined
        ? { ok: true as const, value: item }
        : at(`${t.path}/${key}`, valueFromJson(mapping.type, item))
    if (r.ok) entries.push([key, r.value])
    else issues.push(...r.error)
  }
  return issues.length > 0
    ? { ok: false, error: issues }
    : { ok: true, value: Object.fromEntries(entries) }
}

function int64Json(v: bigint): unknown {
  return { $int64: v.toString() }
}

function valueJson(v: BsonValue): unknown {
  switch (v.type) {
    case 'double':
      return Number.isFinite(v.value) ? v.value : { $double: String(v.value) }
    case 'string':
    case 'boolean':
    case 'int32':
      return v.value
    case 'document':
      return documentToJson(v.value)
    case 'array':
      return v.value.map(valueJson)
    case 'binary':
      const subType = (v.subtype ?? 0).toString(16).padStart(2, '0')
      return { $binary: base64Encode(v.value), subType }
    case 'datetime': {
      const ms = Number(v.value)
      return Math.abs(ms) <= 8.64e15
        ? { $date: new Date(ms).toISOString() }
        : { $date: int64Json(v.value) }
    }
    case 'null':
      return null
    case 'int64':
      return int64Json(v.value)
    default:
      return assertNever(v)
  }
}

function documentToJson(doc: BsonDocument): Record<string, unknown> {
  // fromEntries keeps a key named __proto__ as a plain key.
  return Object.fromEntries([...doc].map(([k, v]) => [k, valueJson(v)]))
}
