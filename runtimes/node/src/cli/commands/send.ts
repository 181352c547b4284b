/**
 * @module astarte-device send: publishes values (one from the command line, or NDJSON lines
 * `{"interface","path","value","timestamp"?,"unset"?}` from stdin) in AppEngine JSON forms and
 * exits 0 only when every one was acknowledged by the broker (written, for QoS 0): it waits for
 * the stored queue to drain too, since `send()` resolves for stored data once it is on disk.
 * Everything is checked before the first network I/O; one deadline (`--timeout`) covers pairing,
 * connect, sync, the sends and the close.
 */
import { createInterface } from 'node:readline'
import { SdkError, type AstarteObjectValue, type AstarteValue } from '@astarte-ts/sdk-core'
import {
  checkConnectionOffline,
  connectionFlagOptions,
  connectionFlagsUsage,
  deviceOptionsFromFlags,
} from '../../config/connection-flags.js'
import type { DeviceOptions } from '../../config/options.js'
import type { Device } from '../../device/device.js'
import { loadInterfaces } from '../../interfaces/load-interfaces.js'
import {
  checkMessage,
  messageFromLine,
  parseTimestamp,
  type CheckedMessage,
  type Message,
} from '../check-messages.js'
import { DeviceCommand } from '../device-command.js'
import { parseFlags } from '../parse-flags.js'
import { describeFailure } from '../report.js'
import { UsageError } from '../usage-error.js'

export const usage =
  'usage: astarte-device send <connection flags> <interface> <path> <json-value> [--timestamp ISO8601]\n' +
  '       astarte-device send <connection flags> --unset <interface> <path>\n' +
  '       astarte-device send <connection flags> --stdin   (NDJSON {"interface","path","value","timestamp"?,"unset"?})\n' +
  '  [--timeout SECONDS] (default 60): pairing, connect, sync and sends end within it, the close\n' +
  '  at most 7 s later\n' +
  `  connection flags: ${connectionFlagsUsage}`

const flags = {
  ...connectionFlagOptions,
  timestamp: { type: 'string' },
  unset: { type: 'boolean' },
  stdin: { type: 'boolean' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

/** The message given on the command line. */
function argvMessage(positionals: readonly string[], unset: boolean, ts?: string): Message {
  const want = unset ? 2 : 3
  if (positionals.length !== want) {
    const names = unset ? '<interface> <path>' : '<interface> <path> <json-value>'
    throw new UsageError(`expected ${names}, got ${positionals.length} argument(s)`)
  }
  const [interfaceName = '', path = '', text] = positionals
  let json: unknown
  if (text !== undefined) {
    try {
      json = JSON.parse(text)
    } catch {
      const hint = /^[A-Za-z]/.test(text) ? ` (a string is written '"${text}"')` : ''
      throw new UsageError(`<json-value> is not json: ${text}${hint}`)
    }
  }
  let timestamp: Date | undefined
  if (ts !== undefined) {
    const parsed = parseTimestamp(ts)
    if (typeof parsed === 'string') throw new UsageError(`--timestamp: ${parsed}`)
    timestamp = parsed
  }
  return {
    interfaceName,
    path,
    unset,
    ...(text === undefined ? {} : { json }),
    ...(timestamp === undefined ? {} : { timestamp }),
  }
}

/** Every stdin line read; each blank line skipped, each bad one reported with its number. */
async function stdinMessages(): Promise<{ messages: [number, Message][]; problems: string[] }> {
  const messages: [number, Message][] = []
  const problems: string[] = []
  let n = 0
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    n++
    if (line.trim() === '') continue
    const m = messageFromLine(line)
    if (typeof m === 'string') problems.push(`stdin line ${n}: ${m}`)
    else messages.push([n, m])
  }
  return { messages, problems }
}

/** Sends one checked message through the façade. */
function sendOne(device: Device, m: CheckedMessage): Promise<void> {
  const name = m.iface.name
  const options = m.timestamp === undefined ? {} : { timestamp: m.timestamp }
  if (m.unset) return device.unsetProperty(name, m.path)
  if (m.iface.aggregation === 'object') {
    return device.sendObject(name, m.path, m.value as AstarteObjectValue, options)
  }
  if (m.iface.type === 'properties')
    return device.setProperty(name, m.path, m.value as AstarteValue)
  return device.send(name, m.path, m.value as AstarteValue, options)
}

/** Resolves once nothing is queued or in flight any more; rejects when `signal` aborts. */
function drained(device: Device, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const m = device.metrics()
      if (m.queued === 0 && m.inflight === 0) {
        clearInterval(timer)
        resolve()
      } else if (signal.aborted) {
        clearInterval(timer)
        const count = m.queued + m.inflight
        const reason = signal.reason as unknown
        const detail = reason instanceof SdkError ? `: ${reason.message}` : ''
        reject(
          new SdkError(
            reason instanceof SdkError ? reason.code : 'local.aborted',
            `couldn't get ${count} message(s) acknowledged${detail}`,
            { cause: reason },
          ),
        )
      }
    }
    const timer = setInterval(check, 20)
    check()
  })
}

export async function run(args: string[], debug = false): Promise<number> {
  const { values, positionals } = parseFlags(args, flags, usage, true)
  if (values.help === true) {
    process.stdout.write(`${usage}\n`)
    return 0
  }
  const timeoutSec = values.timeout === undefined ? 60 : Number(values.timeout)
  if (!(timeoutSec > 0)) throw new UsageError(`--timeout must be a positive number of seconds`)
  const stdin = values.stdin === true
  if (
    stdin &&
    (positionals.length > 0 || values.unset === true || values.timestamp !== undefined)
  ) {
    throw new UsageError(`--stdin takes no positional arguments, --unset or --timestamp`)
  }
  const argv = stdin ? undefined : argvMessage(positionals, values.unset === true, values.timestamp)

  const command = new DeviceCommand('send', debug, { ms: timeoutSec * 1000, flag: '--timeout' })
  let options: DeviceOptions | undefined
  try {
    options = await deviceOptionsFromFlags(values, command.logger())
    await checkConnectionOffline(options, values)
    const interfaces = new Map(
      (await loadInterfaces(options.interfaces)).map((i) => [i.name, i] as const),
    )
    const given: (readonly [string, Message])[] = []
    const problems: string[] = []
    if (argv !== undefined) given.push(['', argv])
    else {
      const read = await command.deadline.race(stdinMessages())
      given.push(...read.messages.map(([n, m]) => [`stdin line ${n}: `, m] as const))
      problems.push(...read.problems)
    }
    const checked: CheckedMessage[] = []
    for (const [where, m] of given) {
      const hint = where === '' ? '--timestamp ISO8601' : '"timestamp"'
      const r = checkMessage(interfaces, m, hint, options.maxPayloadBytes)
      if (r.ok) checked.push(r.value)
      else problems.push(...r.problems.map((p) => `${where}${p}`))
    }
    if (problems.length > 0) throw invalidInput(problems.sort(byLine))

    const device = await command.open(options)
    await device.connect({ signal: command.deadline.signal })
    const results = await command.deadline.race(
      Promise.allSettled(checked.map((m) => sendOne(device, m))),
    )
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []))
    for (const e of failures) command.say(describeFailure(e, debug))
    await drained(device, command.deadline.signal)
    process.stdout.write(
      `${JSON.stringify({ sent: checked.length - failures.length, failed: failures.length })}\n`,
    )
    return failures.length === 0 ? 0 : 1
  } catch (e) {
    if (e instanceof UsageError) throw e
    return await command.fail(e, options)
  } finally {
    await command.end()
  }
}

/** Problems in input order: `stdin line 2` before `stdin line 10`. */
function byLine(a: string, b: string): number {
  const line = (s: string): number => Number(/^stdin line (\d+)/.exec(s)?.[1] ?? 0)
  return line(a) - line(b)
}

/** Every problem found in the input, one per line when there are several. */
function invalidInput(problems: readonly string[]): SdkError {
  const text =
    problems.length === 1
      ? `couldn't send: ${problems[0]}`
      : `couldn't send: ${problems.length} problems in the input, nothing was sent`
  const issues = problems.map((message) => ({ code: 'invalid_input', path: '', message }))
  return new SdkError('local.invalid_value', text, { issues })
}
