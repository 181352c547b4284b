// The application the tests run in XS: the Moddable bundle's device, driven by the test process.
// `app.open(options)` opens it and forwards every device event; `app.call(id, method, args)`
// calls a device method and reports how it settled. Values cross as JSON with tags for what JSON
// lacks (bigint, Date, bytes).
import { ModdableDevice } from 'astarte-moddable'
import { host, toBase64, fromBase64 } from './engine/host.js'

const EVENTS = ['data', 'dataError', 'connected', 'synced', 'disconnected', 'stateChanged', 'error']

function out(value) {
  if (typeof value === 'bigint') return { $bigint: String(value) }
  if (value instanceof Date) return { $date: value.getTime() }
  if (value instanceof Uint8Array) return { $bytes: toBase64(value) }
  if (value instanceof Error) return { $error: value.code ?? 'error', message: value.message }
  if (Array.isArray(value)) return value.map(out)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, out(v)]))
  }
  return value
}

function into(value) {
  if (Array.isArray(value)) return value.map(into)
  if (value !== null && typeof value === 'object') {
    if ('$bigint' in value) return BigInt(value.$bigint)
    if ('$date' in value) return new Date(value.$date)
    if ('$bytes' in value) return new Uint8Array(fromBase64(value.$bytes))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, into(v)]))
  }
  return value
}

globalThis.trace = (...text) => host({ op: 'trace', text: text.join('') })

let device

globalThis.app = {
  open(options) {
    device = ModdableDevice.open({
      ...options,
      logger: {
        log: (level, message, ctx) =>
          host({ op: 'trace', text: `${level} ${message} ${JSON.stringify(out(ctx ?? {}))}\n` }),
      },
    })
    for (const name of EVENTS) {
      device.on(name, (payload) =>
        host({ op: 'report', kind: 'event', name, payload: out(payload) }),
      )
    }
  },
  call(id, method, args) {
    const settle = (ok, value) => host({ op: 'report', kind: 'settled', id, ok, value: out(value) })
    try {
      Promise.resolve(device[method](...into(args))).then(
        (value) => settle(true, value),
        (error) => settle(false, error),
      )
    } catch (error) {
      settle(false, error)
    }
  },
}
