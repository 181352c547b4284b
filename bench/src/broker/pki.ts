/**
 * @module bench pki: a throw-away EC P-256 CA, a loopback server certificate and client
 * certificates, made with the openssl CLI into a private directory (keys 0600).
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface Pki {
  readonly dir: string
  readonly caFile: string
  readonly caPem: string
  readonly serverCertFile: string
  readonly serverKeyFile: string
}

export interface ClientCredentials {
  readonly certificatePem: string
  readonly privateKeyPem: string
}

function openssl(args: readonly string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] })
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim() ?? ''
    throw new Error(`couldn't run openssl ${args[0] ?? ''}: ${stderr}`)
  }
}

function newKey(dir: string, name: string): string {
  const file = join(dir, name)
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file], dir)
  chmodSync(file, 0o600)
  return file
}

function signWithCa(dir: string, name: string, subject: string, extensions: string): string {
  const key = newKey(dir, `${name}.key`)
  const ext = join(dir, `${name}.ext`)
  writeFileSync(ext, extensions)
  openssl(['req', '-new', '-key', key, '-subj', subject, '-out', join(dir, `${name}.csr`)], dir)
  const crt = join(dir, `${name}.crt`)
  openssl(
    ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
      '-days', '2', '-sha256', '-extfile', ext, '-out', crt],
    dir,
  )
  return crt
}

/** A CA and a server certificate for 127.0.0.1/localhost in `dir`. */
export function createPki(dir: string): Pki {
  const caKey = newKey(dir, 'ca.key')
  openssl(
    ['req', '-x509', '-new', '-key', caKey, '-subj', '/CN=astarte-ts bench CA', '-days', '2',
      '-sha256', '-out', 'ca.crt'],
    dir,
  )
  const serverCertFile = signWithCa(
    dir,
    'server',
    '/CN=localhost',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  )
  const caFile = join(dir, 'ca.crt')
  return {
    dir,
    caFile,
    caPem: readFileSync(caFile, 'utf8'),
    serverCertFile,
    serverKeyFile: join(dir, 'server.key'),
  }
}

/** A client certificate with subject `CN=<commonName>` (the MQTT identity, spec §3.1). */
export function issueClient(pki: Pki, name: string, commonName: string): ClientCredentials {
  // `<realm>/<device_id>`: openssl's -subj syntax needs the slash escaped.
  const subject = `/CN=${commonName.replace(/\//g, '\\/')}`
  const crt = signWithCa(pki.dir, name, subject, 'extendedKeyUsage=clientAuth\n')
  return {
    certificatePem: readFileSync(crt, 'utf8'),
    privateKeyPem: readFileSync(join(pki.dir, `${name}.key`), 'utf8'),
  }
}
