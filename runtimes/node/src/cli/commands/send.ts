/**
 * @module astarte-device send: publishes values (one from the command line, or NDJSON lines
 * `{"interface","path","value","timestamp"?,"unset"?}` from stdin) in AppEngine JSON forms and
 * exits 0 only when every one was acknowledged by the broker (written, for QoS 0): it waits for
 * the stored queue to drain too, since `send()` resolves for stored data once it is on disk.
 */
import { createInterface } from 'node:readline'
import {
  SdkError,
  type AstarteObjectValue,
  type AstarteValue,
  type Interface,
} from '@astarte-ts/sdk-core'
import {
  connectionFlagOptions,
  connectionFlagsUsage,
  describeError,
  deviceOptionsFromFlags,
} from '../../config/connection-flags.js'
import { parseFlags } from '../parse-flags.js'
import { Device } from '../../device/device.js'
import { interruptSignal } from '../../config/interrupt-signal.js'
import { valueFromJsonAt } from '../../interfaces/json-values.js'
import { consoleLogger } from '../../log/index.js'
import { UsageError } from '../usage-error.js'

const usage =
  'usage: astarte-device send <connection flags> <interface> <path> <json-value> [--timestamp ISO8601]\n' +
  '       astarte-device send <connection flags> --unset <interface> <path>\n' +
  '       astarte-device send <connection flags> --stdin   (NDJSON {"interface","path","value","timestamp"?,"unset"?})\n' +
  '  [--timeout SECONDS] (default 60)\n' +
  `  connection flags: ${connectionFlagsUsage}`

const flags = {
  ...connectionFlagOptions,
  timestamp: { type: 'string' },
  unset: { type: 'boolean' },
  stdin: { type: 'boolean' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

interface Message {
  readonly interfaceName: string
  readonly path: string
  readonly json?: unknown
  readonly unset: boolean
  readonly timestamp?: Date
}

function parseTimestamp(text: string, where: string): Date {
  const date = new Date(text)
  if (Number.isNaN(date.getTime()))
    throw new UsageError(`${where}: timestamp '${text}' is not ISO 8601`)
  return date
}

function messageFromLine(line: string, n: number): Message {
  let doc: unknown
  try {
    doc = JSON.parse(line)
  } catch {
    throw new UsageError(`stdin line ${n}: not json`)
  }
  const d = doc as Record<string, unknown>
  if (
    typeof doc !== 'object' ||
    doc === null ||
    typeof d.interface !== 'string' ||
    typeof d.path !== 'string'
  ) {
    throw new UsageError(`stdin line ${n}: needs string "interface" and "path"`)
  }
  const unset = d.unset === true
  if (!unset && !('value' in d))
    throw new UsageError(`stdin line ${n}: needs "value" (or "unset": true)`)
  return {
    interfaceName: d.interface,
    path: d.path,
    unset,
    ...(unset ? {} : { json: d.value }),
    ...(typeof d.timestamp === 'string'
      ? { timestamp: parseTimestamp(d.timestamp, `stdin line ${n}`) }
      : {}),
  }
}

async function readStdin(): Promise<Message[]> {
  const out: Message[] = []
  let n = 0
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    n++
    if (line.trim() !== '') out.push(messageFromLine(line, n))
  }
  return out
}

/** Sends one message through the façade, which validates it before queueing. */
function sendOne(
  device: Device,
  ifaces: ReadonlyMap<string, Interface>,
  m: Message,
): Promise<void> {
  const iface = ifaces.get(m.interfaceName)
  if (iface === undefined) {
    return Promise.reject(
      new SdkError(
        'local.invalid_value',
        `couldn't send to ${m.interfaceName}: not in --interfaces`,
      ),
    )
  }
  const options = m.timestamp === undefined ? {} : { timestamp: m.timestamp }
  if (m.unset) return device.unsetProperty(iface.name, m.path)
  const value = valueFromJsonAt(iface, m.path, m.json)
  if (!value.ok) {
    const first = value.error[0]
    return Promise.reject(
      new SdkError(
        'local.invalid_value',
        `couldn't send ${iface.name}${m.path}: ${first?.message ?? 'invalid'}`,
        {
          issues: value.error,
        },
      ),
    )
  }
  if (iface.aggregation === 'object') {
    return device.sendObject(iface.name, m.path, value.value as AstarteObjectValue, options)
  }
  const individual = value.value as AstarteValue
  if (iface.type === 'properties') return device.setProperty(iface.name, m.path, individual)
  return device.send(iface.name, m.path, individual, options)
}

/** Resolves once nothing is queued or in flight any more. */
function drained(device: Device, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const m = device.metrics()
      if (m.queued === 0 && m.inflight === 0) {
        clearInterval(timer)
        resolve()
      } else if (signal.aborted) {
        clearInterval(timer)
        reject(
          new SdkError(
            'local.timeout',
            `couldn't get ${m.queued + m.inflight} messages acknowledged in time`,
          ),
        )
      }
    }
    const timer = setInterval(check, 20)
    check()
  })
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, flags, usage, true)
  if (values.help === true) {
    process.stdout.write(`${usage}\n`)
    return 0
  }
  const timeoutSec = values.timeout === undefined ? 60 : Number(values.timeout)
  if (!(timeoutSec > 0)) throw new UsageError(`--timeout must be a positive number\n${usage}`)
  let messages: Message[]
  if (values.stdin === true) {
    if (positionals.length > 0 || values.unset === true || values.timestamp !== undefined) {
      throw new UsageError(
        `--stdin takes no positional arguments, --unset or --timestamp\n${usage}`,
      )
    }
    messages = []
  } else {
    const want = values.unset === true ? 2 : 3
    if (positionals.length !== want) throw new UsageError(`expected ${want} arguments\n${usage}`)
    const [interfaceName = '', path = '', text] = positionals
    let json: unknown
    if (text !== undefined) {
      try {
        json = JSON.parse(text)
      } catch {
        throw new UsageError(`<json-value> is not json: ${text}`)
      }
    }
    messages = [
      {
        interfaceName,
        path,
        unset: values.unset === true,
        ...(text === undefined ? {} : { json }),
        ...(values.timestamp === undefined
          ? {}
          : { timestamp: parseTimestamp(values.timestamp, '--timestamp') }),
      },
    ]
  }
  const logger = consoleLogger({ level: 'warn' })
  const options = await deviceOptionsFromFlags(values, logger)
  if ('missing' in options) throw new UsageError(`${options.missing} is required\n${usage}`)
  if (values.stdin === true) messages = await readStdin()

  const signal = AbortSignal.any([AbortSignal.timeout(timeoutSec * 1000), interruptSignal()])
  let device: Device | undefined
  try {
    device = await Device.open(options)
    const ifaces = new Map(device.interfaces().map((i) => [i.name, i]))
    await device.connect({ signal })
    const results = await Promise.allSettled(
      messages.map((m) => sendOne(device as Device, ifaces, m)),
    )
    const failures = results.flatMap((r, i) =>
      r.status === 'rejected' ? [{ m: messages[i], e: r.reason }] : [],
    )
    for (const { m, e } of failures) {
      process.stderr.write(`astarte-device send: ${m?.interfaceName}${m?.path}: ${describe(e)}\n`)
    }
    await drained(device, signal)
    process.stdout.write(
      `${JSON.stringify({ sent: messages.length - failures.length, failed: failures.length })}\n`,
    )
    return failures.length === 0 ? 0 : 1
  } catch (e) {
    process.stderr.write(`astarte-device send: ${describe(e)}\n`)
    return 1
  } finally {
    await device?.close()
  }
}

function describe(e: unknown): string {
  if (e instanceof Error && e.name === 'TimeoutError') return "couldn't finish in time (--timeout)"
  if (e instanceof Error && e.name === 'AbortError') return 'interrupted'
  return describeError(e)
}
