/**
 * @module runtime-moddable: astarte-ts on Moddable's XS (ESP32): the device and the adapters
 * from Moddable's modules to sdk-core's ports.
 */
export { ModdableDevice, type ModdableDeviceOptions } from './device.js'
export {
  CREDENTIALS_DOMAIN,
  provisionedCrypto,
  readProvisionedCredentials,
  saveCertificate,
  type ProvisionedCredentials,
} from './credentials.js'
export { parseCertificate } from './certificate.js'
export { secureSocketConnector } from './byte-stream.js'
export { moddableHttpClient } from './http.js'
export { openPreferenceStore, type PreferenceApi, type StoreLimits } from './preference-store.js'
export { moddableScheduler, moddableTimers } from './timers.js'
export { moddableInflater } from './zlib.js'
export { SdkError } from '@astarte-ts/sdk-core'
