/** @module id: device ids (spec §4.4): UUID v5/v4 derivation and base64url ⇄ UUID conversion. */
export {
  deviceIdFromUuidV5,
  deviceIdToUuid,
  isValidDeviceId,
  randomDeviceId,
  uuidToDeviceId,
} from './device-id.js'
export { formatUuid, parseUuid } from './uuid.js'
