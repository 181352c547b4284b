/**
 * The mistakes people make with `astarte-device`, through the real bin: each failure says what is
 * wrong in plain words, names the flag or config key, the HTTP status where there is one, and
 * what to do — one prefix, no stack trace (unless `--debug`). Config files compose with flags and
 * the environment (flag > environment > file > default); everything offline is checked first.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSandbox, type Sandbox } from '@astarte-ts/sandbox'
import { root, runCli } from './e2e/cli.js'

const examples = join(root, 'interfaces', 'examples')
const version = (pkg: string): string =>
  (JSON.parse(readFileSync(join(root, pkg, 'package.json'), 'utf8')) as { version: string }).version
const noStack = (stderr: string): void => assert.doesNotMatch(stderr, /\n\s+at /)

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const address = server.address()
  await new Promise((r) => server.close(r))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

describe('version and help, offline', () => {
  test('--version on both bins, before or after a command', async () => {
    const [top, after, sandbox] = await Promise.all([
      runCli(['--version']),
      runCli(['send', '--version']),
      runSandboxVersion(),
    ])
    assert.deepEqual([top.code, top.stdout], [0, `${version('runtimes/node')}\n`])
    assert.deepEqual([after.code, after.stdout], [0, `${version('runtimes/node')}\n`])
    assert.deepEqual([sandbox.code, sandbox.out], [0, `${version('sandbox')}\n`])
  })

  test('--help on every command; the top-level help lists the connection flags', async () => {
    const commands = ['interface', 'payload', 'id', 'register', 'send', 'watch']
    const runs = await Promise.all(commands.map((c) => runCli([c, '--help'])))
    runs.forEach((r, i) => {
      assert.equal(r.code, 0, `${commands[i]}: ${r.stderr}`)
      assert.match(r.stdout, new RegExp(`usage:\\s+astarte-device ${commands[i]}`))
    })
    const top = await runCli(['--help'])
    assert.equal(top.code, 0)
    assert.match(top.stdout, /connection flags \(send, watch\):[\s\S]*--ca FILE/)
    assert.match(top.stdout, /--version/)
  })
})

function runSandboxVersion(): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=@astarte-ts/source',
        '--import',
        'tsx',
        'sandbox/bin/astarte-sandbox.js',
        '--version',
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, out }))
  })
}

describe('config files and offline checks (no network)', () => {
  let tmp: string
  let unreachable: string
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'astarte-cli-errors-'))
    unreachable = `http://127.0.0.1:${await closedPort()}/pairing`
  })
  after(() => rm(tmp, { recursive: true, force: true }))

  test('a missing, malformed or wrong config file: exit 1, the file and the cause, no stack', async () => {
    const bad = join(tmp, 'bad.json')
    writeFileSync(bad, '{"realm": "test",')
    const wrong = join(tmp, 'wrong.json')
    writeFileSync(wrong, JSON.stringify({ realm: 'test', colour: 'red', storeDir: 3 }))
    const withConfig = (file: string) =>
      runCli(['send', '--config', file, '--interfaces', examples, 'a', '/b', '1'])
    const [missing, malformed, keys] = await Promise.all([
      withConfig(join(tmp, 'nope.json')),
      withConfig(bad),
      withConfig(wrong),
    ])
    for (const r of [missing, malformed, keys]) {
      assert.equal(r.code, 1, r.stderr)
      noStack(r.stderr)
      assert.equal(r.stderr.match(/astarte-device send:/g)?.length, 1, r.stderr)
    }
    assert.match(
      missing.stderr,
      /couldn't read the device config .*nope\.json: no such file \[local\.invalid_config\]/,
    )
    assert.match(malformed.stderr, /bad\.json: not valid json/)
    assert.match(keys.stderr, /unknown key 'colour'.*'storeDir' must be string/)
  })

  test('--debug adds the stack trace to the same failure', async () => {
    const r = await runCli(['send', '--debug', '--config', join(tmp, 'nope.json'), 'a', '/b', '1'])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /no such file[\s\S]*\n\s+at /)
  })

  test('a file without storeDir and interfaces is completed by flags; a missing setting names flag and key', async () => {
    const file = join(tmp, 'partial.json')
    writeFileSync(file, JSON.stringify({ realm: 'test', pairingUrl: unreachable }))
    const missing = await runCli(['send', '--config', file, 'a', '/b', '1'])
    assert.equal(missing.code, 2, missing.stderr)
    assert.match(
      missing.stderr,
      /--interfaces is required \(or "interfaces" in the --config file\)/,
    )
    // complete: the value is checked against the interfaces before any connection
    const r = await runCli([
      'send',
      '--config',
      file,
      '--device-id',
      'AJInS0w3VpWpuOqkXhgZdA',
      '--interfaces',
      examples,
      '--store',
      join(tmp, 'store'),
      'org.astarte-ts.examples.Telemetry',
      '/cpu/temperature',
      '41.5',
    ])
    assert.equal(r.code, 1, r.stderr)
    assert.match(
      r.stderr,
      /needs an explicit timestamp: give --timestamp ISO8601 \[missing_timestamp\]/,
    )
  })

  // a device whose Pairing API is unreachable: anything reported must come from offline checks
  const offline = (): string[] => [
    '--pairing-url',
    unreachable,
    '--realm',
    'test',
    '--device-id',
    'AJInS0w3VpWpuOqkXhgZdA',
    '--interfaces',
    examples,
    '--store',
    join(tmp, 'store'),
    '--timeout',
    '30',
  ]

  test('offline mistakes are reported as such, never as a timeout, each with its flag', async () => {
    const flags = offline()
    const value = ['org.astarte-ts.examples.Telemetry', '/cpu/temperature', '41.5']
    const at = ['--timestamp', '2026-01-01T00:00:00Z']
    const aFile = join(tmp, 'a-file')
    writeFileSync(aFile, '')
    const [iface, path, type, owner, noScheme, ca, stamp, store] = await Promise.all([
      runCli([
        'send',
        ...flags,
        'org.astarte-ts.examples.Telemetri',
        '/cpu/temperature',
        '1',
        ...at,
      ]),
      runCli(['send', ...flags, 'org.astarte-ts.examples.Telemetry', '/cpu', '1', ...at]),
      runCli([
        'send',
        ...flags,
        'org.astarte-ts.examples.Telemetry',
        '/cpu/temperature',
        '"hot"',
        ...at,
      ]),
      runCli(['send', ...flags, 'org.astarte-ts.examples.Settings', '/label', '"x"']),
      runCli(['send', ...flags, '--pairing-url', '127.0.0.1:4000/pairing', ...value, ...at]),
      runCli(['send', ...flags, '--ca', join(tmp, 'missing-ca.pem'), ...value, ...at]),
      runCli(['send', ...flags, ...value, '--timestamp', 'yesterday']),
      runCli(['send', ...flags, '--store', join(aFile, 'state'), ...value, ...at]),
    ])
    for (const r of [iface, path, type, owner, noScheme, ca, store]) {
      assert.equal(r.code, 1, r.stderr)
      assert.doesNotMatch(r.stderr, /in time|local\.timeout/)
      noStack(r.stderr)
    }
    assert.match(
      iface.stderr,
      /interface org\.astarte-ts\.examples\.Telemetri is not in --interfaces/,
    )
    assert.match(path.stderr, /Telemetry\/cpu: path "\/cpu" .*\[ambiguous_path\]/)
    assert.match(type.stderr, /expected a double/)
    assert.match(owner.stderr, /Settings is server-owned/)
    assert.match(
      noScheme.stderr,
      /--pairing-url '127\.0\.0\.1:4000\/pairing' is not an absolute http:\/\/ or https:\/\/ URL; did you mean http:\/\/127\.0\.0\.1:4000\/pairing/,
    )
    assert.match(ca.stderr, /--ca .*missing-ca\.pem: no such file/)
    assert.match(
      store.stderr,
      /--store .*a-file\/state: can't be created: .*a-file is not a directory/,
    )
    assert.equal(stamp.code, 2)
    assert.match(stamp.stderr, /--timestamp: timestamp 'yesterday' is not an ISO 8601 date-time/)
  })

  test('a value whose payload is over the broker limit is refused offline, with its size', async () => {
    // a valid string (Core takes up to 65 536 bytes) whose BSON payload is over 65 535 bytes
    const big = JSON.stringify('x'.repeat(65_530))
    const r = await runCli([
      'send',
      ...offline(),
      'org.astarte-ts.examples.DeviceStatus',
      '/firmwareVersion',
      big,
    ])
    assert.equal(r.code, 1, r.stderr)
    assert.match(
      r.stderr,
      /DeviceStatus\/firmwareVersion: the 65543-byte payload is over the 65535-byte limit \(maxPayloadBytes\) \[payload_too_large\]/,
    )
    assert.doesNotMatch(r.stderr, /in time|local\.timeout/)
  })

  test('payload encode names what it could not do', async () => {
    const iface = join(examples, 'org.astarte-ts.examples.Telemetry.json')
    const r = await runCli([
      'payload',
      'encode',
      '--interface',
      iface,
      '--path',
      '/cpu/temperature',
      '--value',
      '"hot"',
    ])
    assert.equal(r.code, 1)
    assert.match(
      r.stderr,
      /^astarte-device payload: couldn't encode the value for org\.astarte-ts\.examples\.Telemetry\/cpu\/temperature:/,
    )
  })
})

describe('against a sandbox', () => {
  let tmp: string
  let sandbox: Sandbox
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'astarte-cli-errors-sbx-'))
    sandbox = await startSandbox({
      dataDir: join(tmp, 'sandbox'),
      interfacesDir: examples,
      logger: { log: () => undefined },
    })
  })
  after(async () => {
    await sandbox?.stop()
    await rm(tmp, { recursive: true, force: true })
  })

  const register = (...extra: string[]) =>
    runCli(['register', '--pairing-url', sandbox.pairingUrl, '--realm', sandbox.realm, ...extra], {
      ASTARTE_PAIRING_JWT: sandbox.jwt,
    })

  test('pairing refusals name the status and the likely cause; a refused connection says so', async () => {
    const refused = `http://127.0.0.1:${await closedPort()}/pairing`
    const [realm, jwt, conn, ca] = await Promise.all([
      runCli(
        ['register', '--pairing-url', sandbox.pairingUrl, '--realm', 'nope', '--hardware-id', 'a'],
        { ASTARTE_PAIRING_JWT: sandbox.jwt },
      ),
      runCli(
        [
          'register',
          '--pairing-url',
          sandbox.pairingUrl,
          '--realm',
          sandbox.realm,
          '--hardware-id',
          'a',
        ],
        { ASTARTE_PAIRING_JWT: 'not.a.jwt' },
      ),
      runCli(['register', '--pairing-url', refused, '--realm', 'test', '--hardware-id', 'a'], {
        ASTARTE_PAIRING_JWT: sandbox.jwt,
      }),
      register('--hardware-id', 'a', '--ca', join(tmp, 'no-ca.pem')),
    ])
    for (const r of [realm, jwt, conn, ca]) {
      assert.equal(r.code, 1, r.stderr)
      noStack(r.stderr)
    }
    assert.match(
      realm.stderr,
      /http 403 Forbidden; the realm 'nope' doesn't exist on this Pairing API: check --realm \[remote\.pairing_forbidden\]/,
    )
    assert.match(
      jwt.stderr,
      /http 401 Invalid JWT token; the pairing JWT is missing, malformed, expired/,
    )
    assert.match(
      conn.stderr,
      /the connection was refused: nothing listens on .*\[remote\.connection_refused\]/,
    )
    assert.match(ca.stderr, /--ca .*no-ca\.pem: no such file/)
  })

  test('register --out: 0600, usable as --config; flags override it, the environment too', async () => {
    const out = join(tmp, 'device.json')
    const reg = await register('--hardware-id', 'board-7', '--ca', sandbox.caFile, '--out', out)
    assert.equal(reg.code, 0, reg.stderr)
    assert.equal(statSync(out).mode & 0o777, 0o600)
    const doc = JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>
    assert.ok(!reg.stdout.includes(doc.credentialsSecret as string))
    const send = (store: string, extra: string[], env: Record<string, string> = {}) =>
      runCli(
        [
          'send',
          '--config',
          out,
          '--interfaces',
          examples,
          '--store',
          join(tmp, store),
          ...extra,
          'org.astarte-ts.examples.Telemetry',
          '/cpu/temperature',
          '41.5',
          '--timestamp',
          '2026-11-22T10:00:00Z',
          '--timeout',
          '30',
        ],
        env,
      )
    const ok = await send('a', [])
    assert.equal(ok.code, 0, ok.stderr)
    assert.deepEqual(JSON.parse(ok.stdout), { sent: 1, failed: 0 })
    // the environment's secret wins over the file's: Pairing refuses it, and the realm exists
    const env = await send('b', [], { ASTARTE_CREDENTIALS_SECRET: 'd3Jvbmc=' })
    assert.equal(env.code, 1, env.stderr)
    assert.match(
      env.stderr,
      /http 403 Forbidden; the realm 'test' exists: the credentials secret is wrong/,
    )
    // the flag wins over both
    const flag = await send('c', ['--credentials-secret', doc.credentialsSecret as string], {
      ASTARTE_CREDENTIALS_SECRET: 'd3Jvbmc=',
    })
    assert.equal(flag.code, 0, flag.stderr)
  })

  test('a failed send is one line with one prefix', async () => {
    const out = join(tmp, 'device-2.json')
    assert.equal((await register('--hardware-id', 'board-8', '--out', out)).code, 0)
    const r = await runCli([
      'send',
      '--config',
      out,
      '--interfaces',
      examples,
      '--store',
      join(tmp, 'd'),
      '--timeout',
      '30',
      'org.astarte-ts.examples.Telemetry',
      '/cpu/temperature',
      '41.5',
      '--timestamp',
      '2026-11-22T10:00:00Z',
    ])
    assert.equal(r.code, 1)
    const lines = r.stderr.trim().split('\n')
    assert.equal(lines.length, 1, r.stderr)
    assert.equal(lines[0]?.match(/astarte-device send:/g)?.length, 1)
    assert.match(lines[0] ?? '', /not trusted.*--ca FILE/)
  })
})
