/** @module provisioning: credentials made on the production host, one device or a batch. */
export type { CredentialsBundle } from './credentials-bundle.js'
export {
  BUNDLE_FILES,
  BUNDLE_FORMAT,
  ESPRUINO_STORAGE_FILE,
  MODDABLE_PREFERENCE_DOMAIN,
  checkBundle,
  espruinoStorageScript,
  moddablePreferences,
} from './credentials-bundle.js'
export type { ProvisionOptions, ProvisionOutcome, ProvisionResult } from './provision-device.js'
export { provisionDevice } from './provision-device.js'
export type { AuditRecord, BatchOptions, BatchSummary } from './batch.js'
export { parseHardwareIds, provisionBatch } from './batch.js'
