export { Device, type DeviceValue, type PropertyEntry, type SendOptions } from './device.js'
export type { DeviceEvents, DeviceMetrics, DeviceStateName, ServerMessage } from './events.js'
export type { MessageStreamOptions } from './message-stream.js'
export { registerDevice, type RegisterDeviceOptions } from './register-device.js'
