/** @module leds from config: the `[[hardware.leds]]` entries as `Led`s, by id. */
import type { Clock } from '@astarte-ts/sdk-core'
import type { LedConfig } from '../config/types.js'
import { GpioLed } from './gpio-led.js'
import { SimulatedLed, type LedChange } from './led.js'
import { SysfsLed } from './sysfs-led.js'
import type { Led } from './led.js'

/** Options of {@link ledsFromConfig}. */
export interface LedsFromConfigOptions {
  /** The clock simulated LEDs stamp their changes with. */
  readonly clock: Clock
  /** Told of each change of a simulated LED (the demo draws the timeline). */
  readonly onSimulatedChange?: (id: string, change: LedChange) => void
  /** The LED class directory for sysfs LEDs; `/sys/class/leds` by default. */
  readonly sysfsRoot?: string
}

/** One `Led` per configured entry, by its id; nothing is opened yet (the feature does). */
export function ledsFromConfig(
  entries: readonly LedConfig[],
  options: LedsFromConfigOptions,
): Record<string, Led> {
  const leds: Record<string, Led> = {}
  for (const entry of entries) {
    leds[entry.id] = ledFor(entry, options)
  }
  return leds
}

function ledFor(entry: LedConfig, options: LedsFromConfigOptions): Led {
  switch (entry.type) {
    case 'sysfs':
      return new SysfsLed(
        entry.name,
        options.sysfsRoot === undefined ? {} : { root: options.sysfsRoot },
      )
    case 'gpio':
      return new GpioLed(entry.line, { activeLow: entry.activeLow })
    case 'simulated': {
      const notify = options.onSimulatedChange
      return new SimulatedLed(
        options.clock,
        notify === undefined ? undefined : (change) => notify(entry.id, change),
      )
    }
  }
}
