export { AGENT_NAME, deviceInfoFeatures, type DeviceInfoOptions } from './device-info-feature.js'
export type { BaseImageOptions, RuntimeInfoOptions } from './readings.js'
export { EDGEHOG, loadEdgehogInterface, shippedEdgehogDirectory } from './edgehog-interfaces.js'
