/**
 * Manual check, outside CI (CI can't build Espruino): the bundle in a real Espruino built for
 * Linux (`make BOARD=LINUX`, TLS included) against the sandbox with its RSA PKI, over real TLS.
 * The device is provisioned with an RSA-2048 key, the provisioning script and a program are run
 * by Espruino from one file; the program connects, sends, sets a property and prints what it
 * receives; this process sets a server-owned property and reads AppEngine.
 *
 *   ESPRUINO=/path/to/espruino node --conditions=@astarte-ts/source --import tsx \
 *     runtimes/espruino/test/real-espruino.manual.ts [--foreign-ca] [--ec-broker] [--debug]
 *
 * `--foreign-ca` stores another CA as the broker's trust anchor: a device that verified the
 * broker would not connect. `--ec-broker` runs the sandbox with its EC PKI, whose broker Espruino's
 * mbedTLS can't talk to: every handshake fails (a fatal alert, -0x7780), reported by the device,
 * nothing printed as uncaught. Prints what happened and exits 0 when the flow completed.
 */
import { randomBytes } from 'node:crypto'
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compileInterface, parseInterface, randomDeviceId } from '@astarte-ts/sdk-core'
import { nodeCryptoProvider, nodeHttpClient, provisionDevice } from '@astarte-ts/runtime-node'
import { silentLogger, startSandbox, stderrLogger } from '@astarte-ts/sandbox'

const ESPRUINO = process.env['ESPRUINO'] ?? 'espruino'
const INTERFACES = new URL('./interfaces/', import.meta.url).pathname
const SENSORS = 'org.astarte-ts.espruino.Sensors'
const STATUS = 'org.astarte-ts.espruino.Status'
const SETPOINT = 'org.astarte-ts.espruino.Setpoint'
const foreignCa = process.argv.includes('--foreign-ca')
const debug = process.argv.includes('--debug')
const ecBroker = process.argv.includes('--ec-broker')

const build = (await import(new URL('../scripts/build.mjs', import.meta.url).href)) as {
  buildEspruino(): Promise<{ code: string }>
}

const tmp = await mkdtemp(join(tmpdir(), 'astarte-real-espruino-'))
const sandbox = await startSandbox({
  logger: debug ? stderrLogger() : silentLogger,
  pki: ecBroker ? 'ec' : 'rsa',
  dataDir: join(tmp, 'sb'),
})
const other = foreignCa
  ? await startSandbox({ logger: silentLogger, pki: 'rsa', broker: false, brokerUrl: 'mqtts://x/' })
  : undefined
let exitCode = 1
try {
  await sandbox.installInterfaces(INTERFACES)
  const tables: unknown[] = []
  for (const name of await readdir(INTERFACES)) {
    const parsed = parseInterface(JSON.parse(await readFile(join(INTERFACES, name), 'utf8')))
    if (!parsed.ok) throw new Error(`${name}: invalid`)
    tables.push(compileInterface(parsed.value))
  }
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
    keyAlgorithm: 'rsa-2048',
  })
  const { code } = await build.buildEspruino()
  const swapCa =
    other === undefined
      ? ''
      : `var c = require("Storage").readJSON("astarte.json"); c.caPem = ${JSON.stringify(other.caPem)};` +
        ` require("Storage").writeJSON("astarte.json", c);\n`
  const program = [
    code,
    await readFile(join(dir, 'espruino-storage.js'), 'utf8'),
    swapCa,
    // with --debug, the socket's own events are printed too
    `var tls = require('tls'); var traced = { connect: function (o, cb) { var s = tls.connect(o, function () {` +
      ` if (${debug}) console.log('SOCK connect'); cb() });` +
      ` if (${debug}) { s.on('error', function (e) { console.log('SOCK error', JSON.stringify(e)) });` +
      ` s.on('end', function () { console.log('SOCK end') }); s.on('close', function (h) { console.log('SOCK close', h) });` +
      ` var w = s.write; s.write = function (d) { console.log('SOCK write', d.length, d.charCodeAt(0)); return w.call(s, d) };` +
      ` s.on('data', function (d) { console.log('SOCK data', d.length, d.charCodeAt(0)) }) } return s } };`,
    `var device = Astarte.open({ modules: { tls: traced, http: require('http'), Storage: require('Storage'), process: process },` +
      ` interfaces: ${JSON.stringify(tables)}, logger: { log: function (l, m, c) {` +
      ` if (l !== 'debug' || ${debug}) console.log('LOG', l, m, JSON.stringify(c || {})) } } });`,
    `device.on('data', function (m) { console.log('DATA', m.interfaceName, m.path, JSON.stringify(m.value)) });`,
    `device.on('stateChanged', function (e) { console.log('STATE', e.state) });`,
    `device.on('disconnected', function (e) { var x = e.error, chain = [];` +
      ` while (x) { chain.push((x.code || x.name || '') + ' ' + (x.message || x) + ' ' + (x.stack || '')); x = x.cause }` +
      ` console.log('LOST', chain.join(' <- ')) });`,
    `device.on('error', function (e) { console.log('ERROR', e.code, e.message) });`,
    `device.connect().then(function () { console.log('CONNECTED');` +
      ` return device.send('${SENSORS}', '/temperature', 21.5) })` +
      `.then(function () { return device.setProperty('${STATUS}', '/name', 'real-espruino') })` +
      `.then(function () { console.log('SENT') }, function (e) { console.log('FAILED', e.code, e.message) });`,
  ].join('\n')
  await writeFile(join(tmp, 'program.js'), program)

  const started = Date.now()
  const child = spawn(ESPRUINO, [join(tmp, 'program.js')], {
    cwd: tmp,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  const seen = (text: string): boolean => out.includes(text)
  child.stdout.on('data', (c: Buffer) => {
    process.stdout.write(c)
    out += c.toString('latin1')
  })
  child.stderr.on('data', (c: Buffer) => process.stderr.write(c))
  const wait = async (what: string, ok: () => boolean, ms: number): Promise<boolean> => {
    const end = Date.now() + ms
    while (!ok() && Date.now() < end && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 200))
    }
    console.error(`[host] ${what}: ${ok() ? 'yes' : 'no'} after ${Date.now() - started} ms`)
    return ok()
  }
  const sent = await wait('sent', () => seen('SENT'), 120_000)
  let received = false
  if (sent) {
    const put = await sandbox.appEngine(
      'PUT',
      `devices/${deviceId}/interfaces/${SETPOINT}/target`,
      19.5,
    )
    console.error(`[host] PUT ${SETPOINT}/target: ${put.status}`)
    received = await wait('server property at the device', () => seen(`DATA ${SETPOINT}`), 30_000)
    const history = await sandbox.appEngine(
      'GET',
      `devices/${deviceId}/interfaces/${SENSORS}/temperature`,
    )
    const name = await sandbox.appEngine('GET', `devices/${deviceId}/interfaces/${STATUS}/name`)
    console.error(`[host] AppEngine temperature: ${JSON.stringify(history.data)}`)
    console.error(`[host] AppEngine name: ${JSON.stringify(name.data)}`)
  }
  child.kill('SIGTERM')
  exitCode = sent && received ? 0 : 1
} finally {
  await sandbox.stop()
  await other?.stop()
  await rm(tmp, { recursive: true, force: true })
}
process.exit(exitCode)
