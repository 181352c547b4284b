/**
 * `astarte-device provision` spawned from sources against a real sandbox: the bundle in every
 * form, a device that connects from it and renews from the stored CSR without making a key, and
 * batches that resume after a kill without registering a board twice.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto'
import { readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { deviceIdFromUuidV5, type CryptoProvider } from '@astarte-ts/sdk-core'
import {
  BUNDLE_FILES,
  ESPRUINO_STORAGE_FILE,
  checkBundle,
  nodeCryptoProvider,
  Device,
  type CredentialsBundle,
} from '../src/index.js'
import { DEFAULT_DEVICE_ID_NAMESPACE } from '../src/config/options.js'
import { cliBin, runCli, spawnTs } from './e2e/cli.js'
import { createCa } from './helpers/pki.js'
import { eventually, quiet, startEnv, testInterfacesDir, type E2eEnv } from './e2e/helpers.js'

const VALUES = 'org.astarte-ts.test.DeviceValues'
let env: E2eEnv
const registered: string[] = []
const issued: string[] = []
before(async () => {
  env = await startEnv({
    // short certificates, so the device renews within the test (see renewal.e2e.test.ts)
    certLifetimeSec: 30,
    logger: {
      log: (_level, message, ctx) => {
        if (message === 'device registered') registered.push(String(ctx?.deviceId))
        if (message === 'certificate issued') issued.push(String(ctx?.deviceId))
      },
    },
  })
})
after(async () => {
  await env?.stop()
})

const count = (list: readonly string[], deviceId: string): number =>
  list.filter((d) => d === deviceId).length
const base = (out: string): string[] => [
  'provision',
  '--pairing-url',
  env.sandbox.pairingUrl,
  '--realm',
  env.sandbox.realm,
  '--out',
  out,
  '--ca',
  env.sandbox.caFile,
]
const jwtEnv = (): Record<string, string> => ({ ASTARTE_PAIRING_JWT: env.sandbox.jwt })

async function modesUnder(dir: string): Promise<string[]> {
  const wrong: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name)
    const mode = (await stat(path)).mode & 0o777
    if (mode !== (entry.isDirectory() ? 0o700 : 0o600)) wrong.push(`${path} ${mode.toString(8)}`)
  }
  return wrong
}

test('provision writes one valid bundle in every form, 0600, and prints no secret', async () => {
  const out = await env.storeDir()
  const hardwareId = 'line-1-board-0001'
  const r = await runCli([...base(out), '--hardware-id', hardwareId], jwtEnv())
  assert.equal(r.code, 0, r.stderr)
  const deviceId = deviceIdFromUuidV5(DEFAULT_DEVICE_ID_NAMESPACE, hardwareId)
  const dir = join(out, deviceId)
  assert.deepEqual(JSON.parse(r.stdout), { deviceId, dir, outcome: 'provisioned' })
  assert.deepEqual(await modesUnder(dir), [])

  const bundle = checkBundle(
    JSON.parse(await readFile(join(dir, BUNDLE_FILES.canonical), 'utf8')),
    'bundle',
  )
  assert.equal(bundle.hardwareId, hardwareId)
  assert.equal(bundle.caPem, env.sandbox.caPem)
  const cert = new X509Certificate(bundle.certificatePem)
  assert.ok(cert.verify(new X509Certificate(env.sandbox.caPem).publicKey))
  assert.equal(
    createPrivateKey(bundle.privateKeyPem).asymmetricKeyDetails?.namedCurve,
    'prime256v1',
  )
  for (const secret of [env.sandbox.jwt, bundle.credentialsSecret, bundle.privateKeyPem]) {
    assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret))
  }

  // Moddable: every value fits a preference; the DER values are the bundle's PEMs
  const prefs = JSON.parse(await readFile(join(dir, BUNDLE_FILES.moddable), 'utf8')) as {
    domain: string
    values: Record<string, string | { base64: string }>
  }
  assert.equal(prefs.domain, 'astarte')
  assert.equal(prefs.values.secret, bundle.credentialsSecret)
  const der = (key: string): Buffer =>
    Buffer.from((prefs.values[key] as { base64: string }).base64, 'base64')
  assert.ok(new X509Certificate(der('cert')).publicKey.equals(cert.publicKey))
  assert.equal(
    createPrivateKey({ key: der('key'), format: 'der', type: 'pkcs8' }).export({
      format: 'pem',
      type: 'pkcs8',
    }),
    bundle.privateKeyPem,
  )
  for (const [key, value] of Object.entries(prefs.values)) {
    assert.ok(key.length <= 15, key)
    assert.ok((typeof value === 'string' ? value.length : der(key).length) <= 4000, key)
  }

  // Espruino: the script, run in a real ES5 engine, writes the bundle into Storage
  const script = await readFile(join(dir, BUNDLE_FILES.espruino), 'utf8')
  const shim =
    'var written = {};' +
    'function require(name) { if (name !== "Storage") throw new Error(name);' +
    ' return { write: function (file, data) { written[file] = data } } }\n' +
    script +
    `print(written[${JSON.stringify(ESPRUINO_STORAGE_FILE)}]);`
  const scriptFile = join(out, 'espruino-check.js')
  await writeFile(scriptFile, shim)
  const engine = spawnSync('mujs', [scriptFile], { encoding: 'utf8' })
  assert.equal(engine.status, 0, engine.stderr)
  const stored = JSON.parse(engine.stdout) as Omit<CredentialsBundle, 'format'>
  const { format: _format, ...rest } = bundle
  assert.deepEqual(stored, rest)
})

test('a second run finds the bundle and asks nothing of Astarte, with no JWT at hand', async () => {
  const out = await env.storeDir()
  const first = await runCli([...base(out), '--hardware-id', 'line-1-board-0002'], jwtEnv())
  assert.equal(first.code, 0, first.stderr)
  const { deviceId } = JSON.parse(first.stdout) as { deviceId: string }
  const again = await runCli([...base(out), '--hardware-id', 'line-1-board-0002'])
  assert.equal(again.code, 0, again.stderr)
  assert.equal((JSON.parse(again.stdout) as { outcome: string }).outcome, 'already_provisioned')
  assert.equal(count(registered, deviceId), 1)
  assert.equal(count(issued, deviceId), 1)
})

test('a Pairing API that refused the connection registered nothing: the next run is no re-registration', async () => {
  const out = await env.storeDir()
  const down = await runCli(
    [
      'provision',
      '--pairing-url',
      'http://127.0.0.1:1/pairing',
      '--realm',
      env.sandbox.realm,
      '--out',
      out,
      '--hardware-id',
      'line-2-board-0001',
    ],
    jwtEnv(),
  )
  assert.equal(down.code, 1)
  assert.match(down.stderr, /\[remote\.connection_refused\]/)
  const r = await runCli([...base(out), '--hardware-id', 'line-2-board-0001'], jwtEnv())
  assert.equal(r.code, 0, r.stderr)
  const result = JSON.parse(r.stdout) as { deviceId: string; outcome: string; reregistered?: true }
  // the key made by the first run is kept: resumed, and no registration is counted twice
  assert.equal(result.outcome, 'resumed')
  assert.equal(result.reregistered, undefined)
  assert.equal(count(registered, result.deviceId), 1)
})

test('--key rsa-2048: an RSA key for TLS stacks without ECDSA, in every form', async () => {
  const out = await env.storeDir()
  const r = await runCli(
    [...base(out), '--hardware-id', 'espruino-7', '--key', 'rsa-2048'],
    jwtEnv(),
  )
  assert.equal(r.code, 0, r.stderr)
  const { dir } = JSON.parse(r.stdout) as { dir: string }
  const bundle = checkBundle(
    JSON.parse(await readFile(join(dir, BUNDLE_FILES.canonical), 'utf8')),
    'bundle',
  )
  const key = createPrivateKey(bundle.privateKeyPem)
  assert.equal(key.asymmetricKeyType, 'rsa')
  assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048)
  const prefs = JSON.parse(await readFile(join(dir, BUNDLE_FILES.moddable), 'utf8')) as {
    values: Record<string, string | { base64: string }>
  }
  const der = Buffer.from((prefs.values.key as { base64: string }).base64, 'base64')
  assert.ok(der.length > 1000 && der.length <= 4000, `${der.length} B`)

  const bad = await runCli([...base(out), '--hardware-id', 'x', '--key', 'dsa'], jwtEnv())
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /--key is ec-p256 or rsa-2048, not 'dsa'/)
})

test('the device connects from the bundle and renews from the stored CSR: no key is made', async () => {
  const out = await env.storeDir()
  const r = await runCli([...base(out), '--hardware-id', 'line-1-board-0003'], jwtEnv())
  assert.equal(r.code, 0, r.stderr)
  const { deviceId, dir } = JSON.parse(r.stdout) as { deviceId: string; dir: string }
  const bundle = JSON.parse(
    await readFile(join(dir, BUNDLE_FILES.canonical), 'utf8'),
  ) as CredentialsBundle
  // what a chip's runtime does: answer the renewal's key request with the provisioned key + CSR
  const asked: string[] = []
  const stored: CryptoProvider = {
    createKeyAndCsr: async (_algorithm, commonName) => {
      asked.push(commonName)
      return { privateKeyPem: bundle.privateKeyPem, csrPem: bundle.csrPem }
    },
    parseCertificate: (pem) => nodeCryptoProvider.parseCertificate(pem),
  }
  const device = await Device.open({
    realm: bundle.realm,
    deviceId,
    pairingUrl: bundle.pairingUrl,
    credentialsSecret: bundle.credentialsSecret,
    storeDir: join(dir, BUNDLE_FILES.node),
    caPem: env.sandbox.caPem,
    interfaces: [testInterfacesDir],
    logger: quiet,
    ports: { crypto: stored },
  })
  try {
    await device.connect({ signal: AbortSignal.timeout(20_000) })
    let n = 0
    const timestamp = new Date()
    while (count(issued, deviceId) < 2 && n < 400) {
      await device.send(VALUES, '/provisioned/integer', n++, { timestamp })
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    assert.equal(count(issued, deviceId), 2, 'the certificate was renewed')
    assert.deepEqual(asked, [`${bundle.realm}/${deviceId}`])
    // the sandbox counts the certificate when it issues it, before the device has stored it
    const renewed = await eventually(
      'the renewed certificate stored',
      () => readFile(join(dir, BUNDLE_FILES.node, deviceId, 'device.crt'), 'utf8'),
      (pem) => pem !== bundle.certificatePem,
      15_000,
    )
    await eventually(
      'online again',
      () => device.state,
      (s) => s === 'online',
      15_000,
    )
    assert.ok(
      new X509Certificate(renewed).publicKey.equals(createPublicKey(bundle.privateKeyPem)),
      'the renewed certificate is for the provisioned key',
    )
    await device.send(VALUES, '/provisioned/integer', n++, { timestamp })
    const { data } = await eventually(
      'every value in AppEngine',
      () => env.api('GET', `devices/${deviceId}/interfaces/${VALUES}/provisioned/integer`),
      (res) => Array.isArray(res.data) && res.data.length >= n,
      // the backlog of the renewal (QoS 2, up to 400 values) drains slowly on a loaded machine
      60_000,
    )
    assert.deepEqual(
      (data as { value: number }[]).map((v) => v.value),
      Array.from({ length: n }, (_, i) => i),
    )
  } finally {
    await device.close()
  }
})

type Audit = { hardwareId: string; deviceId: string; outcome: string; reregistered?: true }

async function batchFixture(size: number, prefix: string) {
  const out = await env.storeDir()
  const ids = Array.from({ length: size }, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`)
  const csv = join(out, 'ids.csv')
  await writeFile(csv, `hardware_id\n${ids.join('\n')}\n`)
  const jwtFile = join(out, 'jwt')
  await writeFile(jwtFile, env.sandbox.jwt, { mode: 0o600 })
  const args = [...base(out), '--batch', csv, '--jwt-file', jwtFile, '--concurrency', '8']
  const audit = join(out, 'audit.jsonl')
  const lines = async (): Promise<Audit[]> =>
    (await readFile(audit, 'utf8').catch(() => ''))
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Audit)
  const deviceIds = ids.map((hw) => deviceIdFromUuidV5(DEFAULT_DEVICE_ID_NAMESPACE, hw))
  return { out, args: [...args, '--rate', '500'], audit, lines, deviceIds }
}

/** Runs the batch, stops it with `signal` once half the boards are done, then runs it again. */
async function stopAndResume(size: number, prefix: string, signal: NodeJS.Signals) {
  const f = await batchFixture(size, prefix)
  const first = spawnTs(cliBin, f.args)
  try {
    // a deadline, not a speed goal: a loaded CI machine provisions a few boards a second
    await eventually(
      'half the boards done',
      async () => (await f.lines()).length,
      (done) => done >= size / 2,
      600_000,
    )
  } finally {
    first.child.kill(signal)
  }
  const firstCode = await first.exited
  const afterStop = (await f.lines()).length
  const second = await runCli(f.args)
  assert.equal(second.code, 0, second.stderr)
  const summary = JSON.parse(second.stdout) as Record<
    'total' | 'failed' | 'provisioned' | 'resumed' | 'alreadyProvisioned' | 'reregistered',
    number
  >
  assert.equal(summary.total, size)
  assert.equal(summary.failed, 0)
  // a board whose bundle was written just before the stop, its audit line not yet: done all the same
  assert.ok(
    summary.alreadyProvisioned >= afterStop && summary.alreadyProvisioned <= afterStop + 8,
    `${summary.alreadyProvisioned} already provisioned, ${afterStop} in the audit at the stop`,
  )
  assert.equal(summary.provisioned + summary.resumed + summary.alreadyProvisioned, size)
  for (const deviceId of f.deviceIds) {
    const doc: unknown = JSON.parse(
      await readFile(join(f.out, deviceId, BUNDLE_FILES.canonical), 'utf8'),
    )
    checkBundle(doc, deviceId)
  }
  const text = await readFile(f.audit, 'utf8')
  assert.ok(!text.includes(env.sandbox.jwt))
  assert.ok(!/credentialsSecret|PRIVATE KEY|BEGIN/.test(text))
  const lines = await f.lines()
  assert.equal(new Set(lines.map((l) => l.hardwareId)).size, size)
  return { firstCode, summary, lines, deviceIds: f.deviceIds }
}

test('a batch of 1,000 killed half-way resumes: a board is registered twice only when the kill caught its registration in flight, and says so', async () => {
  const { summary, lines, deviceIds } = await stopAndResume(1000, 'factory-k', 'SIGKILL')
  const flagged = new Set(lines.filter((l) => l.reregistered === true).map((l) => l.deviceId))
  const twice = deviceIds.filter((d) => count(registered, d) !== 1)
  assert.deepEqual(twice.sort(), [...flagged].sort())
  assert.ok(twice.every((d) => count(registered, d) === 2))
  // at most the boards in flight at the kill (--concurrency 8)
  assert.ok(summary.reregistered <= 8 && summary.reregistered === flagged.size)
})

test('a batch stopped with SIGTERM finishes the boards in flight: none is registered twice', async () => {
  const { firstCode, summary, deviceIds } = await stopAndResume(120, 'factory-t', 'SIGTERM')
  assert.equal(firstCode, 1, 'the stopped run reports boards not started')
  assert.equal(summary.reregistered, 0)
  assert.deepEqual(
    deviceIds.filter((d) => count(registered, d) !== 1),
    [],
  )
})

test('bad input: a repeated id, a missing JWT, conflicting flags', async () => {
  const out = await env.storeDir()
  const csv = join(out, 'dup.csv')
  await writeFile(csv, 'a\nb\na\n')
  const dup = await runCli([...base(out), '--batch', csv], jwtEnv())
  assert.equal(dup.code, 1)
  assert.match(dup.stderr, /dup\.csv:3: hardware id 'a' repeats line 1/)

  const noJwt = await runCli([...base(out), '--hardware-id', 'never-registered'])
  assert.equal(noJwt.code, 1)
  assert.match(noJwt.stderr, /give --jwt, --jwt-file or env ASTARTE_PAIRING_JWT/)

  const both = await runCli([...base(out), '--hardware-id', 'x', '--device-id', 'y'])
  assert.equal(both.code, 2)
  assert.match(both.stderr, /exactly one of --hardware-id, --device-id and --batch/)
})

test('send --config takes the bundle: the provisioned device sends from its node-store, no key made', async () => {
  const out = await env.storeDir()
  const r = await runCli([...base(out), '--hardware-id', 'line-1-board-0004'], jwtEnv())
  assert.equal(r.code, 0, r.stderr)
  const { deviceId, dir } = JSON.parse(r.stdout) as { deviceId: string; dir: string }
  const bundleFile = join(dir, BUNDLE_FILES.canonical)
  const keyFile = join(dir, BUNDLE_FILES.node, deviceId, 'device.key')
  const key = await readFile(keyFile, 'utf8')
  const timestamp = '2026-11-22T10:00:00Z'
  // `astarte-device send` as from the factory's host: the bundle as the device config
  const sendFrom = (config: string, value: string, extra: readonly string[] = []) =>
    runCli([
      'send',
      '--config',
      config,
      ...extra,
      '--interfaces',
      testInterfacesDir,
      '--timeout',
      '30',
      VALUES,
      '/bundle/integer',
      value,
      '--timestamp',
      timestamp,
    ])
  const send = await sendFrom(bundleFile, '41')
  assert.equal(send.code, 0, send.stderr)
  assert.deepEqual(JSON.parse(send.stdout), { sent: 1, failed: 0 })
  assert.equal(await readFile(keyFile, 'utf8'), key, 'the provisioned key is the one used')
  assert.equal(count(issued, deviceId), 1, 'no second certificate')
  const { data } = await eventually(
    'the value in AppEngine',
    () => env.api('GET', `devices/${deviceId}/interfaces/${VALUES}/bundle/integer`),
    (res) => Array.isArray(res.data) && res.data.length === 1,
  )
  assert.equal((data as Array<{ value: number }>)[0]?.value, 41)

  // --ca wins over the bundle's caPem (flag > file): a CA that didn't sign the broker's is named
  const otherCa = join(out, 'other-ca.pem')
  await writeFile(otherCa, (await createCa('not the sandbox')).certPem)
  const wrongCa = await sendFrom(bundleFile, '42', ['--ca', otherCa])
  assert.equal(wrongCa.code, 1)
  assert.ok(wrongCa.stderr.includes(`with the CA of ${otherCa} (--ca)`), wrongCa.stderr)

  // a bundle whose certificate is another device's: refused before any network i/o, no secret shown
  const bundle = JSON.parse(await readFile(bundleFile, 'utf8')) as CredentialsBundle
  const forged = join(out, 'forged.json')
  await writeFile(forged, JSON.stringify({ ...bundle, deviceId: 'AJInS0w3VpWpuOqkXhgZdA' }))
  const bad = await sendFrom(forged, '42')
  assert.equal(bad.code, 1)
  assert.ok(
    bad.stderr.includes(
      `credentials bundle ${forged}: the certificate is for '${bundle.realm}/${deviceId}', not '${bundle.realm}/AJInS0w3VpWpuOqkXhgZdA'`,
    ),
    bad.stderr,
  )
  assert.ok(!bad.stderr.includes(bundle.credentialsSecret))
  assert.ok(!bad.stderr.includes(bundle.privateKeyPem.split('\n')[1] ?? 'x'))
})
