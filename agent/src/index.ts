/**
 * @module @astarte-ts/agent: an Edgehog-compatible device agent on sdk-core's device API. The
 * `Agent` runs `Feature`s (device information, telemetry, commands, LED behaviors) on one
 * `AstarteDevice`; `loadConfig` reads edgehog-device-runtime's TOML file and this agent's own
 * sections; `agentFeatures` turns a configuration into its features. The `astarte-agent` bin wires
 * all of it to the Node runtime.
 */
export { Agent, type AgentOptions, type DeclaredFeatures } from './core/agent.js'
export type { Feature, FeatureContext } from './core/feature.js'
export { agentFeatures, type FeaturePorts } from './core/features.js'
export {
  childLogger,
  journalLogger,
  LOG_LEVELS,
  redactSecrets,
  type JournalLoggerOptions,
} from './core/logger.js'
export { TrackedDevice } from './core/tracked-device.js'
export * from './config/index.js'
export * from './system/index.js'
export * from './device-info/index.js'
export * from './telemetry/index.js'
export * from './commands/index.js'
export * from './led/index.js'
export * from './ota/index.js'
export * from './file-transfer/index.js'
export * from './transfer/index.js'
export * from './dataflow/index.js'
export * from './hardware/index.js'
