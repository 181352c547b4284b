/** `astarte-agent check-config`, `--help`, `--version` as a real process: output and exit codes. */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'

const agentDir = new URL('..', import.meta.url).pathname
const bin = join(agentDir, 'bin', 'astarte-agent.js')
const fixtures = join(agentDir, 'test', 'fixtures', 'config')
const tsx = import.meta.resolve('tsx')

function cli(args: string[], env: Record<string, string> = {}, cwd?: string) {
  const r = spawnSync(
    process.execPath,
    // tsx by its URL: resolved from here, not from a test's working directory
    ['--conditions=@astarte-ts/source', '--import', tsx, bin, ...args],
    {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '', ...env },
      ...(cwd === undefined ? {} : { cwd }),
    },
  )
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('astarte-agent check-config', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agent-cli-'))
  })
  after(() => rm(dir, { recursive: true, force: true }))

  test("edgehog-device-runtime's files and this agent's are valid: exit 0", () => {
    for (const name of [
      'edgehog-readme.toml',
      'edgehog-buildroot.toml',
      'edgehog-full.toml',
      'astarte-agent.toml',
    ]) {
      const r = cli(['check-config', join(fixtures, name)])
      assert.equal(r.code, 0, `${name}: ${r.stderr}`)
      assert.match(r.stdout, new RegExp(`${name}: ok`))
    }
  })

  test('the default configuration shipped for packagers is valid', () => {
    const r = cli(['check-config', join(agentDir, 'config', 'config.toml')])
    assert.equal(r.code, 0, r.stderr)
  })

  test('every problem printed with its key path: exit 1', async () => {
    const file = join(dir, 'bad.toml')
    await writeFile(
      file,
      'store_directory = "/s"\n[astarte_device_sdk]\nrelm = "r"\npairing_url = "https://x/pairing"\ncredentials_secret = "SECRET-VALUE"\n[[telemetry_config]]\ninterface_name = "a.B"\nperiod = "sixty"\n',
    )
    const r = cli(['check-config', file])
    assert.equal(r.code, 1)
    const lines = r.stderr.trim().split('\n')
    assert.deepEqual(lines, [
      `${file}: astarte_device_sdk.realm: required, missing`,
      `${file}: astarte_device_sdk.relm: unknown key`,
      `${file}: telemetry_config[0].period: must be an integer, not string`,
      `${file}: 3 problems`,
    ])
    assert.doesNotMatch(r.stderr + r.stdout, /SECRET-VALUE/)
  })

  test('a Message Hub configuration is valid for edgehog but not runnable here: exit 1', () => {
    const r = cli(['check-config', join(fixtures, 'edgehog-message-hub.toml')])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /astarte_library: astarte-agent connects to Astarte directly/)
  })

  test('the environment is applied as the daemon would', () => {
    const r = cli(['check-config', join(fixtures, 'edgehog-readme.toml')], {
      EDGEHOG_PAIRING_TOKEN: 'a.b.c',
    })
    assert.equal(r.code, 1)
    assert.match(r.stderr, /pairing_token: .*mutually exclusive \(from EDGEHOG_PAIRING_TOKEN\)/)
  })

  test('usage errors: exit 2', () => {
    for (const args of [
      ['check-config'],
      ['check-config', 'a', 'b'],
      ['--frobnicate'],
      ['--log-level', 'loud'],
    ]) {
      const r = cli(args)
      assert.equal(r.code, 2, args.join(' '))
      assert.match(r.stderr, /^astarte-agent: .*\nusage: astarte-agent/)
    }
  })

  test('--help and --version', () => {
    const help = cli(['--help'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /check-config FILE/)
    const version = cli(['--version'])
    assert.equal(version.code, 0)
    assert.match(version.stdout, /^astarte-agent \d+\.\d+\.\d+\n$/)
  })

  test('the daemon refuses an invalid configuration before touching anything: exit 1', async () => {
    const file = join(dir, 'daemon-bad.toml')
    await writeFile(
      file,
      `store_directory = "${join(dir, 'never')}"\n[astarte_device_sdk]\nrealm = "r"\n`,
    )
    const r = cli(['--config', file])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /^<3>.*astarte_device_sdk\.pairing_url: required, missing$/m)
  })

  test('the daemon run where no configuration file is found says where it looked: exit 1', async (t) => {
    if (existsSync('/etc/edgehog/config.toml')) {
      t.skip('this machine has /etc/edgehog/config.toml, which the daemon would read')
      return
    }
    const empty = await mkdtemp(join(dir, 'empty-'))
    const r = cli([], {}, empty)
    assert.equal(r.code, 1)
    const lines = r.stderr.split('\n')
    assert.equal(lines.pop(), '', 'the output ends with its last record')
    assert.match(
      lines[0] ?? '',
      /^<3>no configuration file: none of \.\/edgehog-config\.toml, \/etc\/edgehog\/config\.toml; give one with --config FILE/,
    )
    assert.ok(lines.includes('<3>the environment: store_directory: required, missing'), r.stderr)
    for (const line of lines) assert.match(line, /^<3>\S/)
  })
})
