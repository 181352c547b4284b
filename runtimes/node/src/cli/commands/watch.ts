/**
 * @module astarte-device watch: connects and prints server-owned data as NDJSON
 * (`{"interface","path","value","timestamp"?}` in AppEngine JSON forms, `"unset":true` for
 * unsets) until SIGINT/SIGTERM, then disconnects and exits 0 (within a bounded close). Bad server
 * data is reported on stderr and the watch goes on; an unrecoverable device error (e.g. a refused
 * credentials secret, an untrusted broker certificate) ends it with exit 1.
 */
import {
  checkConnectionOffline,
  connectionFlagOptions,
  connectionFlagsUsage,
  deviceOptionsFromFlags,
} from '../../config/connection-flags.js'
import type { DeviceOptions } from '../../config/options.js'
import { messageToJson } from '../../interfaces/json-values.js'
import { isInterrupt } from '../deadline.js'
import { DeviceCommand } from '../device-command.js'
import { parseFlags } from '../parse-flags.js'
import { UsageError } from '../usage-error.js'

export const usage = `usage: astarte-device watch <connection flags>\n  connection flags: ${connectionFlagsUsage}`

const flags = { ...connectionFlagOptions, help: { type: 'boolean', short: 'h' } } as const

export async function run(args: string[], debug = false): Promise<number> {
  const { values } = parseFlags(args, flags, usage)
  if (values.help === true) {
    process.stdout.write(`${usage}\n`)
    return 0
  }
  const command = new DeviceCommand('watch', debug, {})
  const { signal } = command.deadline
  let options: DeviceOptions | undefined
  try {
    options = await deviceOptionsFromFlags(values, command.logger())
    await checkConnectionOffline(options, values)
    const device = await command.open(options)
    const ifaces = new Map(device.interfaces().map((i) => [i.name, i]))
    device.on('dataError', ({ interfaceName, path, issues }) => {
      const detail = issues.map((i) => `${i.message} [${i.code}]`).join('; ')
      command.say(`ignored bad data on ${interfaceName}${path}: ${detail}`)
    })
    // Subscribed before connecting: what the sync delivers (server properties) is printed too.
    const messages = device.messages({ signal })
    device.connect({ signal }).then(
      () => command.say('connected'),
      () => undefined,
    )
    for await (const message of messages) {
      const line = messageToJson(ifaces.get(message.interfaceName), message)
      process.stdout.write(`${JSON.stringify(line)}\n`)
    }
    if (signal.aborted && !isInterrupt(signal.reason))
      return await command.fail(signal.reason, options)
    return 0
  } catch (e) {
    if (e instanceof UsageError) throw e
    if (isInterrupt(e)) return 0
    return await command.fail(e, options)
  } finally {
    await command.end()
  }
}
