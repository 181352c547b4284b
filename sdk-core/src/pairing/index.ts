/** @module pairing: Pairing API v1 client (spec §4) — request builders, parsers, PairingMachine. */
export type { BrokerAddress } from './broker-url.js'
export { parseBrokerUrl } from './broker-url.js'
export type { CredentialsParams } from './credentials.js'
export { credentialsRequest, parseCredentialsResponse } from './credentials.js'
export type { DeviceInfo, DeviceStatus } from './device-info.js'
export { deviceInfoRequest, parseDeviceInfoResponse } from './device-info.js'
export type { DeviceRouteParams } from './device-route.js'
export type { InterfaceVersion, RegisterDeviceParams, UnregisterDeviceParams } from './register.js'
export {
  parseRegisterDeviceResponse,
  parseUnregisterDeviceResponse,
  registerDeviceRequest,
  unregisterDeviceRequest,
} from './register.js'
export type { PairingError, PairingRoute } from './response.js'
export { checkDeviceId, checkPairingUrl, checkRealm } from './target.js'
export { parsePairingTimestamp } from './timestamp.js'
export type { VerifyCause, VerifyCredentialsParams, VerifyResult } from './verify.js'
export { parseVerifyResponse, verifyCredentialsRequest } from './verify.js'
export { PairingMachine } from './machine/pairing-machine.js'
export type { PairingStateTag } from './machine/pairing-machine.js'
export type { BackoffPolicy, RenewalPolicy } from './machine/schedule.js'
export { backoffDelayMs, renewalTimeMs } from './machine/schedule.js'
export type {
  PairingAction,
  PairingConfig,
  PairingInput,
  PairingStep,
  StoredCredentials,
} from './machine/types.js'
export { isPairingId } from './machine/types.js'
