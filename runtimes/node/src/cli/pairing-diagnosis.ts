/**
 * @module pairing diagnosis: Pairing answers 403 `Forbidden` both for an unknown realm and for a
 * wrong credentials secret or JWT (spec §4.1). Its unauthenticated `GET /v1/<realm>/version` is
 * 403 for an unknown realm only, so one more request tells the two apart.
 */
import { SdkError, type HttpClient } from '@astarte-ts/sdk-core'

/** `e` with the likely cause of a 403 made certain when the realm probe can tell; else `e`. */
function forbiddenIn(e: unknown): SdkError | undefined {
  for (let c: unknown = e; c instanceof SdkError; c = (c as { cause?: unknown }).cause) {
    if (c.code === 'remote.pairing_forbidden') return c
  }
  return undefined
}

/** `e` with the likely cause of a 403 made certain when the realm probe can tell; else `e`. */
export async function explainPairingFailure(
  e: unknown,
  http: () => Promise<HttpClient>,
  pairingUrl: string,
  realm: string,
): Promise<unknown> {
  const refusal = forbiddenIn(e)
  if (refusal === undefined) return e
  const route = String(refusal.ctx.route ?? '')
  let status: number
  try {
    const url = `${pairingUrl.replace(/\/+$/, '')}/v1/${realm}/version`
    const res = await (
      await http()
    ).request({ method: 'GET', url, headers: { Accept: 'application/json' } })
    status = res.status
  } catch {
    return e
  }
  const agent = route === 'register' || route === 'unregister'
  let cause: string
  if (status === 403)
    cause = `the realm '${realm}' doesn't exist on this Pairing API: check --realm`
  else if (status === 200 && agent) {
    cause = `the realm '${realm}' exists: the pairing JWT is not accepted for it (a_pa claim, realm key)`
  } else if (status === 200) {
    cause = `the realm '${realm}' exists: the credentials secret is wrong (or the device inhibited)`
  } else return e
  const first = refusal.message.split(';')[0] ?? refusal.message
  return new SdkError(refusal.code, `${first}; ${cause}`, { ctx: refusal.ctx })
}
