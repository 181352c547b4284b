/**
 * The configuration: edgehog-device-runtime's example files parsed with its defaults, this
 * agent's sections, EDGEHOG_* overrides, the search order, and malformed files rejected with
 * every problem's key path.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import fc from 'fast-check'
import {
  loadConfig,
  parseToml,
  validateConfig,
  type AgentConfig,
  type ConfigProblem,
} from '../src/config/index.js'

const fixtures = new URL('./fixtures/config/', import.meta.url).pathname
const noEnv = {}

async function load(name: string, env: Record<string, string> = noEnv): Promise<AgentConfig> {
  const { result } = await loadConfig({ path: join(fixtures, name), env })
  if (!result.ok) assert.fail(`${name}: ${JSON.stringify(result.problems)}`)
  return result.config
}

function problemsOf(text: string, env: Record<string, string> = {}): ConfigProblem[] {
  const parsed = parseToml(text)
  if (!parsed.ok) return [parsed.problem]
  const result = validateConfig(parsed.doc, new Map(Object.entries(env)))
  return result.ok ? [] : [...result.problems]
}

const minimal = `
store_directory = "/var/lib/edgehog"
[astarte_device_sdk]
realm = "r"
pairing_url = "https://api.example.com/pairing"
`

describe("edgehog-device-runtime's configurations", () => {
  test('the documented file: every key read, the defaults of the sections it omits', async () => {
    const c = await load('edgehog-readme.toml')
    assert.equal(c.astarteLibrary, 'astarte-device-sdk')
    assert.equal(c.interfacesDirectory, '/usr/share/edgehog/astarte-interfaces/')
    assert.equal(c.storeDirectory, '/var/lib/edgehog/')
    assert.equal(c.downloadDirectory, '/var/tmp/edgehog-updates/')
    assert.deepEqual(c.astarteDeviceSdk, {
      realm: 'examplerealm',
      pairingUrl: 'https://api.astarte.example.com/pairing',
      deviceId: '7fu5NfU0SwW6_3GY2S27Bw',
      credentialsSecret: 'DdAw2m7N7ENu36jK9yW8bQ1hKZjkWFmk5FhcZQLxEKw=',
      ignoreSsl: false,
    })
    assert.deepEqual(c.telemetryConfig, [
      { interfaceName: 'io.edgehog.devicemanager.SystemStatus', enabled: true, period: 60 },
      { interfaceName: 'io.edgehog.devicemanager.StorageUsage', enabled: true, period: 60 },
    ])
    assert.deepEqual(c.ota, {
      enabled: true,
      reboot: 'default',
      streaming: false,
      adapter: 'rauc',
      rauc: { dbusSocket: 'system' },
    })
    assert.deepEqual(c.containers, { enabled: true, required: false })
    assert.deepEqual(c.fileTransfer, {
      enabled: true,
      storageDir: '/var/lib/edgehog//file-store',
      storageReserved: 20,
    })
    assert.deepEqual(c.service, { enabled: false })
  })

  test('the Buildroot file: a pairing token, an empty device id (the hardware id decides)', async () => {
    const c = await load('edgehog-buildroot.toml')
    assert.equal(c.astarteDeviceSdk?.deviceId, undefined)
    assert.equal(c.astarteDeviceSdk?.credentialsSecret, undefined)
    assert.match(c.astarteDeviceSdk?.pairingToken ?? '', /^eyJ/)
    assert.equal(c.astarteDeviceSdk?.ignoreSsl, true)
    assert.equal(c.downloadDirectory, '/var/lib/edgehog/download')
  })

  test('the Message Hub file parses (the CLI, not the parser, refuses to run it)', async () => {
    const c = await load('edgehog-message-hub.toml')
    assert.equal(c.astarteLibrary, 'astarte-message-hub')
    assert.deepEqual(c.astarteMessageHub, { endpoint: 'http://[::1]:50051' })
    assert.equal(c.astarteDeviceSdk, undefined)
  })

  test('every section of 0.12 with non-default values', async () => {
    const c = await load('edgehog-full.toml')
    assert.deepEqual(c.ota, {
      enabled: true,
      reboot: 'external',
      streaming: true,
      adapter: 'rauc',
      rauc: { dbusSocket: 'session' },
    })
    assert.deepEqual(c.containers, { enabled: false, required: false, maxRetries: 5 })
    assert.deepEqual(c.fileTransfer, {
      enabled: true,
      storageDir: '/data/edgehog/file-store',
      storageReserved: 10,
    })
    assert.deepEqual(c.service, {
      enabled: true,
      listener: { unix: '/run/edgehog/edgehog-device-runtime.sock' },
    })
    assert.deepEqual(c.telemetryConfig[1], {
      interfaceName: 'io.edgehog.devicemanager.BatteryStatus',
      enabled: false,
    })
  })

  test("this agent's sections beside edgehog's", async () => {
    const c = await load('astarte-agent.toml')
    assert.deepEqual(c.agent, {
      logLevel: 'debug',
      caFile: '/etc/ssl/certs/astarte-ca.pem',
      shutdownTimeoutSeconds: 5,
    })
    assert.deepEqual(c.hardware, {
      serialNumber: 'SN-0042',
      partNumber: 'PN-BOARD-7',
      leds: [
        { id: 'indicator', type: 'sysfs', name: 'led0' },
        { id: 'status', type: 'gpio', line: 17, activeLow: true },
        { id: 'demo', type: 'simulated' },
      ],
    })
    assert.deepEqual(c.baseImage, { name: 'acme-os', version: '2.1.0+build.7' })
    assert.deepEqual(c.reboot, { command: ['/usr/sbin/reboot', '--force'] })
  })

  test('defaults of a minimal file', () => {
    const parsed = parseToml(minimal)
    assert.ok(parsed.ok)
    const result = validateConfig(parsed.doc)
    assert.ok(result.ok)
    assert.deepEqual(result.config.agent, { logLevel: 'info', shutdownTimeoutSeconds: 10 })
    assert.deepEqual(result.config.reboot, { command: ['systemctl', 'reboot'] })
    assert.deepEqual(result.config.hardware, { leds: [] })
    assert.deepEqual(result.config.telemetryConfig, [])
  })
})

describe('malformed configurations are rejected with the key path', () => {
  const cases: [string, string, string, RegExp][] = [
    ['a misspelt key', `${minimal}relm = "x"\n`, 'astarte_device_sdk.relm', /unknown key/],
    ['an unknown top-level key', `colour = "red"\n${minimal}`, 'colour', /unknown key/],
    [
      'a period given as a string',
      `${minimal}[[telemetry_config]]\ninterface_name = "io.edgehog.devicemanager.SystemStatus"\nperiod = "60"\n`,
      'telemetry_config[0].period',
      /integer/,
    ],
    [
      'a negative period',
      `${minimal}[[telemetry_config]]\ninterface_name = "a.B"\nperiod = -1\n`,
      'telemetry_config[0].period',
      /between 0/,
    ],
    [
      'telemetry_config as one table',
      `${minimal}[telemetry_config]\ninterface_name = "a.B"\n`,
      'telemetry_config',
      /array of tables/,
    ],
    [
      'a telemetry entry without its interface',
      `${minimal}[[telemetry_config]]\nenabled = true\n`,
      'telemetry_config[0].interface_name',
      /required/,
    ],
    [
      'the same interface configured twice',
      `${minimal}[[telemetry_config]]\ninterface_name = "a.B"\n[[telemetry_config]]\ninterface_name = "a.B"\n`,
      'telemetry_config[1].interface_name',
      /already configured by telemetry_config\[0\]/,
    ],
    [
      'a secret and a token',
      `${minimal}credentials_secret = "s"\npairing_token = "t"\n`,
      'astarte_device_sdk.pairing_token',
      /mutually exclusive/,
    ],
    [
      'no realm',
      `store_directory = "/s"\n[astarte_device_sdk]\npairing_url = "https://x/pairing"\n`,
      'astarte_device_sdk.realm',
      /required/,
    ],
    [
      'no store directory',
      `[astarte_device_sdk]\nrealm = "r"\npairing_url = "https://x/pairing"\n`,
      'store_directory',
      /required/,
    ],
    ['no [astarte_device_sdk]', `store_directory = "/s"\n`, 'astarte_device_sdk', /required/],
    [
      'a pairing url that is no URL',
      `store_directory = "/s"\n[astarte_device_sdk]\nrealm = "r"\npairing_url = "api/pairing"\n`,
      'astarte_device_sdk.pairing_url',
      /http\(s\) URL/,
    ],
    [
      'a pairing url ending in the API version, which the agent adds',
      `store_directory = "/s"\n[astarte_device_sdk]\nrealm = "r"\npairing_url = "https://api.example.com/pairing/v1/"\n`,
      'astarte_device_sdk.pairing_url',
      /without \/v1 \(https:\/\/api\.<host>\/pairing\)/,
    ],
    [
      'a device id that is not one',
      `${minimal}device_id = "my-device"\n`,
      'astarte_device_sdk.device_id',
      /base64/,
    ],
    [
      'ignore_ssl as a string',
      `${minimal}ignore_ssl = "yes"\n`,
      'astarte_device_sdk.ignore_ssl',
      /boolean/,
    ],
    [
      'an unknown reboot mode',
      `${minimal}[ota]\nreboot = "now"\n`,
      'ota.reboot',
      /"default", "external"/,
    ],
    [
      'the directory adapter without its [ota.directory]',
      `${minimal}[ota]\nadapter = "directory"\n`,
      'ota.directory',
      /required when adapter is "directory"/,
    ],
    [
      'an [ota.directory] without its compatible string',
      `${minimal}[ota]\nadapter = "directory"\n[ota.directory]\nroot = "/data/ab"\n`,
      'ota.directory.compatible',
      /required/,
    ],
    [
      'an unknown RAUC bus',
      `${minimal}[ota.rauc]\ndbus_socket = "user"\n`,
      'ota.rauc.dbus_socket',
      /one of/,
    ],
    [
      'a reserve above 100 %',
      `${minimal}[file_transfer]\nstorage_reserved = 150\n`,
      'file_transfer.storage_reserved',
      /between 0 and 100/,
    ],
    [
      'a listener with both sockets',
      `${minimal}[service.listener]\nunix = "/s"\nsocket = "127.0.0.1:1"\n`,
      'service.listener',
      /exactly one/,
    ],
    [
      'a LED without a type',
      `${minimal}[[hardware.leds]]\nid = "indicator"\n`,
      'hardware.leds[0].type',
      /required/,
    ],
    [
      'a GPIO LED without its line',
      `${minimal}[[hardware.leds]]\nid = "indicator"\ntype = "gpio"\n`,
      'hardware.leds[0].line',
      /required/,
    ],
    [
      'a sysfs LED name with a slash',
      `${minimal}[[hardware.leds]]\nid = "i"\ntype = "sysfs"\nname = "../../power/state"\n`,
      'hardware.leds[0].name',
      /LED name/,
    ],
    [
      'a LED declared twice',
      `${minimal}[[hardware.leds]]\nid = "i"\ntype = "simulated"\n[[hardware.leds]]\nid = "i"\ntype = "simulated"\n`,
      'hardware.leds[1].id',
      /twice/,
    ],
    [
      'an unknown log level',
      `${minimal}[agent]\nlog_level = "trace"\n`,
      'agent.log_level',
      /one of/,
    ],
    ['an empty reboot command', `${minimal}[reboot]\ncommand = []\n`, 'reboot.command', /argv/],
  ]
  for (const [name, text, path, message] of cases) {
    test(name, () => {
      const problems = problemsOf(text)
      const found = problems.find((p) => p.path === path)
      assert.ok(found, `no problem at ${path}: ${JSON.stringify(problems)}`)
      assert.match(found.message, message)
    })
  }

  test('every problem of a file is reported, not only the first', () => {
    const problems = problemsOf(
      `store_directory = 3\n[astarte_device_sdk]\nrealm = ""\npairing_url = "https://x/p"\nfoo = 1\n[ota]\nenabled = "yes"\n`,
    )
    assert.deepEqual(problems.map((p) => p.path).sort(), [
      'astarte_device_sdk.foo',
      'astarte_device_sdk.realm',
      'ota.enabled',
      'store_directory',
    ])
  })

  test('a TOML syntax error names its line and column', () => {
    const [problem, ...rest] = problemsOf(`store_directory = "/s\n[astarte_device_sdk]\n`)
    assert.equal(rest.length, 0)
    assert.equal(problem?.path, '')
    assert.match(problem?.message ?? '', /^invalid TOML at line 1, column \d+/)
  })

  test('secrets never appear in a problem', () => {
    const problems = problemsOf(
      `${minimal}credentials_secret = "TOP-SECRET-VALUE"\npairing_token = "TOP-SECRET-JWT"\n`,
    )
    assert.ok(problems.length > 0)
    assert.doesNotMatch(JSON.stringify(problems), /TOP-SECRET/)
  })

  test('property: any unknown key, at the root or in a section, is named', () => {
    const known = new Set([
      'astarte_library',
      'interfaces_directory',
      'store_directory',
      'download_directory',
      'astarte_device_sdk',
      'astarte_message_hub',
      'telemetry_config',
      'ota',
      'containers',
      'file_transfer',
      'service',
      'agent',
      'hardware',
      'base_image',
      'reboot',
      'realm',
      'pairing_url',
      'device_id',
      'credentials_secret',
      'pairing_token',
      'ignore_ssl',
    ])
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z_]{0,15}$/).filter((k) => !known.has(k)),
        fc.constantFrom('', 'astarte_device_sdk'),
        fc.oneof(fc.integer(), fc.boolean(), fc.string()),
        (key, section, value) => {
          const doc: Record<string, Record<string, unknown> | unknown> = {
            store_directory: '/s',
            astarte_device_sdk: { realm: 'r', pairing_url: 'https://x/pairing' },
          }
          if (section === '') doc[key] = value
          else (doc[section] as Record<string, unknown>)[key] = value
          const result = validateConfig(doc as Record<string, unknown>)
          const path = section === '' ? key : `${section}.${key}`
          return (
            !result.ok &&
            result.problems.length === 1 &&
            result.problems[0]?.path === path &&
            result.problems[0].message === 'unknown key'
          )
        },
      ),
    )
  })
})

describe('EDGEHOG_* overrides and the search order', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agent-config-'))
  })
  after(() => rm(dir, { recursive: true, force: true }))

  test("the environment overrides the file's keys", async () => {
    const c = await load('edgehog-readme.toml', {
      EDGEHOG_REALM: 'otherrealm',
      EDGEHOG_STORE_DIR: '/data/edgehog',
      EDGEHOG_INTERFACES_DIR: '/opt/interfaces',
      EDGEHOG_IGNORE_SSL: 'true',
      EDGEHOG_PAIRING_URL: 'https://other.example.com/pairing',
      EDGEHOG_DEVICE_ID: 'AAAAAAAAAAAAAAAAAAAAAA',
      EDGEHOG_SYSTEM_SERIAL_NUMBER: 'SN-ENV',
      EDGEHOG_SYSTEM_PART_NUMBER: 'PN-ENV',
      EDGEHOG_IMAGE_ID: 'env-os',
      EDGEHOG_IMAGE_VERSION: '3.0.0',
      ASTARTE_AGENT_LOG_LEVEL: 'warn',
    })
    assert.equal(c.astarteDeviceSdk?.realm, 'otherrealm')
    assert.equal(c.astarteDeviceSdk?.pairingUrl, 'https://other.example.com/pairing')
    assert.equal(c.astarteDeviceSdk?.deviceId, 'AAAAAAAAAAAAAAAAAAAAAA')
    assert.equal(c.astarteDeviceSdk?.ignoreSsl, true)
    assert.equal(c.storeDirectory, '/data/edgehog')
    assert.equal(c.interfacesDirectory, '/opt/interfaces')
    assert.equal(c.hardware.serialNumber, 'SN-ENV')
    assert.equal(c.hardware.partNumber, 'PN-ENV')
    assert.deepEqual(c.baseImage, { name: 'env-os', version: '3.0.0' })
    assert.equal(c.agent.logLevel, 'warn')
  })

  test('a pairing token from the environment beside a secret in the file is refused', async () => {
    const { result } = await loadConfig({
      path: join(fixtures, 'edgehog-readme.toml'),
      env: { EDGEHOG_PAIRING_TOKEN: 'a.b.c' },
    })
    assert.ok(!result.ok)
    assert.deepEqual(result.problems, [
      {
        path: 'astarte_device_sdk.pairing_token',
        message:
          'credentials_secret and pairing_token are mutually exclusive (from EDGEHOG_PAIRING_TOKEN)',
      },
    ])
  })

  test('a bad override names its variable', async () => {
    const { result } = await loadConfig({
      path: join(fixtures, 'edgehog-readme.toml'),
      env: { EDGEHOG_IGNORE_SSL: 'maybe' },
    })
    assert.ok(!result.ok)
    assert.equal(result.problems[0]?.path, 'astarte_device_sdk.ignore_ssl')
    assert.match(result.problems[0]?.message ?? '', /from EDGEHOG_IGNORE_SSL/)
  })

  test('no file at all: the environment alone configures the agent', async () => {
    const { source, result } = await loadConfig({
      cwd: dir,
      searchPath: ['./edgehog-config.toml', join(dir, 'absent.toml')],
      env: {
        EDGEHOG_STORE_DIR: '/s',
        EDGEHOG_REALM: 'r',
        EDGEHOG_PAIRING_URL: 'https://x/pairing',
        EDGEHOG_PAIRING_TOKEN: 'a.b.c',
      },
    })
    assert.equal(source, undefined)
    assert.ok(result.ok)
    assert.equal(result.config.astarteDeviceSdk?.pairingToken, 'a.b.c')
  })

  test('./edgehog-config.toml comes before the system file; --config before both', async () => {
    const system = join(dir, 'system.toml')
    await writeFile(system, minimal.replace('realm = "r"', 'realm = "system"'))
    const search = ['./edgehog-config.toml', system]
    let loaded = await loadConfig({ cwd: dir, searchPath: search, env: noEnv })
    assert.equal(loaded.source, system)
    await writeFile(
      join(dir, 'edgehog-config.toml'),
      minimal.replace('realm = "r"', 'realm = "cwd"'),
    )
    loaded = await loadConfig({ cwd: dir, searchPath: search, env: noEnv })
    assert.equal(loaded.source, join(dir, 'edgehog-config.toml'))
    assert.ok(loaded.result.ok && loaded.result.config.astarteDeviceSdk?.realm === 'cwd')
    const given = join(dir, 'given.toml')
    await writeFile(given, minimal.replace('realm = "r"', 'realm = "given"'))
    loaded = await loadConfig({ path: given, cwd: dir, searchPath: search, env: noEnv })
    assert.ok(loaded.result.ok && loaded.result.config.astarteDeviceSdk?.realm === 'given')
  })

  test('a --config file that is missing is a problem, not a fallback', async () => {
    const { result } = await loadConfig({ path: join(dir, 'nope.toml'), env: noEnv })
    assert.ok(!result.ok)
    assert.match(result.problems[0]?.message ?? '', /no such file/)
  })
})
