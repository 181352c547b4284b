/**
 * @module pairing device: the routes a device calls with its credentials secret (spec §4.3.3 to
 * §4.3.5). Check order as Pairing does it: header (401), body (400/422), device (404), then
 * secret (403).
 */
import { ASTARTE_VERSION, type SandboxContext } from '../context.js'
import { canonicalDeviceId } from '../device-id.js'
import { data, detail, forbidden, invalid, readDataObject } from '../http/reply.js'
import type { HttpRequest, Reply } from '../http/types.js'
import { parseCsr } from '../pki/ca.js'
import type { DeviceRow } from '../store/devices.js'
import { bearerSecret, secretMatches } from './secret.js'

type Authenticated =
  { readonly ok: true; readonly device: DeviceRow } | { readonly ok: false; readonly reply: Reply }

function authenticate(ctx: SandboxContext, hwId: string, secret: string): Authenticated {
  const deviceId = canonicalDeviceId(hwId)
  const device = deviceId === null ? undefined : ctx.devices.get(deviceId)
  if (device === undefined || !device.registered) {
    return { ok: false, reply: detail(404, 'Device not found') }
  }
  if (!secretMatches(secret, device.secretHash)) return { ok: false, reply: forbidden }
  return { ok: true, device }
}

const unauthorized = detail(401, 'Unauthorized')

/** `GET /v1/<realm>/devices/<hw_id>` */
export function deviceInfo(ctx: SandboxContext, req: HttpRequest, hwId: string): Reply {
  const secret = bearerSecret(req.headers.authorization)
  if (secret === undefined) return unauthorized
  const auth = authenticate(ctx, hwId, secret)
  if (!auth.ok) return auth.reply
  const d = auth.device
  const status = d.credentialsInhibited
    ? 'inhibited'
    : d.firstCredentialsRequest !== null
      ? 'confirmed'
      : 'pending'
  return data(200, {
    version: ASTARTE_VERSION,
    status,
    protocols: { astarte_mqtt_v1: { broker_url: ctx.brokerUrl() } },
  })
}

/** `POST …/astarte_mqtt_v1/credentials`: revokes the previous certificate, signs the CSR. */
export async function requestCredentials(
  ctx: SandboxContext,
  req: HttpRequest,
  hwId: string,
): Promise<Reply> {
  const secret = bearerSecret(req.headers.authorization)
  if (secret === undefined) return unauthorized
  const body = await readDataObject(req)
  if (!body.ok) return body.reply
  const pem = body.value['csr']
  if (pem === undefined || pem === null || pem === '') return invalid('csr', "can't be blank")
  const csr = typeof pem === 'string' ? await parseCsr(pem) : null
  if (csr === null) return invalid('csr', 'is not a valid PEM CSR')
  const auth = authenticate(ctx, hwId, secret)
  if (!auth.ok) return auth.reply
  const { deviceId } = auth.device
  if (auth.device.credentialsInhibited) return forbidden
  // Revoke first (spec §4.3.4): a failed signing still leaves the old certificate unusable.
  ctx.devices.revokeCertificate(deviceId)
  const issued = await ctx.ca.signDeviceCsr(csr, `${ctx.realm}/${deviceId}`, ctx.certLifetimeSec)
  ctx.devices.setCertificate(deviceId, issued.serial, req.ip, Date.now())
  ctx.logger.log('info', 'certificate issued', { deviceId, serial: issued.serial })
  return data(201, { client_crt: issued.pem })
}

/** `POST …/protocols/astarte_mqtt_v1/credentials/verify`: chain and validity only (spec §4.3.5). */
export async function verifyCredentials(
  ctx: SandboxContext,
  req: HttpRequest,
  hwId: string,
): Promise<Reply> {
  const secret = bearerSecret(req.headers.authorization)
  if (secret === undefined) return unauthorized
  const body = await readDataObject(req)
  if (!body.ok) return body.reply
  const pem = body.value['client_crt']
  if (typeof pem !== 'string' || pem === '') return invalid('client_crt', "can't be blank")
  const auth = authenticate(ctx, hwId, secret)
  if (!auth.ok) return auth.reply
  const now = new Date()
  const check = await ctx.ca.verify(pem, now)
  const timestamp = pairingTimestamp(now)
  return check.valid
    ? data(200, { valid: true, timestamp, until: pairingTimestamp(check.until) })
    : data(200, { valid: false, timestamp, cause: check.cause, details: null })
}

/** `YYYY-MM-DD HH:MM:SS.mmmZ`, with a space [quirk] (spec §4.3.5). */
export function pairingTimestamp(date: Date): string {
  return date.toISOString().replace('T', ' ')
}
