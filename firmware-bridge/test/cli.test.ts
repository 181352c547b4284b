import { strict as assert } from 'node:assert'
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { promisify } from 'node:util'
import { SdkError } from '@astarte-ts/sdk-core'
import { checkBridgeConfig, loadBridgeConfig } from '../src/index.js'
import { packageDir } from './helpers/env.js'

const run = promisify(execFile)
let dir: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'astarte-bridge-cli-'))
})
after(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Runs the CLI; resolves with its exit code and stderr. */
async function cli(
  args: readonly string[],
): Promise<{ code: number; stderr: string; stdout: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [
        '--conditions=@astarte-ts/source',
        '--import',
        'tsx',
        join(packageDir, 'bin', 'astarte-bridge.js'),
        ...args,
      ],
      { cwd: packageDir },
    )
    return { code: 0, stdout, stderr }
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string }
    return { code: x.code, stdout: x.stdout, stderr: x.stderr }
  }
}

const base = {
  realm: 'test',
  pairing_url: 'https://localhost/pairing',
  interfaces_dir: 'interfaces',
  store_dir: 'store',
  port: [{ path: '/dev/ttyUSB0' }],
}

test('bridge.toml: defaults, relative paths from the file, every problem named by its key', async () => {
  const c = checkBridgeConfig(base, '/etc/astarte-bridge')
  assert.equal(c.interfacesDir, '/etc/astarte-bridge/interfaces')
  assert.equal(c.metricsIntervalSeconds, 60)
  assert.deepEqual(c.ports, [{ path: '/dev/ttyUSB0', baudRate: 115200 }])
  const bad: [Record<string, unknown>, string][] = [
    [{ ...base, realm: '' }, 'realm'],
    [{ ...base, port: [] }, 'port'],
    [{ ...base, port: [{ path: '/dev/a' }, { path: '/dev/a' }] }, 'port[1].path'],
    [{ ...base, port: [{ path: '/dev/a', baud_rate: -1 }] }, 'port[0].baud_rate'],
    [{ ...base, metrics_interval_seconds: 1.5 }, 'metrics_interval_seconds'],
  ]
  for (const [raw, key] of bad) {
    assert.throws(
      () => checkBridgeConfig(raw, '/'),
      (e: unknown) =>
        e instanceof SdkError && e.code === 'local.invalid_config' && e.ctx.key === key,
      key,
    )
  }
  const file = join(dir, 'jwt.toml')
  await writeFile(join(dir, 'pairing.jwt'), 'header.payload.signature\n')
  await writeFile(
    file,
    'realm = "r"\npairing_url = "https://x/pairing"\ninterfaces_dir = "i"\nstore_dir = "s"\npairing_jwt_file = "pairing.jwt"\n[[port]]\npath = "/dev/ttyACM0"\n',
  )
  assert.equal((await loadBridgeConfig(file)).pairingJwt, 'header.payload.signature')
})

test('astarte-bridge: --help and --version exit 0, no --config or a bad config exits 2 naming the problem', async () => {
  const help = await cli(['--help'])
  assert.equal(help.code, 0)
  assert.match(help.stdout, /usage: astarte-bridge --config/)
  const version = await cli(['--version'])
  assert.equal(version.code, 0)
  assert.match(version.stdout, /^astarte-bridge 0\.1\.0$/m)
  const none = await cli([])
  assert.equal(none.code, 2)
  assert.match(none.stderr, /--config is required/)
  const file = join(dir, 'bad.toml')
  await writeFile(
    file,
    'realm = "r"\npairing_url = "https://x/pairing"\ninterfaces_dir = "i"\nstore_dir = "s"\n',
  )
  const bad = await cli(['--config', file])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /port must list at least one \[\[port\]\]/)
  const broken = join(dir, 'broken.toml')
  await writeFile(broken, 'realm = \n')
  assert.equal((await cli(['--config', broken])).code, 2)
})
