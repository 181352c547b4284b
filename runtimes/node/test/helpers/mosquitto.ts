/**
 * @module mosquitto (test helper): a real Mosquitto broker on loopback requiring client
 * certificates as Astarte's VerneMQ does (spec §3.1): CN = username = `<realm>/<device_id>`, ACL
 * `%u/#`, TLS 1.2, no anonymous clients. Each broker has its own temp dir, CA and free port, and
 * can be stopped and restarted on the same port (sessions persist across restarts).
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { createCa, issueCertificate, issueClientCertificate } from './pki.js'
import type { IssuedCertificate, TestCa } from './pki.js'

export { createCa, issueClientCertificate }
export type { IssuedCertificate, TestCa }

const MOSQUITTO = '/usr/sbin/mosquitto'
/** CN of a test-only identity that may read and write every topic (plays Astarte's side). */
export const OBSERVER_CN = 'astarte-test-observer'
const HOST = '127.0.0.1'

export interface MosquittoOptions {
  /** Keep sessions in a persistence dir across restarts; default true. */
  readonly persistence?: boolean
  /** Extra lines appended to mosquitto.conf. */
  readonly extraConfig?: readonly string[]
  /** The broker's certificate from another CA (e.g. the sandbox's); default: from its own CA. */
  readonly server?: { readonly certPem: string; readonly keyPem: string }
  /** CAs whose client certificates are accepted besides the broker's own CA. */
  readonly trustedCaPems?: readonly string[]
}

export interface Mosquitto {
  readonly host: string
  readonly port: number
  readonly ca: TestCa
  readonly dir: string
  /** A client certificate from the broker's CA; the CN is the MQTT username. */
  issueClient(commonName: string, lifetimeSec?: number): Promise<IssuedCertificate>
  /** Stops the broker (SIGTERM to its process group, which saves sessions). */
  stop(): Promise<void>
  /** Starts it again on the same port. */
  restart(): Promise<void>
  /** Stops it and removes its directory. */
  dispose(): Promise<void>
  /** The broker's log so far, for failure messages. */
  log(): string
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, HOST, () => {
      const { port } = s.address() as AddressInfo
      s.close(() => resolve(port))
    })
  })

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, HOST)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })

function config(dir: string, port: number, o: MosquittoOptions): string {
  return [
    `user ${userInfo().username}`,
    'per_listener_settings false',
    'allow_anonymous false',
    `acl_file ${join(dir, 'acl')}`,
    o.persistence === false
      ? 'persistence false'
      : `persistence true\npersistence_location ${join(dir, 'data')}/`,
    `log_dest file ${join(dir, 'mosquitto.log')}`,
    'log_type error\nlog_type warning\nlog_type notice\nlog_type information',
    'max_inflight_messages 100',
    'max_queued_messages 100000',
    `listener ${port} ${HOST}`,
    `cafile ${join(dir, 'ca.crt')}`,
    `certfile ${join(dir, 'server.crt')}`,
    `keyfile ${join(dir, 'server.key')}`,
    'require_certificate true',
    'use_identity_as_username true',
    'tls_version tlsv1.2',
    ...(o.extraConfig ?? []),
    '',
  ].join('\n')
}

async function ownServerCertificate(ca: TestCa): Promise<{ certPem: string; keyPem: string }> {
  const c = await issueCertificate(ca, {
    commonName: 'localhost',
    lifetimeSec: 86_400,
    serverNames: ['localhost', HOST],
  })
  return { certPem: c.certificatePem, keyPem: c.privateKeyPem }
}

/** Starts a broker; call `dispose()` (e.g. in `t.after`) to stop it and remove its files. */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'astarte-ts-mosquitto-'))
  mkdirSync(join(dir, 'data'))
  const ca = await createCa('astarte-ts test broker CA')
  const server = options.server ?? (await ownServerCertificate(ca))
  writeFileSync(join(dir, 'ca.crt'), [ca.certPem, ...(options.trustedCaPems ?? [])].join('\n'))
  writeFileSync(join(dir, 'server.crt'), server.certPem)
  writeFileSync(join(dir, 'server.key'), server.keyPem, { mode: 0o600 })
  // Astarte's rule (spec §3.1): a device owns exactly the topics under `<realm>/<device_id>`.
  const acl = `pattern readwrite %u/#\n\nuser ${OBSERVER_CN}\ntopic readwrite #\n`
  writeFileSync(join(dir, 'acl'), acl)
  const logFile = join(dir, 'mosquitto.log')
  const log = (): string => {
    try {
      return readFileSync(logFile, 'utf8')
    } catch {
      return ''
    }
  }

  let port = 0
  let child: ChildProcess | undefined

  const launch = async (): Promise<boolean> => {
    writeFileSync(join(dir, 'mosquitto.conf'), config(dir, port, options))
    const p = spawn(MOSQUITTO, ['-c', join(dir, 'mosquitto.conf')], {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    p.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
    let exited = false
    p.once('exit', () => (exited = true))
    child = p
    for (let i = 0; i < 200 && !exited; i++) {
      if (await accepts(port)) return true
      await new Promise((r) => setTimeout(r, 25))
    }
    if (!exited) throw new Error(`mosquitto did not listen on ${port}: ${stderr}${log()}`)
    child = undefined
    if (/address already in use/i.test(stderr + log())) return false
    throw new Error(`mosquitto exited: ${stderr}${log()}`)
  }

  const stop = async (): Promise<void> => {
    const p = child
    child = undefined
    if (p?.pid === undefined || p.exitCode !== null) return
    const gone = new Promise((r) => p.once('exit', r))
    process.kill(-p.pid, 'SIGTERM')
    const timer = setTimeout(() => p.pid !== undefined && process.kill(-p.pid, 'SIGKILL'), 3000)
    await gone
    clearTimeout(timer)
  }

  // A port found free may be taken before mosquitto binds it (other tests run concurrently).
  for (let attempt = 0; ; attempt++) {
    port = await freePort()
    if (await launch()) break
    if (attempt === 5) throw new Error('no free port for mosquitto')
  }

  return {
    host: HOST,
    get port() {
      return port
    },
    ca,
    dir,
    issueClient: (cn, lifetimeSec = 3600) => issueClientCertificate(ca, cn, { lifetimeSec }),
    stop,
    async restart() {
      await stop()
      if (!(await launch())) throw new Error(`port ${port} was taken while mosquitto was down`)
    },
    async dispose() {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
    log,
  }
}
