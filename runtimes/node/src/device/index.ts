export { Device } from './device.js'
export { nodeScheduler, nodeTimers } from './host.js'
export type {
  AstarteDevice,
  DeviceApiMetrics as DeviceMetrics,
  DeviceEvents,
  DeviceStateName,
  DeviceValue,
  MessageStreamOptions,
  PropertyEntry,
  SendOptions,
  ServerMessage,
} from '@astarte-ts/sdk-core'
export { registerDevice, type RegisterDeviceOptions } from './register-device.js'
