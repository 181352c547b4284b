/**
 * @module @astarte-ts/firmware-bridge: the serial protocol of PROTOCOL.md (codec and link layer)
 * and the host bridge that makes each microcontroller an Astarte device.
 */
export * from './codec/cbor.js'
export * from './codec/cobs.js'
export * from './codec/crc16.js'
export * from './codec/frame.js'
export * from './codec/messages.js'
export * from './codec/json.js'
export * from './link/sequence.js'
export * from './mcu/peer.js'
export * from './bridge/table.js'
export * from './bridge/session.js'
export * from './bridge/config.js'
export * from './bridge/bridge.js'
export { type Relay, type RelayOptions, startRelay } from './testing/pty-relay.js'
