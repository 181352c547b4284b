/**
 * @module astarte-device register: what a production line runs once per device. Registers the
 * device with a pairing JWT (flag or env `ASTARTE_PAIRING_JWT`, which keeps it out of the process
 * list) and prints `{"deviceId","credentialsSecret"}`; with `--out FILE` the secret goes to a 0600
 * JSON file `{"realm","pairingUrl","deviceId","credentialsSecret"}` instead and the command prints
 * `{"deviceId","credentialsFile"}`, so the secret never reaches a terminal or a log.
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { checkDeviceId, deviceIdFromUuidV5 } from '@astarte-ts/sdk-core'
import { DEFAULT_DEVICE_ID_NAMESPACE } from '../../config/options.js'
import { describeError } from '../../config/connection-flags.js'
import { parseFlags } from '../parse-flags.js'
import { writeFileAtomic } from '../../credentials/index.js'
import { registerDevice } from '../../device/register-device.js'
import { nodeHttpClient } from '../../http/index.js'
import { UsageError } from '../usage-error.js'

const usage =
  'usage: astarte-device register --pairing-url URL --realm R [--jwt TOKEN] ' +
  '(--hardware-id HW [--namespace UUID] | --device-id ID) [--out FILE] [--ca FILE] [--ignore-tls-errors]\n' +
  '  the JWT may be given in env ASTARTE_PAIRING_JWT instead of --jwt\n' +
  `  --namespace defaults to ${DEFAULT_DEVICE_ID_NAMESPACE}`

const flags = {
  'pairing-url': { type: 'string' },
  realm: { type: 'string' },
  jwt: { type: 'string' },
  'hardware-id': { type: 'string' },
  namespace: { type: 'string' },
  'device-id': { type: 'string' },
  out: { type: 'string' },
  ca: { type: 'string' },
  'ignore-tls-errors': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

export async function run(args: string[]): Promise<number> {
  const { values } = parseFlags(args, flags, usage)
  if (values.help === true) {
    process.stdout.write(`${usage}\n`)
    return 0
  }
  const pairingUrl = values['pairing-url']
  const realm = values.realm
  const jwt = values.jwt ?? process.env.ASTARTE_PAIRING_JWT
  if (pairingUrl === undefined || realm === undefined) {
    throw new UsageError(`--pairing-url and --realm are required\n${usage}`)
  }
  if (jwt === undefined || jwt === '')
    throw new UsageError(`--jwt (or env ASTARTE_PAIRING_JWT) is required\n${usage}`)
  const hardwareId = values['hardware-id']
  if ((hardwareId === undefined) === (values['device-id'] === undefined)) {
    throw new UsageError(`give exactly one of --hardware-id and --device-id\n${usage}`)
  }
  if (values.namespace !== undefined && hardwareId === undefined) {
    throw new UsageError(`--namespace only applies to --hardware-id\n${usage}`)
  }
  try {
    const deviceId =
      values['device-id'] ??
      deviceIdFromUuidV5(values.namespace ?? DEFAULT_DEVICE_ID_NAMESPACE, hardwareId as string)
    checkDeviceId(deviceId)
    const caPem = values.ca === undefined ? undefined : await readFile(values.ca, 'utf8')
    const http = nodeHttpClient({
      ...(caPem === undefined ? {} : { caPem }),
      ignoreTlsErrors: values['ignore-tls-errors'] ?? false,
    })
    const credentialsSecret = await registerDevice({ http, pairingUrl, realm, jwt, deviceId })
    if (values.out === undefined) {
      process.stdout.write(`${JSON.stringify({ deviceId, credentialsSecret })}\n`)
    } else {
      const credentialsFile = resolve(values.out)
      const doc = { realm, pairingUrl, deviceId, credentialsSecret }
      writeFileAtomic(credentialsFile, `${JSON.stringify(doc, null, 2)}\n`)
      process.stdout.write(`${JSON.stringify({ deviceId, credentialsFile })}\n`)
    }
    return 0
  } catch (e) {
    process.stderr.write(`astarte-device register: ${describeError(e)}\n`)
    return 1
  }
}
