/**
 * @module device registration: the agent call a production line (or a first boot) makes with a
 * pairing JWT (spec §4.3.1). The JWT and the returned secret never reach logs or errors.
 */
import {
  parseRegisterDeviceResponse,
  registerDeviceRequest,
  type AbortSignalLike,
  type HttpClient,
  type Interface,
  type InterfaceVersion,
} from '@astarte-ts/sdk-core'

export interface RegisterDeviceOptions {
  readonly http: HttpClient
  readonly pairingUrl: string
  readonly realm: string
  readonly jwt: string
  readonly deviceId: string
  /** Announced as `initial_introspection` when given. */
  readonly interfaces?: readonly Interface[]
  /** Abandons the request (see `HttpRequestOptions.signal`). */
  readonly signal?: AbortSignalLike
}

/**
 * Registers `deviceId` and returns its credentials secret. Throws the pairing `SdkError`
 * (`remote.device_already_registered` once the device has requested credentials, …).
 */
export async function registerDevice(options: RegisterDeviceOptions): Promise<string> {
  const introspection: Record<string, InterfaceVersion> = {}
  for (const iface of options.interfaces ?? []) {
    introspection[iface.name] = { major: iface.major, minor: iface.minor }
  }
  const request = registerDeviceRequest({
    pairingUrl: options.pairingUrl,
    realm: options.realm,
    jwt: options.jwt,
    deviceId: options.deviceId,
    ...(options.interfaces === undefined ? {} : { initialIntrospection: introspection }),
  })
  const { signal } = options
  const answer = await options.http.request(request, signal === undefined ? {} : { signal })
  const parsed = parseRegisterDeviceResponse(answer)
  if (!parsed.ok) throw parsed.error
  return parsed.value.credentialsSecret
}
