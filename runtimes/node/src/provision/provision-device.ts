/**
 * @module factory provisioning of one device: key and CSR made on the production host, the
 * device registered with a pairing JWT, its certificate obtained, and the credentials bundle
 * written in every target's form. Each step's result is saved (0600) before the next step
 * starts, so a run killed at any point resumes where it stopped: it never registers a device
 * whose secret it already holds, and never makes a second key for it. The one thing a kill can
 * leave unknown is a registration request in flight: that device is registered again on resume
 * and the result says so (`reregistered`).
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import {
  SdkError,
  credentialsRequest,
  deviceInfoRequest,
  parseCredentialsResponse,
  parseDeviceInfoResponse,
  type CryptoProvider,
  type HttpClient,
  type KeyAlgorithm,
} from '@astarte-ts/sdk-core'
import { writeFileAtomic } from '../credentials/index.js'
import { registerDevice } from '../device/register-device.js'
import {
  BUNDLE_FILES,
  BUNDLE_FORMAT,
  checkBundle,
  espruinoStorageScript,
  moddablePreferences,
  nodeStoreFiles,
  type CredentialsBundle,
} from './credentials-bundle.js'

export interface ProvisionOptions {
  readonly http: HttpClient
  readonly crypto: CryptoProvider
  readonly pairingUrl: string
  readonly realm: string
  /** The pairing JWT; read only when the device still has to be registered. */
  readonly jwt: () => string
  readonly deviceId: string
  readonly hardwareId?: string
  /** The bundle goes to `<outDir>/<deviceId>/`. */
  readonly outDir: string
  readonly caPem?: string
  /** Default `ec-p256`; `rsa-2048` for devices whose TLS stack has no ECDSA. */
  readonly keyAlgorithm?: KeyAlgorithm
}

/**
 * `provisioned`: done by this call from the start; `resumed`: an interrupted run finished;
 * `already_provisioned`: a valid bundle was there, nothing was asked of Astarte.
 */
export type ProvisionOutcome = 'provisioned' | 'resumed' | 'already_provisioned'

export interface ProvisionResult {
  readonly deviceId: string
  readonly dir: string
  readonly outcome: ProvisionOutcome
  /**
   * The run before this one was stopped while its registration request was in flight, so the
   * device was registered again. Astarte allows that until the device first asks for a
   * certificate: the new secret replaces one that no device ever held.
   */
  readonly reregistered?: true
}

/** What an unfinished run has achieved; every field is saved as soon as it is known. */
interface Progress {
  privateKeyPem: string
  csrPem: string
  /** Set before the registration request leaves: a run stopped after it cannot know its fate. */
  registering?: true
  credentialsSecret?: string
  certificatePem?: string
}

const PROGRESS_FILE = '.provisioning.json'

/** Failures after which the request may have reached the Pairing API without its answer reaching us. */
const UNCERTAIN = new Set(['remote.http_timeout', 'remote.http_failed', 'remote.connect_failed'])

/** Whether a failed registration certainly registered nothing (see `Progress.registering`). */
function registrationNotMade(e: unknown): boolean {
  if (!(e instanceof SdkError)) return false
  // an HTTP status means the API answered, and an error answer registers nothing
  return !UNCERTAIN.has(e.code) || typeof e.ctx['status'] === 'number'
}

/** Provisions one device; see the module doc for what a repeated or resumed run does. */
export async function provisionDevice(options: ProvisionOptions): Promise<ProvisionResult> {
  const { realm, deviceId } = options
  const dir = join(options.outDir, deviceId)
  const canonical = join(dir, BUNDLE_FILES.canonical)
  if (existsSync(canonical)) {
    const bundle = checkBundle(readJson(canonical), canonical)
    if (bundle.realm !== realm || bundle.deviceId !== deviceId) {
      throw new SdkError(
        'local.invalid_config',
        `${canonical} is for ${bundle.realm}/${bundle.deviceId}, not ${realm}/${deviceId}`,
      )
    }
    return { deviceId, dir, outcome: 'already_provisioned' }
  }
  ensureDir(dir)
  const progressFile = join(dir, PROGRESS_FILE)
  const saved = existsSync(progressFile) ? readProgress(progressFile) : undefined
  const save = (p: Progress): void => write(progressFile, `${JSON.stringify(p)}\n`)

  let progress: Progress
  if (saved === undefined) {
    const keys = await options.crypto.createKeyAndCsr(
      options.keyAlgorithm ?? 'ec-p256',
      `${realm}/${deviceId}`,
    )
    progress = { privateKeyPem: keys.privateKeyPem, csrPem: keys.csrPem }
    save(progress)
  } else {
    progress = saved
  }

  let reregistered = false
  if (progress.credentialsSecret === undefined) {
    reregistered = progress.registering === true
    progress.registering = true
    save(progress)
    try {
      progress.credentialsSecret = await registerDevice({
        http: options.http,
        pairingUrl: options.pairingUrl,
        realm,
        jwt: options.jwt(),
        deviceId,
      })
    } catch (e) {
      if (registrationNotMade(e)) {
        // refused before it was sent, or answered with a refusal: nothing was registered
        delete progress.registering
        save(progress)
      }
      if (e instanceof SdkError && e.code === 'remote.device_already_registered') {
        throw new SdkError(
          e.code,
          `${realm}/${deviceId} is registered and has asked for credentials already, and ${dir} ` +
            'holds no secret for it: it was provisioned elsewhere; unregister it in Astarte to ' +
            'provision it here',
          { cause: e },
        )
      }
      throw e
    }
    delete progress.registering
    save(progress)
  }
  const route = {
    pairingUrl: options.pairingUrl,
    realm,
    deviceId,
    credentialsSecret: progress.credentialsSecret,
  }
  if (progress.certificatePem === undefined) {
    const res = await options.http.request(
      credentialsRequest({ ...route, csrPem: progress.csrPem }),
    )
    const certificate = parseCredentialsResponse(res)
    if (!certificate.ok) throw certificate.error
    progress.certificatePem = certificate.value
    save(progress)
  }
  const info = parseDeviceInfoResponse(await options.http.request(deviceInfoRequest(route)))
  if (!info.ok) throw info.error
  const { host, port } = info.value.brokerUrl
  const bundle: CredentialsBundle = {
    format: BUNDLE_FORMAT,
    realm,
    pairingUrl: options.pairingUrl,
    deviceId,
    ...(options.hardwareId === undefined ? {} : { hardwareId: options.hardwareId }),
    credentialsSecret: progress.credentialsSecret,
    brokerUrl: `mqtts://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}/`,
    privateKeyPem: progress.privateKeyPem,
    csrPem: progress.csrPem,
    certificatePem: progress.certificatePem,
    ...(options.caPem === undefined ? {} : { caPem: options.caPem }),
  }
  checkBundle(bundle, `the bundle made for ${realm}/${deviceId}`)
  writeForms(dir, bundle)
  // the canonical file last: its presence is what marks the device as done
  write(canonical, `${JSON.stringify(bundle, null, 2)}\n`)
  rmSync(progressFile, { force: true })
  return {
    deviceId,
    dir,
    outcome: saved === undefined ? 'provisioned' : 'resumed',
    ...(reregistered ? { reregistered: true as const } : {}),
  }
}

function writeForms(dir: string, bundle: CredentialsBundle): void {
  write(
    join(dir, BUNDLE_FILES.moddable),
    `${JSON.stringify(moddablePreferences(bundle), null, 2)}\n`,
  )
  write(join(dir, BUNDLE_FILES.espruino), espruinoStorageScript(bundle))
  const nodeDir = join(dir, BUNDLE_FILES.node, bundle.deviceId)
  ensureDir(join(dir, BUNDLE_FILES.node))
  ensureDir(nodeDir)
  for (const [name, content] of Object.entries(nodeStoreFiles(bundle))) {
    write(join(nodeDir, name), content)
  }
}

function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
  } catch (cause) {
    throw new SdkError('local.io_failed', `couldn't create ${dir}`, { cause })
  }
}

function write(file: string, content: string): void {
  try {
    writeFileAtomic(file, content)
  } catch (cause) {
    const why = (cause as NodeJS.ErrnoException).code ?? 'write failed'
    throw new SdkError('local.io_failed', `couldn't write ${file} (${why})`, { cause })
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown
  } catch (cause) {
    throw new SdkError('local.invalid_config', `${file} is not readable JSON`, { cause })
  }
}

function readProgress(file: string): Progress {
  const doc = readJson(file) as Partial<Progress> | null
  const text = (v: unknown): v is string => typeof v === 'string' && v !== ''
  if (
    doc === null ||
    typeof doc !== 'object' ||
    !text(doc.privateKeyPem) ||
    !text(doc.csrPem) ||
    (doc.registering !== undefined && doc.registering !== true) ||
    (doc.credentialsSecret !== undefined && !text(doc.credentialsSecret)) ||
    (doc.certificatePem !== undefined && !text(doc.certificatePem))
  ) {
    throw new SdkError(
      'local.invalid_config',
      `${file} (an interrupted run's progress) is damaged; move it aside to start over`,
    )
  }
  return doc as Progress
}
