/**
 * Manual check, outside CI (CI can't build the Moddable SDK): the bundle built by the real
 * Moddable SDK's `mcconfig` for its Linux simulator (`-p lin`) and run in `mcsim` under Xvfb,
 * on Moddable's own modules — `SecureSocket` over its JavaScript TLS (modules/crypt/ssl), `http`
 * `Request`, `Preference` (on lin a JSON file, /tmp/modpreferences.json), `Timer` — against the
 * sandbox over real TLS. The sandbox runs an RSA PKI (its CA made by OpenSSL, see below), the
 * device is provisioned with an RSA-2048 key (Moddable's TLS takes no other), the example's `provision/` app
 * writes the preferences, then `real-moddable/main.js` connects, sends and sets a property; this
 * process sets a server-owned property and reads AppEngine.
 *
 *   MODDABLE=/path/to/moddable node --conditions=@astarte-ts/source --import tsx \
 *     runtimes/moddable/test/real-moddable.manual.ts [--example] [--ec-broker] [--ec-key] \
 *     [--xs-debug] [--stack N] [--debug]
 *
 * `$MODDABLE/build/bin/lin/release/{mcconfig,mcsim}` must be built (runtimes/moddable/README.md,
 * "Checked in the real Moddable SDK"), and `xvfb-run` installed. `--example` runs
 * examples/moddable-esp32 itself instead (a reading a second once AppEngine sets its period).
 * `--ec-broker` runs the sandbox with an EC PKI (passes); `--ec-key` provisions an EC P-256 key
 * (Moddable's TLS can't use it: every handshake fails). `--xs-debug` builds for debugging (exceptions with their
 * place, instruments every second), `--stack N` overrides `creation.stack`, `--debug` prints the
 * sandbox's log and the build output. `MODDABLE_OUT` keeps the builds between runs. Prints what
 * happened and exits 0 when the flow completed.
 */
import { randomBytes } from 'node:crypto'
import { spawn, type ChildProcess } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compileInterface, parseInterfaceText, randomDeviceId } from '@astarte-ts/sdk-core'
import { nodeCryptoProvider, nodeHttpClient, provisionDevice } from '@astarte-ts/runtime-node'
import { silentLogger, startSandbox, stderrLogger } from '@astarte-ts/sandbox'

const MODDABLE = process.env['MODDABLE']
if (MODDABLE === undefined) throw new Error('set MODDABLE to the Moddable SDK checkout')
const BIN = join(MODDABLE, 'build/bin/lin/release')
const root = new URL('../../../', import.meta.url).pathname
const example = join(root, 'examples/moddable-esp32')
const debug = process.argv.includes('--debug')
const ecBroker = process.argv.includes('--ec-broker')
const runExample = process.argv.includes('--example')
const xsDebug = process.argv.includes('--xs-debug')
// Moddable's Preference on lin: config.file.root ("/tmp/") + "modpreferences.json"
const PREFERENCES = '/tmp/modpreferences.json'

const TELEMETRY = 'org.astarte-ts.examples.Telemetry'
const ENVIRONMENT = 'org.astarte-ts.examples.Environment'
const STATUS = 'org.astarte-ts.examples.DeviceStatus'
const SETTINGS = 'org.astarte-ts.examples.Settings'

const run = (cmd: string, args: string[], cwd: string): Promise<void> =>
  new Promise((resolve, reject) => {
    // make runs xsc, xsl, mcrez… from the SDK's bin directory
    const env = { ...process.env, PATH: `${BIN}:${process.env['PATH'] ?? ''}` }
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (out += c.toString()))
    child.on('close', (code) => {
      if (debug || code !== 0) process.stderr.write(out)
      if (code === 0) resolve()
      else reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}`))
    })
  })

/**
 * `mcconfig -m -p lin`: a release build's make step builds mc.so and starts nothing. With
 * `--xs-debug`, a debug build (exceptions reported with their message and stack) is made without
 * `-m`, whose make step would `pkill` every mcsim and serial2xsbug on the machine: make's `build`
 * goal is run here instead.
 */
async function mcconfig(dir: string, out: string): Promise<string> {
  await mkdir(out, { recursive: true })
  // MODDABLE_OUT keeps the build (and XS's compiled objects) between runs
  const name = dir.split('/').pop() as string
  const manifest = join(dir, 'manifest.json')
  if (!xsDebug) {
    await run(join(BIN, 'mcconfig'), ['-m', '-p', 'lin', '-o', out, manifest], dir)
    // mcconfig names the output after the app's directory
    return join(out, 'bin/lin/mc/release', name, 'mc.so')
  }
  await run(join(BIN, 'mcconfig'), ['-d', '-p', 'lin', '-o', out, manifest], dir)
  await run('make', ['-f', 'makefile', 'build'], join(out, 'tmp/lin/mc/debug', name))
  return join(out, 'bin/lin/mc/debug', name, 'mc.so')
}

/** mcsim with the app, under a virtual display; trace lines (stdout) collected. */
function simulate(so: string): { child: ChildProcess; seen: (text: string) => boolean } {
  const child = spawn('xvfb-run', ['-a', 'stdbuf', '-oL', join(BIN, 'mcsim'), so], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let out = ''
  child.stdout?.on('data', (c: Buffer) => {
    process.stdout.write(c)
    out += c.toString('latin1')
  })
  child.stderr?.on('data', (c: Buffer) => {
    if (debug) process.stderr.write(c)
  })
  return { child, seen: (text) => out.includes(text) }
}

/** Stops xvfb-run, Xvfb and mcsim: the process group this script started. */
function stop(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM')
  } catch {
    // already gone
  }
}

const started = Date.now()
let aborted = (): boolean => false
async function wait(what: string, ok: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (!ok() && !aborted() && Date.now() < end) await new Promise((r) => setTimeout(r, 200))
  console.error(`[host] ${what}: ${ok() ? 'yes' : 'no'} after ${Date.now() - started} ms`)
  return ok()
}

async function compiled(names: string[]): Promise<string> {
  const tables = await Promise.all(
    names.map(async (name) => {
      const text = await readFile(join(root, `interfaces/examples/${name}.json`), 'utf8')
      const parsed = parseInterfaceText(text)
      if (!parsed.ok) throw new Error(`${name}: invalid`)
      return compileInterface(parsed.value)
    }),
  )
  return `export default ${JSON.stringify(tables)}\n`
}

const tmp = await mkdtemp(join(tmpdir(), 'astarte-real-moddable-'))
const out = process.env['MODDABLE_OUT'] ?? join(tmp, 'build')
const sandbox = await startSandbox({
  logger: debug ? stderrLogger() : silentLogger,
  pki: ecBroker ? 'ec' : 'rsa',
  dataDir: join(tmp, 'sb'),
  interfacesDir: join(root, 'interfaces/examples'),
})
const children: ChildProcess[] = []
let exitCode = 1
try {
  const deviceId = randomDeviceId(new Uint8Array(randomBytes(16)))
  const { dir } = await provisionDevice({
    http: nodeHttpClient({ caPem: sandbox.caPem, ignoreTlsErrors: false }),
    crypto: nodeCryptoProvider,
    pairingUrl: sandbox.pairingUrl,
    realm: sandbox.realm,
    jwt: () => sandbox.jwt,
    deviceId,
    outDir: join(tmp, 'factory'),
    caPem: sandbox.caPem,
    keyAlgorithm: process.argv.includes('--ec-key') ? 'ec-p256' : 'rsa-2048',
  })
  const build = (await import(join(root, 'scripts/build-esp32.mjs'))) as {
    bundleModdable(write: boolean): Promise<{ code: string }>
  }
  await build.bundleModdable(true)

  // 1. the example's provisioning app, as the README has it
  const provision = join(tmp, 'provision')
  await mkdir(provision)
  for (const f of ['main.js', 'manifest.json']) {
    await copyFile(join(example, 'provision', f), join(provision, f))
  }
  const prefs = await readFile(join(dir, 'moddable-preferences.json'), 'utf8')
  await writeFile(join(provision, 'credentials.js'), `export default ${prefs}`)
  await rm(PREFERENCES, { force: true })
  const provisionSim = simulate(await mcconfig(provision, out))
  children.push(provisionSim.child)
  const provisioned = await wait(
    'provisioned',
    () => provisionSim.seen(`provisioned ${deviceId}`),
    60_000,
  )
  stop(provisionSim.child)
  if (!provisioned) throw new Error('the provisioning app did not finish')

  // 2. the device app: the example, or the check app with its four interfaces
  let app = example
  if (!runExample) {
    app = join(tmp, 'app')
    await mkdir(app)
    await copyFile(new URL('./real-moddable/main.js', import.meta.url), join(app, 'main.js'))
    await writeFile(
      join(app, 'interfaces.js'),
      await compiled([TELEMETRY, ENVIRONMENT, STATUS, SETTINGS]),
    )
    const manifest = JSON.parse(await readFile(join(example, 'manifest.json'), 'utf8')) as {
      include: string[]
      creation?: { stack: number }
    }
    manifest.include = [join(root, 'runtimes/moddable/manifest.json')]
    const stack = process.argv.indexOf('--stack')
    if (stack > 0) manifest.creation = { stack: Number(process.argv[stack + 1]) }
    await writeFile(join(app, 'manifest.json'), JSON.stringify(manifest, null, 2))
  }
  const sim = simulate(await mcconfig(app, out))
  children.push(sim.child)
  aborted = () => sim.seen('XS abort') || sim.seen('FAILED open')
  const connected = await wait(
    'connected',
    () => sim.seen('astarte: online') || sim.seen('CONNECTED'),
    120_000,
  )
  const sent = runExample
    ? connected
    : await wait('sent', () => sim.seen('SENT') || sim.seen('FAILED'), 60_000).then(() =>
        sim.seen('SENT'),
      )
  let received = false
  if (connected) {
    // the check app traces the property; the example samples every 10 s until told 1 s, so
    // three readings within 10 s say it applied the server's property
    const periodMs = runExample ? 1000 : 5000
    const put = await sandbox.appEngine(
      'PUT',
      `devices/${deviceId}/interfaces/${SETTINGS}/samplingPeriodMs`,
      periodMs,
    )
    console.error(`[host] PUT ${SETTINGS}/samplingPeriodMs ${periodMs}: ${put.status}`)
    let readings = 0
    const countReadings = async (): Promise<void> => {
      const got = await sandbox.appEngine(
        'GET',
        `devices/${deviceId}/interfaces/${TELEMETRY}/sensor0/temperature`,
      )
      readings = Array.isArray(got.data) ? got.data.length : 0
    }
    received = runExample
      ? await wait('readings every second', () => (void countReadings(), readings >= 3), 10_000)
      : await wait(
          'server property at the device',
          () => sim.seen(`DATA ${SETTINGS}/samplingPeriodMs 5000`),
          30_000,
        )
    for (const path of [
      `${TELEMETRY}/sensor0/temperature`,
      `${TELEMETRY}/sensor0/uptimeSeconds`,
      `${ENVIRONMENT}/room1`,
      `${STATUS}/firmwareVersion`,
    ]) {
      const got = await sandbox.appEngine('GET', `devices/${deviceId}/interfaces/${path}`)
      console.error(`[host] AppEngine ${path}: ${got.status} ${JSON.stringify(got.data)}`)
    }
    const info = await sandbox.appEngine('GET', `devices/${deviceId}`)
    console.error(`[host] AppEngine device: ${JSON.stringify(info.data)}`)
    const saved = await readFile(PREFERENCES, 'utf8').catch(() => '{}')
    console.error(
      `[host] Preference domains: ${Object.keys(JSON.parse(saved) as object).join(' ')}`,
    )
  }
  exitCode = connected && sent && received ? 0 : 1
} finally {
  for (const child of children) stop(child)
  await sandbox.stop()
  await rm(PREFERENCES, { force: true })
  if (!debug) await rm(tmp, { recursive: true, force: true })
}
process.exit(exitCode)
