/**
 * @module @astarte-ts/runtime-espruino: Astarte on Espruino (ESP32). The bundle's global
 * `Astarte` (and a module's `exports`, when Espruino loads it with `require`).
 */
export { EspruinoDevice, open, type EspruinoDeviceOptions } from './device.js'
export { CREDENTIALS_FILE } from './credentials.js'
