/**
 * @module astarte-device watch: connects and prints server-owned data as NDJSON
 * (`{"interface","path","value","timestamp"?}` in AppEngine JSON forms, `"unset":true` for
 * unsets) until SIGINT/SIGTERM, then disconnects and exits 0. Bad server data is reported on
 * stderr and the watch goes on; an unrecoverable device error (e.g. a refused credentials
 * secret) ends it with exit 1.
 */
import { SdkError } from '@astarte-ts/sdk-core'
import {
  connectionFlagOptions,
  connectionFlagsUsage,
  describeError,
  deviceOptionsFromFlags,
} from '../../config/connection-flags.js'
import { parseFlags } from '../parse-flags.js'
import { interruptSignal } from '../../config/interrupt-signal.js'
import { Device } from '../../device/device.js'
import { messageToJson } from '../../interfaces/json-values.js'
import { consoleLogger } from '../../log/index.js'
import { UsageError } from '../usage-error.js'

const usage = `usage: astarte-device watch <connection flags>\n  connection flags: ${connectionFlagsUsage}`

const flags = { ...connectionFlagOptions, help: { type: 'boolean', short: 'h' } } as const

export async function run(args: string[]): Promise<number> {
  const { values } = parseFlags(args, flags, usage)
  if (values.help === true) {
    process.stdout.write(`${usage}\n`)
    return 0
  }
  const logger = consoleLogger({ level: 'warn' })
  const options = await deviceOptionsFromFlags(values, logger)
  if ('missing' in options) throw new UsageError(`${options.missing} is required\n${usage}`)
  const failed = new AbortController()
  const signal = AbortSignal.any([interruptSignal(), failed.signal])
  let failure: SdkError | undefined
  let device: Device | undefined
  try {
    device = await Device.open(options)
    const ifaces = new Map(device.interfaces().map((i) => [i.name, i]))
    device.on('dataError', ({ interfaceName, path, issues }) => {
      const detail = issues.map((i) => `${i.message} [${i.code}]`).join('; ')
      process.stderr.write(
        `astarte-device watch: ignored bad data on ${interfaceName}${path}: ${detail}\n`,
      )
    })
    // Subscribed before connecting: what the sync delivers (server properties) is printed too.
    const messages = device.messages({ signal })
    device.connect({ signal }).then(
      () => process.stderr.write('astarte-device watch: connected\n'),
      () => undefined,
    )
    device.on('error', (e) => {
      process.stderr.write(`astarte-device watch: ${e.message} [${e.code}]\n`)
      failure = e
      failed.abort()
    })
    for await (const message of messages) {
      const line = messageToJson(ifaces.get(message.interfaceName), message)
      process.stdout.write(`${JSON.stringify(line)}\n`)
    }
    return failure === undefined ? 0 : 1
  } catch (e) {
    process.stderr.write(`astarte-device watch: ${describeError(e)}\n`)
    return 1
  } finally {
    await device?.close()
  }
}
