/**
 * @module node-sensor entry: `--sandbox` starts a local sandbox in-process with the example
 * interfaces, registers the device with the sandbox's JWT on first boot and runs the sensor;
 * `--config FILE` runs it against any Astarte (a device config JSON, see runtimes/node/README).
 * Ctrl-C stops cleanly. A failure is one line on stderr with its code (exit 1), a wrong flag the
 * usage (exit 2).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { Device, consoleLogger, interruptSignal } from '@astarte-ts/runtime-node'
import { SdkError } from '@astarte-ts/sdk-core'
import { startSandbox } from '@astarte-ts/sandbox'
import { runSensor, SETTINGS } from './sensor.js'

/** The example interfaces shipped in `@astarte-ts/interfaces` (`interfaces/examples/`). */
const exampleInterfacesDir = join(
  dirname(createRequire(import.meta.url).resolve('@astarte-ts/interfaces/package.json')),
  'examples',
)

const USAGE = 'usage: node-sensor --sandbox | --config FILE [--period-ms N]\n'

function usage(problem: string): number {
  process.stderr.write(`node-sensor: ${problem}\n${USAGE}`)
  return 2
}

async function main(argv: string[]): Promise<number> {
  let values
  try {
    values = parseArgs({
      args: argv,
      options: {
        sandbox: { type: 'boolean' },
        config: { type: 'string' },
        'period-ms': { type: 'string' },
      },
    }).values
  } catch (e) {
    return usage((e as Error).message)
  }
  const periodMs = values['period-ms'] === undefined ? 1000 : Number(values['period-ms'])
  if (!Number.isSafeInteger(periodMs) || periodMs < 1) {
    return usage(`--period-ms must be a whole number of milliseconds, not ${values['period-ms']}`)
  }
  if ((values.config === undefined) === (values.sandbox !== true)) {
    return usage('give one of --sandbox and --config')
  }
  const signal = interruptSignal()
  const logger = consoleLogger({ level: 'warn' })
  if (values.config !== undefined) {
    // `npm start -w …` runs in the example's directory: a relative path means where npm was run
    const device = await Device.open(resolve(process.env.INIT_CWD ?? '.', values.config))
    try {
      await runSensor(device, { signal, periodMs })
    } finally {
      await device.close()
    }
    return 0
  }
  const sandbox = await startSandbox({ interfacesDir: exampleInterfacesDir, logger })
  const storeDir = await mkdtemp(join(tmpdir(), 'node-sensor-'))
  try {
    process.stdout.write(`sandbox up: pairing ${sandbox.pairingUrl}, broker ${sandbox.mqttUrl}\n`)
    const device = await Device.open({
      realm: sandbox.realm,
      pairingUrl: sandbox.pairingUrl,
      hardwareId: 'node-sensor-example',
      pairingJwt: sandbox.jwt,
      interfaces: [exampleInterfacesDir],
      storeDir,
      caPem: sandbox.caPem,
      logger,
    })
    // the sandbox's own development token: good for driving the sandbox, nothing else
    const api = `${sandbox.appengineUrl}/v1/${sandbox.realm}/devices/${device.deviceId}/interfaces`
    process.stdout.write(
      `try, while it runs:\n  curl -X PUT -H 'authorization: Bearer ${sandbox.jwt}' ` +
        `-H 'content-type: application/json' -d '{"data":250}' ${api}/${SETTINGS}/samplingPeriodMs\n`,
    )
    try {
      await runSensor(device, { signal, periodMs })
    } finally {
      await device.close()
    }
    return 0
  } finally {
    await sandbox.stop()
    await rm(storeDir, { recursive: true, force: true })
  }
}

try {
  process.exitCode = await main(process.argv.slice(2))
} catch (e) {
  // an SdkError says what was wrong and what to do; anything else is a bug worth its stack
  if (!(e instanceof SdkError)) throw e
  process.stderr.write(`node-sensor: ${e.message} [${e.code}]\n`)
  process.exitCode = 1
}
