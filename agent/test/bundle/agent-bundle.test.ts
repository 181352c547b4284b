/**
 * The self-contained agent bundle (`npm run bundle`): built, copied into an empty directory with no
 * node_modules above it, and run against the sandbox with nothing but Node, with the flags and
 * environment the Yocto image runs it with: it answers --version, registers, publishes its device
 * info and stops cleanly on SIGTERM.
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { startSandbox, type Sandbox } from '@astarte-ts/sandbox'
import { randomDeviceId } from '@astarte-ts/sdk-core'

const repo = new URL('../../../', import.meta.url).pathname
const agentPackage = JSON.parse(readFileSync(join(repo, 'agent', 'package.json'), 'utf8')) as {
  version: string
}

let sandbox: Sandbox
let tmp: string
let app: string
before(async () => {
  // under /tmp, outside the repository: no node_modules of ours on the way up
  tmp = mkdtempSync(join(tmpdir(), 'astarte-agent-bundle-'))
  const built = spawnSync(
    process.execPath,
    [join(repo, 'scripts', 'bundle-apps.mjs'), '--out', join(tmp, 'dist'), 'agent'],
    { encoding: 'utf8' },
  )
  assert.equal(built.status, 0, built.stderr)
  app = join(tmp, 'empty', 'agent')
  cpSync(join(tmp, 'dist', 'agent'), app, { recursive: true })
  sandbox = await startSandbox({
    dataDir: join(tmp, 'sandbox'),
    logger: { log: () => undefined },
    interfacesDir: join(repo, 'interfaces', 'edgehog'),
  })
})
after(async () => {
  await sandbox?.stop()
  rmSync(tmp, { recursive: true, force: true })
})

test('the bundle is one module, its unit, its config and the files it reads', () => {
  const files = readdirSync(app).sort()
  assert.deepEqual(files, [
    'BUNDLE.json',
    'astarte-agent.mjs',
    'astarte-agent.service',
    'config.toml',
    'node_modules',
  ])
  const manifest = JSON.parse(readFileSync(join(app, 'BUNDLE.json'), 'utf8')) as {
    version: string
    natives: string[]
  }
  assert.equal(manifest.version, agentPackage.version)
  const modules = readdirSync(join(app, 'node_modules')).sort()
  // the interface files; better-sqlite3 (and what loads it) only where Node has no node:sqlite
  const expected = manifest.natives.includes('better-sqlite3')
    ? ['@astarte-ts', 'better-sqlite3', 'bindings', 'file-uri-to-path']
    : ['@astarte-ts']
  assert.deepEqual(modules, expected)
  assert.ok(existsSync(join(app, 'node_modules', '@astarte-ts', 'interfaces', 'edgehog')))
})

test('from an empty directory: --version, then registers, publishes device info, stops on SIGTERM', async () => {
  const version = spawnSync(process.execPath, ['astarte-agent.mjs', '--version'], {
    cwd: app,
    encoding: 'utf8',
  })
  assert.equal(version.status, 0, version.stderr)
  assert.equal(version.stdout.trim(), `astarte-agent ${agentPackage.version}`)

  const deviceId = randomDeviceId(new Uint8Array(randomBytes(16)))
  const config = join(tmp, 'agent.toml')
  writeFileSync(
    config,
    `store_directory = "${join(tmp, 'store')}"
[astarte_device_sdk]
realm = "${sandbox.realm}"
device_id = "${deviceId}"
pairing_url = "${sandbox.pairingUrl}"
pairing_token = "${sandbox.jwt}"
[agent]
ca_file = "${sandbox.caFile}"
`,
  )
  // as the Yocto image runs it: the node flags of its wrapper (V8's settings for boards, which
  // Node refuses in NODE_OPTIONS), only Node's own environment and what the bundle's unit sets
  // (its memory settings: glibc's malloc, NODE_OPTIONS): no NODE_PATH, no tsx, no source
  // conditions
  const { yoctoNodeFlags } = (await import(join(repo, 'scripts', 'yocto-node-flags.mjs'))) as {
    yoctoNodeFlags: () => string[]
  }
  const agent = [...yoctoNodeFlags(), join(app, 'astarte-agent.mjs'), '--config', config]
  const proc = spawn(process.execPath, agent, {
    cwd: app,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp, ...unitEnvironment() },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number | null>((resolve) => proc.on('close', resolve))
  try {
    const osInfo = await eventually(
      async () => {
        const res = await fetch(
          `${sandbox.appengineUrl}/v1/${sandbox.realm}/devices/${deviceId}/interfaces/io.edgehog.devicemanager.OSInfo`,
          { headers: { authorization: `Bearer ${sandbox.jwt}` } },
        )
        if (!res.ok) return undefined
        const data = ((await res.json()) as { data?: { osName?: unknown } }).data
        return typeof data?.osName === 'string' ? data : undefined
      },
      () => stderr,
    )
    assert.equal(typeof osInfo.osName, 'string')
    await eventually(
      async () => (stderr.includes('agent running') ? true : undefined),
      () => stderr,
    )
  } finally {
    proc.kill('SIGTERM')
  }
  assert.equal(await exited, 0, stderr)
  assert.match(stderr, /^<6>agent stopped$/m)
})

/** The bundle's unit's `Environment=` lines, one `KEY=value` each, quoted or not. */
function unitEnvironment(): Record<string, string> {
  const unit = readFileSync(join(app, 'astarte-agent.service'), 'utf8')
  const lines = unit.split('\n').filter((l) => l.startsWith('Environment='))
  const assignments = lines.map((l) => l.slice('Environment='.length).replace(/^"(.*)"$/, '$1'))
  const env = Object.fromEntries(
    assignments.map((a) => [a.split('=')[0], a.slice(a.indexOf('=') + 1)]),
  )
  assert.ok(env.NODE_OPTIONS !== undefined, 'the unit sets NODE_OPTIONS')
  return env
}

async function eventually<T>(probe: () => Promise<T | undefined>, log: () => string): Promise<T> {
  const deadline = Date.now() + 60_000
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out; the agent said:\n${log()}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}
