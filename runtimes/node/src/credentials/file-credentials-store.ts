/**
 * @module file credentials store: device key, certificate and credentials secret as files in a
 * 0700 directory, each written atomically with mode 0600. Contents never appear in errors.
 */
import { chmodSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { SdkError } from '@astarte-ts/sdk-core'
import { writeFileAtomic } from './atomic-write.js'

/** File names inside the credentials directory. */
export const CREDENTIAL_FILES = {
  privateKey: 'device.key',
  certificate: 'device.crt',
  credentialsSecret: 'credentials-secret',
} as const

export type CredentialName = keyof typeof CREDENTIAL_FILES

export interface FileCredentialsStoreOptions {
  /** Directory holding the files; created 0700 when missing, tightened to 0700 when present. */
  readonly dir: string
}

/** The device's secrets on disk. All methods are synchronous: the files are a few KB. */
export class FileCredentialsStore {
  readonly dir: string

  constructor(options: FileCredentialsStoreOptions) {
    this.dir = options.dir
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 })
      chmodSync(this.dir, 0o700)
    } catch (cause) {
      const message = `couldn't prepare credentials directory ${this.dir}`
      throw new SdkError('local.credentials_io', message, { ctx: { dir: this.dir }, cause })
    }
  }

  /** The file's content, or `undefined` when it does not exist. */
  read(name: CredentialName): string | undefined {
    const file = this.pathOf(name)
    try {
      return readFileSync(file, 'utf8')
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw new SdkError('local.credentials_io', `couldn't read ${file}`, { ctx: { file }, cause })
    }
  }

  write(name: CredentialName, content: string): void {
    const file = this.pathOf(name)
    try {
      writeFileAtomic(file, content)
    } catch (cause) {
      throw new SdkError('local.credentials_io', `couldn't write ${file}`, { ctx: { file }, cause })
    }
  }

  delete(name: CredentialName): void {
    rmSync(this.pathOf(name), { force: true })
  }

  /**
   * Stores a renewed key and its certificate (spec §4.5). The key goes first: a crash in between
   * leaves a certificate that does not match the key, which the next connect detects and renews.
   */
  writeKeyAndCertificate(privateKeyPem: string, certificatePem: string): void {
    this.write('privateKey', privateKeyPem)
    this.write('certificate', certificatePem)
  }

  pathOf(name: CredentialName): string {
    return join(this.dir, CREDENTIAL_FILES[name])
  }
}
