/**
 * @module bench mosquitto: runs /usr/sbin/mosquitto with mutual TLS on a free loopback port,
 * identity = client certificate CN and an ACL confining each client to `<CN>/#` (spec §3.1).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { userInfo } from 'node:os'
import { join } from 'node:path'

export interface MosquittoOptions {
  readonly dir: string
  readonly caFile: string
  readonly certFile: string
  readonly keyFile: string
  /** Default: a free port. */
  readonly port?: number
  /** Open-files limit for the broker (one descriptor per client). Default 20 000. */
  readonly maxOpenFiles?: number
}

export interface Mosquitto {
  readonly host: string
  readonly port: number
  /** `mqtts://127.0.0.1:<port>/`, the form Pairing's device info uses (spec §3.1). */
  readonly url: string
  readonly pid: number
  stop(): Promise<void>
}

const MOSQUITTO = '/usr/sbin/mosquitto'

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

function config(options: MosquittoOptions, port: number, aclFile: string): string {
  return [
    `user ${userInfo().username}`,
    'persistence false',
    'allow_anonymous false',
    `acl_file ${aclFile}`,
    `listener ${port} 127.0.0.1`,
    // Unbounded: the fleet simulator opens thousands of sessions.
    'max_connections -1',
    'set_tcp_nodelay true',
    `cafile ${options.caFile}`,
    `certfile ${options.certFile}`,
    `keyfile ${options.keyFile}`,
    'require_certificate true',
    'use_identity_as_username true',
    'tls_version tlsv1.2',
    // No limit: Mosquitto 2.0 acknowledges the QoS 2 publishes a 3.1.1 client has unfinished
    // past this number and drops them, so raw MQTT.js's unpaced QoS 2 burst would be measured
    // against a broker discarding all but the first ones (Astarte's VerneMQ takes them all).
    'max_inflight_messages 0',
    'max_queued_messages 100000',
    'log_dest stderr',
    'log_type error',
    '',
  ].join('\n')
}

async function waitReady(child: ChildProcess, port: number, stderr: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) {
      throw new Error(`couldn't start mosquitto (exit ${child.exitCode}): ${stderr()}`)
    }
    if (await accepts(port)) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`couldn't start mosquitto: port ${port} never accepted`)
}

/** Starts Mosquitto; the caller must `stop()` it. */
export async function startMosquitto(options: MosquittoOptions): Promise<Mosquitto> {
  const port = options.port ?? (await freePort())
  const aclFile = join(options.dir, 'mosquitto.acl')
  writeFileSync(aclFile, 'pattern readwrite %u/#\n')
  const confFile = join(options.dir, 'mosquitto.conf')
  writeFileSync(confFile, config(options, port, aclFile))
  // The soft limit is raised as far as the hard limit allows; exec keeps the pid mosquitto's.
  const limit = options.maxOpenFiles ?? 20_000
  const script = `ulimit -n ${limit} 2>/dev/null || ulimit -n hard; exec ${MOSQUITTO} -c "$0"`
  const child = spawn('sh', ['-c', script, confFile], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  child.stderr?.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-4000)
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  await waitReady(child, port, () => log)
  return {
    host: '127.0.0.1',
    port,
    url: `mqtts://127.0.0.1:${port}/`,
    pid: child.pid ?? 0,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}
