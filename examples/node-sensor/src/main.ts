/**
 * @module node-sensor entry: `--sandbox` starts a local sandbox in-process with the example
 * interfaces, registers the device with the sandbox's JWT on first boot and runs the sensor;
 * `--config FILE` runs it against any Astarte (a device config JSON, see runtimes/node/README).
 * Ctrl-C stops cleanly.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { Device, consoleLogger, interruptSignal } from '@astarte-ts/runtime-node'
import { startSandbox } from '@astarte-ts/sandbox'
import { runSensor, SETTINGS } from './sensor.js'

/** The example interfaces shipped in `@astarte-ts/interfaces` (`interfaces/examples/`). */
const exampleInterfacesDir = join(
  dirname(createRequire(import.meta.url).resolve('@astarte-ts/interfaces/package.json')),
  'examples',
)

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      sandbox: { type: 'boolean' },
      config: { type: 'string' },
      'period-ms': { type: 'string' },
    },
  })
  const periodMs = values['period-ms'] === undefined ? 1000 : Number(values['period-ms'])
  const signal = interruptSignal()
  const logger = consoleLogger({ level: 'warn' })
  if (values.config !== undefined) {
    const device = await Device.open(values.config)
    try {
      await runSensor(device, { signal, periodMs })
    } finally {
      await device.close()
    }
    return 0
  }
  if (values.sandbox !== true) {
    process.stderr.write('usage: node-sensor --sandbox | --config FILE [--period-ms N]\n')
    return 2
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

process.exitCode = await main(process.argv.slice(2))
