/**
 * @module sensor: the example device's behaviour, written only against the public `Device` API:
 * device properties at start, telemetry on a timer (explicit timestamps, stored retention), an
 * object snapshot every fifth tick, and server settings/commands applied as they arrive.
 */
import type { Device, ServerMessage } from '@astarte-ts/runtime-node'

export const TELEMETRY = 'org.astarte-ts.examples.Telemetry'
export const ENVIRONMENT = 'org.astarte-ts.examples.Environment'
export const STATUS = 'org.astarte-ts.examples.DeviceStatus'
export const SETTINGS = 'org.astarte-ts.examples.Settings'
export const COMMANDS = 'org.astarte-ts.examples.Commands'

export interface SensorOptions {
  readonly signal: AbortSignal
  readonly periodMs?: number
  readonly sensors?: readonly string[]
  readonly log?: (line: string) => void
}

/** A plausible, slowly drifting reading: deterministic in `tick` so runs are comparable. */
function reading(tick: number, offset: number): number {
  return Math.round((21 + offset + 2 * Math.sin(tick / 10)) * 100) / 100
}

/** Runs the sensor until `signal` aborts. The device must be open; this connects it. */
export async function runSensor(device: Device, options: SensorOptions): Promise<void> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`))
  const enabled = new Map((options.sensors ?? ['s1', 's2']).map((s) => [s, true]))
  let periodMs = options.periodMs ?? 1000
  const started = new Date()

  const apply = (m: ServerMessage): void => {
    if (m.interfaceName === SETTINGS && m.path === '/samplingPeriodMs') {
      periodMs = m.type === 'individual' ? Number(m.value) : (options.periodMs ?? 1000)
      log(`settings: sampling period is now ${periodMs} ms`)
    } else if (m.interfaceName === SETTINGS && m.path.endsWith('/enabled')) {
      const sensor = m.path.split('/')[2] ?? ''
      enabled.set(sensor, m.type === 'unset' || m.value === true)
      log(`settings: sensor ${sensor} ${enabled.get(sensor) === true ? 'enabled' : 'disabled'}`)
    } else if (m.interfaceName === COMMANDS && m.type === 'individual') {
      log(`command ${m.path}: ${String(m.value)}`)
    } else {
      log(`server ${m.type} ${m.interfaceName}${m.path}`)
    }
  }
  device.on('data', apply)
  device.on('dataError', (e) => log(`ignored bad server data on ${e.interfaceName}${e.path}`))
  device.on('disconnected', (e) =>
    log(`disconnected${e.error === undefined ? '' : `: ${e.error.message}`}`),
  )

  await device.connect({ signal: options.signal })
  log(`connected as ${device.deviceId}`)
  await device.setProperty(STATUS, '/firmwareVersion', '1.0.0')
  await device.setProperty(STATUS, '/bootTime', started)
  await device.setProperty(STATUS, '/sensors', [...enabled.keys()])

  for (let tick = 0; !options.signal.aborted; tick++) {
    const now = new Date()
    let offset = 0
    for (const [sensor, on] of enabled) {
      offset += 0.5
      if (!on) continue
      await device.send(TELEMETRY, `/${sensor}/temperature`, reading(tick, offset), {
        timestamp: now,
      })
      const uptime = BigInt(Math.floor((now.getTime() - started.getTime()) / 1000))
      await device.send(TELEMETRY, `/${sensor}/uptimeSeconds`, uptime, { timestamp: now })
    }
    if (tick % 5 === 0) {
      const m = device.metrics()
      log(`tick ${tick}: ${m.acked} messages acknowledged, ${m.queued} queued`)
      await device.sendObject(
        ENVIRONMENT,
        '/livingroom',
        { temperature: reading(tick, 0), humidity: 40 + (tick % 7), co2: 400 + tick },
        { timestamp: now },
      )
    }
    await sleep(periodMs, options.signal)
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done(): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}
