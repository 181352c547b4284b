/** @module ota: Edgehog over-the-air updates (OTARequest → OTAEvent) through a `SystemUpdate` port. */
export {
  OTA_DEFAULTS,
  OTA_EVENT_INTERFACE,
  OTA_REQUEST_INTERFACE,
  otaFeature,
  splitDigest,
  type OtaFeature,
  type OtaFeatureOptions,
} from './ota-feature.js'
export type { OtaEvent, OtaStatus, OtaStatusCode } from './ota-events.js'
export {
  SystemUpdateError,
  type BundleInfo,
  type InstallProgress,
  type SystemUpdate,
  type SystemUpdateErrorCode,
} from './system-update.js'
export { raucSystemUpdate, type RaucSystemUpdateOptions } from './rauc.js'
export {
  DIRECTORY_BUNDLE_FORMAT,
  bootDirectorySlots,
  directorySystemUpdate,
  writeDirectoryBundle,
  type DirectoryBundleManifest,
  type DirectorySlot,
  type DirectorySystemUpdateOptions,
} from './directory-ab.js'
