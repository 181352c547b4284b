/**
 * @module led: `io.edgehog.devicemanager.LedBehavior` patterns on LEDs behind a `Led` port: a
 * sysfs LED, a GPIO line through `onoff`, or a simulated LED recording its timeline.
 */
export { GpioLed, type GpioLedOptions } from './gpio-led.js'
export { SimulatedLed, type Led, type LedChange } from './led.js'
export {
  INDICATOR_LED,
  LED_BEHAVIOR_INTERFACE,
  ledFeature,
  type LedFeatureOptions,
} from './led-feature.js'
export { ledsFromConfig, type LedsFromConfigOptions } from './from-config.js'
export {
  LED_PATTERNS,
  type BlinkPattern,
  type BlinkStep,
  type LedBehaviorName,
} from './patterns.js'
export { SYSFS_LEDS, SysfsLed, type SysfsLedOptions } from './sysfs-led.js'
