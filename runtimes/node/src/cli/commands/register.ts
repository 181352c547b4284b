/**
 * @module astarte-device register: what a production line runs once per device. Registers the
 * device with a pairing JWT (flag or env `ASTARTE_PAIRING_JWT`, which keeps it out of the process
 * list) and prints `{"deviceId","credentialsSecret"}`; with `--out FILE` the secret goes to a 0600
 * JSON file `{"realm","pairingUrl","deviceId","credentialsSecret","caFile"?}` instead — a config
 * file `send` and `watch` take as `--config` — and the command prints
 * `{"deviceId","credentialsFile"}`, so the secret never reaches a terminal or a log.
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import {
  SdkError,
  checkDeviceId,
  checkPairingUrl,
  checkRealm,
  deviceIdFromUuidV5,
} from '@astarte-ts/sdk-core'
import { caFileProblem } from '../../config/connection-flags.js'
import { DEFAULT_DEVICE_ID_NAMESPACE } from '../../config/options.js'
import { writeFileAtomic } from '../../credentials/index.js'
import { registerDevice } from '../../device/register-device.js'
import { nodeHttpClient } from '../../http/index.js'
import { Deadline } from '../deadline.js'
import { parseFlags } from '../parse-flags.js'
import { explainPairingFailure } from '../pairing-diagnosis.js'
import { describeFailure } from '../report.js'
import { UsageError } from '../usage-error.js'

export const usage =
  'usage: astarte-device register --pairing-url URL --realm R [--jwt TOKEN] ' +
  '(--hardware-id HW [--namespace UUID] | --device-id ID) [--out FILE] [--ca FILE] [--ignore-tls-errors]\n' +
  '  [--timeout SECONDS] (default 60)\n' +
  '  the JWT may be given in env ASTARTE_PAIRING_JWT instead of --jwt\n' +
  '  --out FILE is written 0600 and works as --config FILE for send and watch\n' +
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
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

/** Checks the inputs offline; throws `local.invalid_config` naming each bad flag. */
async function checkOffline(pairingUrl: string, realm: string, deviceId: string, ca?: string) {
  const problems: string[] = []
  if (checkPairingUrl(pairingUrl).length > 0) {
    const guess = /^[a-z][a-z0-9+.-]*:\/\//i.test(pairingUrl)
      ? ''
      : `; did you mean http://${pairingUrl} ?`
    problems.push(
      `--pairing-url '${pairingUrl}' is not an absolute http:// or https:// URL${guess}`,
    )
  }
  if (checkRealm(realm).length > 0) {
    problems.push(`--realm '${realm}' is not a realm name (a-z then a-z 0-9)`)
  }
  if (checkDeviceId(deviceId).length > 0) {
    problems.push(
      `--device-id '${deviceId}' is not a device id (22 characters of url-safe base64; ` +
        '`astarte-device id` makes one)',
    )
  }
  if (ca !== undefined) {
    const problem = await caFileProblem(ca)
    if (problem !== undefined) problems.push(`--ca ${ca}: ${problem}`)
  }
  if (problems.length > 0) {
    throw new SdkError('local.invalid_config', `couldn't register: ${problems.join('; ')}`)
  }
}

export async function run(args: string[], debug = false): Promise<number> {
  const { values } = parseFlags(args, flags, usage)
  if (values.help === true) {
    process.stdout.write(`${usage}\n`)
    return 0
  }
  const pairingUrl = values['pairing-url']
  const realm = values.realm
  const jwt = values.jwt ?? process.env.ASTARTE_PAIRING_JWT
  if (pairingUrl === undefined || realm === undefined) {
    throw new UsageError(`--pairing-url and --realm are required`)
  }
  if (jwt === undefined || jwt === '') {
    throw new UsageError(`--jwt (or env ASTARTE_PAIRING_JWT) is required`)
  }
  const hardwareId = values['hardware-id']
  if ((hardwareId === undefined) === (values['device-id'] === undefined)) {
    throw new UsageError(`give exactly one of --hardware-id and --device-id`)
  }
  if (values.namespace !== undefined && hardwareId === undefined) {
    throw new UsageError(`--namespace only applies to --hardware-id`)
  }
  const timeoutSec = values.timeout === undefined ? 60 : Number(values.timeout)
  if (!(timeoutSec > 0)) throw new UsageError(`--timeout must be a positive number of seconds`)
  const say = (text: string): void =>
    void process.stderr.write(`astarte-device register: ${text}\n`)
  const deadline = new Deadline({
    timeoutMs: timeoutSec * 1000,
    flag: '--timeout',
    onHardStop: () => {
      say("couldn't stop in time; exiting")
      process.exit(1)
    },
  })
  const ca = values.ca === undefined ? undefined : resolve(values.ca)
  let caPem: string | undefined
  const http = () =>
    nodeHttpClient({
      ...(caPem === undefined ? {} : { caPem }),
      ignoreTlsErrors: values['ignore-tls-errors'] ?? false,
      timeoutMs: timeoutSec * 1000,
    })
  try {
    let deviceId: string
    try {
      deviceId =
        values['device-id'] ??
        deviceIdFromUuidV5(values.namespace ?? DEFAULT_DEVICE_ID_NAMESPACE, hardwareId as string)
    } catch {
      throw new SdkError('local.invalid_config', `couldn't register: --namespace is not a UUID`)
    }
    await checkOffline(pairingUrl, realm, deviceId, ca)
    caPem = ca === undefined ? undefined : await readFile(ca, 'utf8')
    const credentialsSecret = await deadline
      .race(registerDevice({ http: http(), pairingUrl, realm, jwt, deviceId }))
      .catch(async (e: unknown) => {
        const client = async () => http()
        throw await deadline.race(explainPairingFailure(e, client, pairingUrl, realm))
      })
    if (values.out === undefined) {
      process.stdout.write(`${JSON.stringify({ deviceId, credentialsSecret })}\n`)
    } else {
      const credentialsFile = resolve(values.out)
      const doc = {
        realm,
        pairingUrl,
        deviceId,
        credentialsSecret,
        ...(ca === undefined ? {} : { caFile: ca }),
      }
      try {
        writeFileAtomic(credentialsFile, `${JSON.stringify(doc, null, 2)}\n`)
      } catch (cause) {
        const why = (cause as NodeJS.ErrnoException).code ?? String(cause)
        throw new SdkError(
          'local.io_failed',
          `couldn't write --out ${credentialsFile} (${why}); the device is registered: run ` +
            'register again to get a new secret',
          { cause },
        )
      }
      process.stdout.write(`${JSON.stringify({ deviceId, credentialsFile })}\n`)
    }
    return 0
  } catch (e) {
    say(describeFailure(e, debug))
    return 1
  } finally {
    deadline.dispose()
  }
}
