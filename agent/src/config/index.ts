export * from './types.js'
export { validateConfig, type ConfigResult } from './validate.js'
export {
  applyEnvOverrides,
  CONFIG_SEARCH_PATH,
  ENV_OVERRIDES,
  loadConfig,
  parseToml,
  type LoadConfigOptions,
  type LoadedConfig,
} from './load.js'
