/**
 * @module cli: `astarte-sandbox` — starts one sandbox, prints one JSON ready line on stdout, and
 * stops cleanly on SIGINT/SIGTERM. Logs go to stderr; stdout carries only the ready line.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { startSandbox, type SandboxOptions } from './sandbox.js'

const USAGE = `usage: astarte-sandbox [options]
  --host ADDR             address to bind and advertise (default 127.0.0.1)
  --http-port N           Pairing/AppEngine/Realm Management port, 0 = free port (default 0)
  --mqtt-port N           MQTT over mutual TLS port, 0 = free port (default 0)
  --realm NAME            realm name (default test)
  --data-dir DIR          state kept across restarts (default: a temp dir, deleted on exit)
  --cert-lifetime SECONDS device certificate lifetime (default 7884000)
  --interfaces DIR        install every *.json interface of DIR at start
  --broker-url URL        run Pairing and the CA only; device info reports URL as the broker
  --pki ec|rsa            key type of the CA and the broker's certificate (default: the data
                          dir's CA, ec for a new one); rsa for TLS stacks without ECDSA (Espruino)
  --help                  show this help
  --version               print the version
Stop it with Ctrl-C, or \`kill <pid>\` (SIGTERM) when started in the background.
`

/** Runs the sandbox until a signal; resolves with the process exit code (2 = usage error). */
export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--version')) {
    // package.json is one level above both src/ and dist/
    const pkg = readFileSync(new URL('../package.json', import.meta.url), 'utf8')
    process.stdout.write(`${(JSON.parse(pkg) as { version: string }).version}\n`)
    return 0
  }
  const parsed = parseOptions(argv)
  if (typeof parsed === 'string') {
    process.stderr.write(parsed === '' ? USAGE : `astarte-sandbox: ${parsed}\n${USAGE}`)
    return parsed === '' ? 0 : 2
  }
  let sandbox
  try {
    sandbox = await startSandbox(parsed)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    process.stderr.write(`astarte-sandbox: couldn't start: ${reason}\n`)
    return 1
  }
  const { realm, pairingUrl, appengineUrl, realmManagementUrl, mqttUrl, caFile, jwt } = sandbox
  const ready = { realm, pairingUrl, appengineUrl, realmManagementUrl, mqttUrl, caFile, jwt }
  process.stdout.write(`${JSON.stringify(ready)}\n`)
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })
  process.stderr.write(`astarte-sandbox: ${signal}, stopping\n`)
  await sandbox.stop()
  return 0
}

/** The sandbox options of `argv`, `''` for --help, or a usage error message. */
function parseOptions(argv: string[]): SandboxOptions | string {
  let values
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: 'string' },
        'http-port': { type: 'string' },
        'mqtt-port': { type: 'string' },
        realm: { type: 'string' },
        'data-dir': { type: 'string' },
        'cert-lifetime': { type: 'string' },
        interfaces: { type: 'string' },
        'broker-url': { type: 'string' },
        pki: { type: 'string' },
        help: { type: 'boolean' },
      },
    }).values
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
  if (values.help === true) return ''
  const n: Record<string, number> = {}
  for (const name of ['http-port', 'mqtt-port', 'cert-lifetime'] as const) {
    const text = values[name]
    if (text === undefined) continue
    if (!/^\d+$/.test(text)) return `--${name} must be a non-negative integer`
    n[name] = Number(text)
  }
  if (n['cert-lifetime'] === 0) return '--cert-lifetime must be positive'
  const pki = values.pki
  if (pki !== undefined && pki !== 'ec' && pki !== 'rsa') return '--pki must be ec or rsa'
  const brokerUrl = values['broker-url']
  return {
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(n['http-port'] === undefined ? {} : { httpPort: n['http-port'] }),
    ...(n['mqtt-port'] === undefined ? {} : { mqttPort: n['mqtt-port'] }),
    ...(values.realm === undefined ? {} : { realm: values.realm }),
    ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] }),
    ...(n['cert-lifetime'] === undefined ? {} : { certLifetimeSec: n['cert-lifetime'] }),
    ...(values.interfaces === undefined ? {} : { interfacesDir: values.interfaces }),
    ...(brokerUrl === undefined ? {} : { broker: false, brokerUrl }),
    ...(pki === undefined ? {} : { pki }),
  }
}
