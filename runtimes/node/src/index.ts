/**
 * @module @astarte-ts/runtime-node: the Node.js runtime. `Device` is the promise-based façade most
 * users need; the adapters (SQLite store, MQTT.js transport, crypto, HTTP, zlib, logger,
 * credential files) are exported for custom wiring and tests.
 */
export * from './device/index.js'
export {
  DEFAULT_DEVICE_ID_NAMESPACE,
  defaultBackoff,
  defaultKeepaliveSec,
  defaultKeyAlgorithm,
  type DeviceOptions,
  type DevicePorts,
  type InterfaceSource,
  type StoreLimits,
} from './config/options.js'
export { checkDeviceConfig, loadDeviceConfig } from './config/config-file.js'
export { interruptSignal } from './config/interrupt-signal.js'
export { interfaceFromSource, loadInterfaces } from './interfaces/load-interfaces.js'
export { messageToJson, valueFromJsonAt } from './interfaces/json-values.js'
export * from './credentials/index.js'
export * from './crypto/index.js'
export * from './http/index.js'
export * from './log/index.js'
export * from './provision/index.js'
export * from './store/index.js'
export * from './transport/index.js'
export * from './zlib/index.js'
