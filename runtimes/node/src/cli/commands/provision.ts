/**
 * @module astarte-device provision: what a production line runs to make a device's credentials
 * on the host, so the device never generates a key: key (EC P-256, or RSA 2048 with `--key rsa-2048`
 * for TLS stacks without ECDSA) and CSR, registration with a
 * pairing JWT, the certificate, and a credentials bundle per device in `--out DIR/<deviceId>/`
 * (canonical JSON, Moddable preferences, an Espruino `Storage` script, a Node store directory;
 * every file 0600). `--batch ids.csv` does a whole list with bounded concurrency and a rate
 * limit, an audit log of JSON lines, and a summary. Re-running is safe: done boards are skipped,
 * interrupted ones resumed, none registered twice once its secret was saved.
 */
import { mkdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import {
  SdkError,
  checkPairingUrl,
  checkRealm,
  deviceIdFromUuidV5,
  checkDeviceId,
} from '@astarte-ts/sdk-core'
import { caFileProblem } from '../../config/connection-flags.js'
import { DEFAULT_DEVICE_ID_NAMESPACE } from '../../config/options.js'
import { nodeCryptoProvider } from '../../crypto/index.js'
import { nodeHttpClient } from '../../http/index.js'
import { parseHardwareIds, provisionBatch, type AuditRecord } from '../../provision/batch.js'
import { provisionDevice } from '../../provision/provision-device.js'
import { interruptSignal } from '../../config/interrupt-signal.js'
import { parseFlags } from '../parse-flags.js'
import { explainPairingFailure } from '../pairing-diagnosis.js'
import { describeFailure } from '../report.js'
import { UsageError } from '../usage-error.js'

export const usage =
  'usage: astarte-device provision --pairing-url URL --realm R --out DIR\n' +
  '         (--hardware-id HW [--namespace UUID] | --device-id ID | --batch IDS.csv [--namespace UUID])\n' +
  '         [--jwt TOKEN | --jwt-file FILE] [--ca FILE] [--ignore-tls-errors] [--timeout SECONDS]\n' +
  '         [--concurrency N] (default 4) [--rate PER_SECOND] (default 10) [--audit FILE]\n' +
  '         [--key ec-p256|rsa-2048] (default ec-p256; rsa-2048 for TLS stacks without ECDSA,\n' +
  '         such as the mbedTLS of Espruino builds)\n' +
  '  the JWT may be given in env ASTARTE_PAIRING_JWT instead\n' +
  '  writes DIR/<deviceId>/: credentials.json, moddable-preferences.json, espruino-storage.js,\n' +
  '  node-store/<deviceId>/ (a --store-dir for the Node runtime); all 0600\n' +
  '  --batch: one hardware id per line (first CSV column); audit log DIR/audit.jsonl by default\n' +
  '  --timeout applies per device (default 60)'

const flags = {
  'pairing-url': { type: 'string' },
  realm: { type: 'string' },
  jwt: { type: 'string' },
  'jwt-file': { type: 'string' },
  'hardware-id': { type: 'string' },
  namespace: { type: 'string' },
  'device-id': { type: 'string' },
  batch: { type: 'string' },
  out: { type: 'string' },
  ca: { type: 'string' },
  'ignore-tls-errors': { type: 'boolean' },
  timeout: { type: 'string' },
  concurrency: { type: 'string' },
  rate: { type: 'string' },
  audit: { type: 'string' },
  key: { type: 'string' },
} as const

function positive(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`${flag} must be a positive number`)
  return n
}

export async function run(args: string[], debug = false): Promise<number> {
  // --help is answered by the CLI's dispatcher from `usage`
  const { values } = parseFlags(args, flags, usage)
  const pairingUrl = values['pairing-url']
  const realm = values.realm
  if (pairingUrl === undefined || realm === undefined || values.out === undefined) {
    throw new UsageError(`--pairing-url, --realm and --out are required`)
  }
  const sources = [values['hardware-id'], values['device-id'], values.batch]
  if (sources.filter((s) => s !== undefined).length !== 1) {
    throw new UsageError(`give exactly one of --hardware-id, --device-id and --batch`)
  }
  if (values.namespace !== undefined && values['device-id'] !== undefined) {
    throw new UsageError(`--namespace applies to hardware ids, not to --device-id`)
  }
  if (values.jwt !== undefined && values['jwt-file'] !== undefined) {
    throw new UsageError(`give --jwt or --jwt-file, not both`)
  }
  const batch = values.batch !== undefined
  for (const flag of ['concurrency', 'rate', 'audit'] as const) {
    if (!batch && values[flag] !== undefined) throw new UsageError(`--${flag} needs --batch`)
  }
  const timeoutMs = positive(values.timeout, 60, '--timeout') * 1000
  const concurrency = Math.floor(positive(values.concurrency, 4, '--concurrency'))
  const perSecond = positive(values.rate, 10, '--rate')
  const keyAlgorithm = values.key ?? 'ec-p256'
  if (keyAlgorithm !== 'ec-p256' && keyAlgorithm !== 'rsa-2048') {
    throw new UsageError(`--key is ec-p256 or rsa-2048, not '${keyAlgorithm}'`)
  }
  const say = (text: string): void =>
    void process.stderr.write(`astarte-device provision: ${text}\n`)

  try {
    const problems: string[] = []
    if (checkPairingUrl(pairingUrl).length > 0) {
      problems.push(`--pairing-url '${pairingUrl}' is not an absolute http:// or https:// URL`)
    }
    if (checkRealm(realm).length > 0) {
      problems.push(`--realm '${realm}' is not a realm name (a-z then a-z 0-9)`)
    }
    const deviceIdOf = (hardwareId: string): string => {
      try {
        return deviceIdFromUuidV5(values.namespace ?? DEFAULT_DEVICE_ID_NAMESPACE, hardwareId)
      } catch (cause) {
        throw new SdkError('local.invalid_config', `--namespace is not a UUID`, { cause })
      }
    }
    if (values.namespace !== undefined) deviceIdOf('namespace check')
    const given = values['device-id']
    if (given !== undefined && checkDeviceId(given).length > 0) {
      problems.push(`--device-id '${given}' is not a device id (22 characters of url-safe base64)`)
    }
    const ca = values.ca === undefined ? undefined : resolve(values.ca)
    if (ca !== undefined) {
      const problem = await caFileProblem(ca)
      if (problem !== undefined) problems.push(`--ca ${ca}: ${problem}`)
    }
    if (problems.length > 0) {
      throw new SdkError('local.invalid_config', `couldn't provision: ${problems.join('; ')}`)
    }
    const hardwareIds = batch
      ? parseHardwareIds(
          await readText(resolve(values.batch as string), '--batch'),
          values.batch as string,
        )
      : []
    const jwtFile = values['jwt-file']
    const jwtText =
      values.jwt ??
      (jwtFile === undefined
        ? process.env.ASTARTE_PAIRING_JWT
        : (await readText(resolve(jwtFile), '--jwt-file')).trim())
    // asked only when a device still has to be registered: a finished line needs no JWT
    const jwt = (): string => {
      if (jwtText === undefined || jwtText === '') {
        throw new SdkError(
          'local.invalid_config',
          'a device has to be registered: give --jwt, --jwt-file or env ASTARTE_PAIRING_JWT',
        )
      }
      return jwtText
    }
    const caPem = ca === undefined ? undefined : await readFile(ca, 'utf8')
    const http = nodeHttpClient({
      ...(caPem === undefined ? {} : { caPem }),
      ignoreTlsErrors: values['ignore-tls-errors'] ?? false,
      timeoutMs,
    })
    const outDir = resolve(values.out)
    const one = async (deviceId: string, hardwareId?: string) => {
      try {
        return await provisionDevice({
          http,
          crypto: nodeCryptoProvider,
          pairingUrl,
          realm,
          jwt,
          deviceId,
          ...(hardwareId === undefined ? {} : { hardwareId }),
          outDir,
          keyAlgorithm,
          ...(caPem === undefined ? {} : { caPem }),
        })
      } catch (e) {
        throw await explainPairingFailure(e, async () => http, pairingUrl, realm)
      }
    }

    if (!batch) {
      const hardwareId = values['hardware-id']
      const result = await one(given ?? deviceIdOf(hardwareId as string), hardwareId)
      process.stdout.write(`${JSON.stringify(result)}\n`)
      return 0
    }
    const auditFile = resolve(values.audit ?? join(outDir, 'audit.jsonl'))
    mkdirSync(outDir, { recursive: true, mode: 0o700 })
    const stop = interruptSignal()
    const progress = progressReporter(hardwareIds.length)
    const summary = await provisionBatch({
      hardwareIds,
      deviceIdOf,
      provision: (hardwareId, deviceId) => one(deviceId, hardwareId),
      concurrency,
      perSecond,
      auditFile,
      onRecord: (record, done, total) => {
        if (record.outcome === 'failed') {
          say(`${record.hardwareId}: failed [${record.error?.code}] ${record.error?.message}`)
        }
        progress(record, done, total)
      },
      signal: stop,
    })
    process.stderr.write('\n')
    process.stdout.write(`${JSON.stringify({ ...summary, auditFile })}\n`)
    return summary.failed === 0 && summary.notStarted === 0 ? 0 : 1
  } catch (e) {
    say(describeFailure(e, debug))
    return 1
  }
}

async function readText(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (cause) {
    const why = (cause as NodeJS.ErrnoException).code ?? 'unreadable'
    throw new SdkError('local.invalid_config', `${flag} ${file}: ${why}`, { cause })
  }
}

/** A bar redrawn in place on a terminal; a line per 10 % elsewhere (a log keeps them all). */
function progressReporter(total: number): (r: AuditRecord, done: number, total: number) => void {
  const tty = process.stderr.isTTY === true
  let failed = 0
  let lastTenth = -1
  return (record, done) => {
    if (record.outcome === 'failed') failed++
    const share = total === 0 ? 1 : done / total
    if (tty) {
      const width = 30
      const filled = Math.round(share * width)
      process.stderr.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} failed ${failed}`,
      )
    } else if (Math.floor(share * 10) > lastTenth) {
      lastTenth = Math.floor(share * 10)
      process.stderr.write(`provisioned ${done}/${total}, failed ${failed}\n`)
    }
  }
}
