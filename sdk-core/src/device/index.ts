/** @module device: the device state machine (spec §3) and its inputs, actions and events. */
export { DeviceMachine } from './device-machine.js'
export { interfaceChanges, type InterfaceChanges } from './interfaces.js'
export { AscendingIdMap } from './ascending-id-map.js'
export { ascendingIdTable, mapIdTable, type IdTable, type IdTableFactory } from './id-table.js'
export type { DeviceState } from './state.js'
export type {
  DeviceAction,
  DeviceConfig,
  DeviceConnectOptions,
  DeviceEvent,
  DeviceInput,
  DeviceMetrics,
  DevicePairingConfig,
  DeviceStateTag,
  MqttPublishAction,
  OpId,
} from './types.js'
export { META_INTROSPECTION, META_SYNCED } from './sync.js'
export { storeTransactions, type StoreTransactions } from './store-transaction.js'
export { directPaths, type DirectPaths } from './direct.js'
