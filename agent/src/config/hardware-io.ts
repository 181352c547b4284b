/**
 * @module config hardware io: `[[hardware.sensors]]` and `[[hardware.gpio]]`, the endpoints
 * dataflows name by id. Read into `SensorConfig` / `GpioConfig` with every problem at its key
 * path; ids are unique across both lists (one namespace of flow endpoints).
 */
import type { ConfigProblem, GpioConfig, SensorConfig } from './types.js'
import type { Section } from './validate.js'

const SENSOR_KINDS = ['bme280', 'sht3x', 'simulated-bme280', 'simulated-sht3x'] as const
const DEFAULT_ADDRESS = { bme280: 0x76, sht3x: 0x44 } as const
const OVERSAMPLINGS = [1, 2, 4, 8, 16] as const

/** Reads one `[[hardware.sensors]]` entry. */
export function readSensor(s: Section): SensorConfig | undefined {
  const id = s.string('id', { required: true, nonEmpty: true })
  const kind = required(s, 'kind', s.oneOf('kind', SENSOR_KINDS))
  const family = kind?.replace('simulated-', '') as 'bme280' | 'sht3x' | undefined
  const simulated = kind?.startsWith('simulated-') ?? false
  const bus = simulated ? undefined : (s.integer('bus', 0, 255) ?? 1)
  const address = s.integer('address', 0x08, 0x77) ?? (family && DEFAULT_ADDRESS[family])
  if (family !== undefined && address !== undefined && !isAddressOf(family, address)) {
    s.problem(
      'address',
      `a ${family} answers at ${addressesOf(family)}, not 0x${address.toString(16)}`,
    )
  }
  const periodMs = s.integer('period_ms', 10, 86_400_000) ?? 1000
  const tags = readTags(s)
  const oversampling = family === 'bme280' ? s.integer('oversampling', 1, 16) : undefined
  if (oversampling !== undefined && !(OVERSAMPLINGS as readonly number[]).includes(oversampling)) {
    s.problem('oversampling', `must be one of ${OVERSAMPLINGS.join(', ')}, not ${oversampling}`)
  }
  const repeatability =
    family === 'sht3x' ? s.oneOf('repeatability', ['high', 'medium', 'low'] as const) : undefined
  s.done()
  if (id === undefined || kind === undefined || address === undefined || tags === undefined) {
    return undefined
  }
  return {
    id,
    kind,
    ...(bus === undefined ? {} : { bus }),
    address,
    periodMs,
    tags,
    ...(oversampling === undefined ? {} : { oversampling: oversampling as 1 | 2 | 4 | 8 | 16 }),
    ...(repeatability === undefined ? {} : { repeatability }),
  }
}

/** Reads one `[[hardware.gpio]]` entry. */
export function readGpio(s: Section): GpioConfig | undefined {
  const id = s.string('id', { required: true, nonEmpty: true })
  const kind = required(s, 'kind', s.oneOf('kind', ['gpio', 'simulated-gpio'] as const))
  const line = required(s, 'line', s.integer('line', 0, 65_535))
  const direction = required(s, 'direction', s.oneOf('direction', ['in', 'out'] as const))
  const edge =
    direction === 'in'
      ? (s.oneOf('edge', ['rising', 'falling', 'both'] as const) ?? 'both')
      : 'both'
  const debounceMs = direction === 'in' ? (s.integer('debounce_ms', 0, 10_000) ?? 0) : 0
  const activeLow = s.boolean('active_low') ?? false
  const tags = readTags(s)
  s.done()
  if (
    id === undefined ||
    kind === undefined ||
    line === undefined ||
    direction === undefined ||
    tags === undefined
  ) {
    return undefined
  }
  return { id, kind, line, direction, edge, debounceMs, activeLow, tags }
}

/** Flags ids used twice across sensors and GPIO lines. */
export function checkEndpointIds(
  sensors: readonly SensorConfig[],
  gpio: readonly GpioConfig[],
  problems: ConfigProblem[],
): void {
  const seen = new Set<string>()
  const check = (list: string, entries: readonly { id: string }[]): void => {
    entries.forEach((entry, i) => {
      if (seen.has(entry.id)) {
        problems.push({
          path: `hardware.${list}[${i}].id`,
          message: `${entry.id} is already a sensor or GPIO line id`,
        })
      }
      seen.add(entry.id)
    })
  }
  check('sensors', sensors)
  check('gpio', gpio)
}

function required<T>(s: Section, key: string, value: T | undefined): T | undefined {
  if (value === undefined && s.table[key] === undefined) s.problem(key, 'required, missing')
  return value
}

function readTags(s: Section): Readonly<Record<string, string>> | undefined {
  const table = s.table_('tags')
  if (table === undefined) return s.table['tags'] === undefined ? {} : undefined
  const tags: Record<string, string> = {}
  let ok = true
  for (const key of Object.keys(table.table)) {
    const value = table.string(key)
    if (value === undefined) ok = false
    else tags[key] = value
  }
  return ok ? tags : undefined
}

function isAddressOf(family: 'bme280' | 'sht3x', address: number): boolean {
  return family === 'bme280'
    ? address === 0x76 || address === 0x77
    : address === 0x44 || address === 0x45
}

function addressesOf(family: 'bme280' | 'sht3x'): string {
  return family === 'bme280' ? '0x76 or 0x77' : '0x44 or 0x45'
}
