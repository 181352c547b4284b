/**
 * @module @astarte-ts/fleet: the fleet simulator, a load tool outside the runtimes. Thousands of
 * virtual devices, each sdk-core's `MqttSession` over `node:tls` and credentials from its
 * `PairingMachine`, driven by one schedule; `astarte-fleet` is its command line.
 */
export { runFleet, type FleetIo, type FleetOptions } from './run-fleet.js'
export type { FleetSummary } from './summary.js'
export { parseFleetArgs, usage, UsageError } from './cli/args.js'
