export {
  OVERRIDES_FILE,
  telemetryFeature,
  type TelemetryFeature,
  type TelemetryOptions,
} from './telemetry-feature.js'
export {
  DEFAULT_PERIOD_SECONDS,
  MAX_PERIOD_SECONDS,
  TELEMETRY_CONFIG,
  type TelemetryConfigEntry,
} from './settings.js'
export { BATTERY_STATUS, STORAGE_USAGE, SYSTEM_STATUS, WIFI_SCAN_RESULTS } from './samplers.js'
