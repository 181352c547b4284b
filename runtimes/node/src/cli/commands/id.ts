/**
 * @module astarte-device id: device ids (spec §4.4). `id <hardware-id>` derives the UUID v5 id
 * of the hardware id under a namespace; `id --random` makes a v4 id from node:crypto randomness.
 */
import { randomBytes } from 'node:crypto'
import { parseFlags } from '../parse-flags.js'
import { deviceIdFromUuidV5, parseUuid, randomDeviceId } from '@astarte-ts/sdk-core'
import { UsageError } from '../usage-error.js'

/** astarte-ts's own namespace, used when `--namespace` is not given. */
export const DEFAULT_NAMESPACE = 'cf2189d1-eb82-4c9c-b605-6621f1bdbb39'

const usage = `usage:
  astarte-device id <hardware-id> [--namespace UUID]   deterministic id: UUID v5 of the hardware id
  astarte-device id --random                          random id (UUID v4), for development

The default namespace is astarte-ts's ${DEFAULT_NAMESPACE}; pass --namespace to match ids made
by other tools with their namespace (the same namespace and hardware id give the same id in every
Astarte SDK).`

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    {
      namespace: { type: 'string' },
      random: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    usage,
    true,
  )
  if (values.help === true) {
    process.stdout.write(`${usage}\n`)
    return 0
  }
  if (values.random === true) {
    if (positionals.length > 0 || values.namespace !== undefined) {
      throw new UsageError(`--random takes no hardware id or namespace\n${usage}`)
    }
    process.stdout.write(`${randomDeviceId(new Uint8Array(randomBytes(16)))}\n`)
    return 0
  }
  const [hardwareId, ...extra] = positionals
  if (hardwareId === undefined || extra.length > 0) {
    throw new UsageError(`give one hardware id\n${usage}`)
  }
  const namespace = values.namespace ?? DEFAULT_NAMESPACE
  if (parseUuid(namespace) === undefined) {
    throw new UsageError(`--namespace is not a UUID\n${usage}`)
  }
  process.stdout.write(`${deviceIdFromUuidV5(namespace, hardwareId)}\n`)
  return 0
}
