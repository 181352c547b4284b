/**
 * @module fleet credentials cache: every virtual device's secret, key and certificate in ONE
 * 0600 file per pairing URL + realm, rewritten atomically every few seconds while pairing and
 * at the end. One fsync'd file per device would cap pairing at ~1/fsync-time devices per second;
 * a device paired but not yet flushed when the process dies is simply registered again.
 */
import { createHash } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from '@astarte-ts/runtime-node'
import { SdkError } from '@astarte-ts/sdk-core'

export interface FleetCredentials {
  readonly deviceId: string
  readonly credentialsSecret: string
  readonly privateKeyPem: string
  readonly certificatePem: string
}

interface CacheFile {
  readonly version: 1
  readonly pairingUrl: string
  readonly realm: string
  readonly devices: Readonly<Record<string, FleetCredentials>>
}

export class CredentialsCache {
  readonly file: string
  private readonly devices = new Map<string, FleetCredentials>()
  private dirty = false

  constructor(
    dir: string,
    private readonly pairingUrl: string,
    private readonly realm: string,
  ) {
    const scope = createHash('sha256').update(`${pairingUrl}\n${realm}`).digest('hex').slice(0, 16)
    this.file = join(dir, `fleet-${realm}-${scope}.json`)
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 })
      chmodSync(dir, 0o700)
    } catch (cause) {
      const message = `couldn't prepare the fleet cache ${dir}`
      throw new SdkError('local.credentials_io', message, { cause })
    }
    this.load()
  }

  get size(): number {
    return this.devices.size
  }

  get(deviceId: string): FleetCredentials | undefined {
    return this.devices.get(deviceId)
  }

  set(credentials: FleetCredentials): void {
    this.devices.set(credentials.deviceId, credentials)
    this.dirty = true
  }

  /** Writes the file (0600, atomically) when something changed since the last flush. */
  flush(): void {
    if (!this.dirty) return
    const content: CacheFile = {
      version: 1,
      pairingUrl: this.pairingUrl,
      realm: this.realm,
      devices: Object.fromEntries(this.devices),
    }
    try {
      writeFileAtomic(this.file, JSON.stringify(content))
    } catch (cause) {
      throw new SdkError('local.credentials_io', `couldn't write ${this.file}`, { cause })
    }
    this.dirty = false
  }

  private load(): void {
    let text: string
    try {
      text = readFileSync(this.file, 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return
      throw new SdkError('local.credentials_io', `couldn't read ${this.file}`, { cause: e })
    }
    let parsed: CacheFile
    try {
      parsed = JSON.parse(text) as CacheFile
    } catch (cause) {
      throw new SdkError('local.credentials_io', `couldn't parse ${this.file}`, { cause })
    }
    for (const [id, c] of Object.entries(parsed.devices ?? {})) this.devices.set(id, c)
  }
}
