/**
 * @module appengine write values: server-owned data to a device (spec §3.8, §5). Datastreams are
 * POSTed (objects on their prefix), properties PUT or DELETEd (unset = empty payload). QoS follows
 * reliability (§3.5); a QoS > 0 datastream with no session to receive it answers 503. As AppEngine,
 * the device gets `{"v": …}` alone, also on `explicit_timestamp` mappings (it then uses the
 * reception time, §2.2), and the answer echoes the `data` given.
 */
import {
  encodePayload,
  objectKey,
  qosFor,
  resolveIndividualPath,
  resolveObjectPath,
  validateIndividual,
  validateObject,
  validateUnset,
  valueFromJson,
  valueToJson,
  type AstarteValue,
  type Interface,
  type Validated,
} from '@astarte-ts/sdk-core'
import type { SandboxContext } from '../context.js'
import { data, detail, invalid, noContent, readEnvelope } from '../http/reply.js'
import type { HttpRequest, Reply } from '../http/types.js'
import { objectToJson } from '../object-json.js'
import type { ValueKey } from '../store/values.js'

export async function writeValues(
  ctx: SandboxContext,
  req: HttpRequest,
  iface: Interface,
  key: ValueKey,
  path: string,
): Promise<Reply> {
  if (iface.ownership === 'device') return detail(405, 'Cannot write to device owned resource')
  const expected = iface.type === 'properties' ? ['PUT', 'DELETE'] : ['POST']
  if (!expected.includes(req.method)) return detail(405, 'Method Not Allowed')
  const topic = `${ctx.realm}/${key.deviceId}/${iface.name}${path}`
  if (req.method === 'DELETE') {
    const unset = validateUnset(iface, path)
    if (!unset.ok) return rejected(unset.error[0]?.code)
    ctx.values.unsetProperty(key, path)
    // Sent even to an offline device: it learns the rest through the purge list (spec §3.8).
    await ctx.broker()?.publish(topic, new Uint8Array(0), 2)
    return noContent
  }
  const body = await readEnvelope(req)
  if (!body.ok) return body.reply
  const now = Date.now()
  const validated =
    iface.aggregation === 'object'
      ? objectValue(iface, path, body.value, now)
      : individualValue(iface, path, body.value, now)
  if (!validated.ok) return rejected(validated.code)
  const v = validated.value
  const qos = qosFor(iface, v.kind === 'object' ? iface.mappings[0] : v.mapping)
  const broker = ctx.broker()
  const reachable = async (): Promise<boolean> =>
    (await broker?.hasSessionFor(key.deviceId, topic)) === true
  if (iface.type === 'datastream' && qos > 0 && !(await reachable())) {
    return detail(503, 'Cannot push to device')
  }
  const valueJson =
    v.kind === 'object'
      ? objectToJson(iface, v.value)
      : v.kind === 'individual'
        ? valueToJson(v.mapping.type, v.value)
        : null
  if (iface.type === 'properties') ctx.values.setProperty(key, path, valueJson, now)
  else ctx.values.appendSample(key, { path, valueJson, timestampMs: now, receptionMs: now })
  await broker?.publish(topic, encodePayload(withoutTimestamp(v)), qos)
  return data(200, body.value)
}

/** What AppEngine publishes: no `t`, whatever the mapping says. */
function withoutTimestamp(v: Validated): Validated {
  if (v.kind === 'unset' || v.timestamp === undefined) return v
  const { timestamp: _, ...rest } = v
  return rest
}

/**
 * The timestamp option the validators need on an `explicit_timestamp` mapping: the sample is
 * stored at reception time, as for a mapping without one.
 */
const stampFor = (explicit: boolean, now: number) =>
  explicit ? { timestamp: new Date(now) } : undefined

type Checked =
  | { readonly ok: true; readonly value: Validated }
  | { readonly ok: false; readonly code: string | undefined }

function individualValue(iface: Interface, path: string, json: unknown, now: number): Checked {
  const mapping = resolveIndividualPath(iface, path)
  if (!mapping.ok) return { ok: false, code: mapping.error[0]?.code }
  const value = valueFromJson(mapping.value.type, json)
  if (!value.ok) return { ok: false, code: 'unexpected_value_type' }
  const stamp = stampFor(mapping.value.explicitTimestamp, now)
  const validated = validateIndividual(iface, path, value.value, stamp)
  return validated.ok ? validated : { ok: false, code: validated.error[0]?.code }
}

function objectValue(iface: Interface, path: string, json: unknown, now: number): Checked {
  const mappings = resolveObjectPath(iface, path)
  if (!mappings.ok) return { ok: false, code: mappings.error[0]?.code }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, code: 'unexpected_value_type' }
  }
  const value: Record<string, AstarteValue> = {}
  for (const [k, item] of Object.entries(json)) {
    const mapping = mappings.value.find((m) => objectKey(m) === k)
    if (mapping === undefined) return { ok: false, code: 'unexpected_object_key' }
    const converted = valueFromJson(mapping.type, item)
    if (!converted.ok) return { ok: false, code: 'unexpected_value_type' }
    value[k] = converted.value
  }
  const explicit = mappings.value[0]?.explicitTimestamp === true
  const validated = validateObject(iface, path, value, stampFor(explicit, now))
  return validated.ok ? validated : { ok: false, code: validated.error[0]?.code }
}

/** AppEngine's answers to values that don't fit the interface. */
function rejected(code: string | undefined): Reply {
  switch (code) {
    case 'mapping_not_found':
    case 'invalid_path':
    case 'ambiguous_path':
      return detail(404, 'Mapping not found')
    case 'unset_not_allowed':
      return detail(405, 'Cannot unset a property that does not allow unset')
    default:
      return invalid('value', `is invalid: ${code ?? 'unexpected_value_type'}`)
  }
}
