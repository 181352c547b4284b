/**
 * @module scripted pairing (test helper): an in-memory Pairing API v1 following spec §4 — the
 * device routes with their envelopes, auth rules, CN forcing, revocation on every credentials
 * request and space-separated verify timestamps — plus a script of canned answers served first.
 */
import type { HttpRequest, HttpResponse } from '@astarte-ts/sdk-core'
import type { TestCa } from './test-pki.js'
import { createTestCa, parseCertificate } from './test-pki.js'

export type Answer = HttpResponse | 'network-error'

export interface ScriptedPairingOptions {
  readonly realm: string
  readonly deviceId: string
  readonly secret: string
  readonly lifetimeMs: number
  readonly brokerUrl?: string
}

const json = (status: number, body: unknown): HttpResponse => ({
  status,
  body: JSON.stringify(body),
})
const detail = (status: number, text: string) => json(status, { errors: { detail: text } })
/** spec §4.3.5 **[quirk]**: `YYYY-MM-DD HH:MM:SS.mmmZ` with a space. */
const stamp = (ms: number) => new Date(ms).toISOString().replace('T', ' ')

export class ScriptedPairing {
  status: 'pending' | 'confirmed' | 'inhibited' = 'pending'
  /** Answers served before the simulated routes, oldest first. */
  readonly script: Answer[] = []
  readonly requests: HttpRequest[] = []
  readonly revoked = new Set<string>()
  current: string | undefined
  readonly ca: TestCa = createTestCa()
  readonly #base: string

  constructor(readonly options: ScriptedPairingOptions) {
    this.#base = `/v1/${options.realm}/devices/${options.deviceId}`
  }

  /** Issues a certificate as the credentials route would, revoking the previous one. */
  issue(csrPem: string, nowMs: number): string {
    if (this.current !== undefined) this.revoked.add(this.current)
    const notBeforeMs = Math.floor(nowMs / 1000) * 1000
    const commonName = `${this.options.realm}/${this.options.deviceId}`
    const pem = this.ca.sign(csrPem, commonName, notBeforeMs, notBeforeMs + this.options.lifetimeMs)
    this.current = parseCertificate(pem).serialNumber
    this.status = 'confirmed'
    return pem
  }

  handle(req: HttpRequest, nowMs: number): Answer {
    this.requests.push(req)
    const scripted = this.script.shift()
    if (scripted !== undefined) return scripted
    const url = new URL(req.url).pathname
    const path = url.slice(url.indexOf('/v1/'))
    const auth = req.headers['Authorization'] ?? ''
    // spec §4.1: unreadable header → 401, wrong secret → 403
    if (!/^bearer:?\s+\S/i.test(auth)) return detail(401, 'Unauthorized')
    if (auth.replace(/^bearer:?\s+/i, '') !== this.options.secret) return detail(403, 'Forbidden')
    const data = ((): Record<string, unknown> | undefined => {
      try {
        return (JSON.parse(req.body ?? '') as { data?: Record<string, unknown> }).data
      } catch {
        return undefined
      }
    })()
    const route = `${req.method} ${path}`
    switch (route) {
      case `GET ${this.#base}`: {
        const brokerUrl = this.options.brokerUrl ?? 'mqtts://broker.test:8883/'
        const protocols = { astarte_mqtt_v1: { broker_url: brokerUrl } }
        return json(200, { data: { version: '1.2.0', status: this.status, protocols } })
      }
      case `POST ${this.#base}/protocols/astarte_mqtt_v1/credentials`: {
        if (data === undefined) return detail(400, 'Bad Request')
        if (typeof data['csr'] !== 'string' || data['csr'] === '') {
          return json(422, { errors: { csr: ["can't be blank"] } })
        }
        try {
          return json(201, { data: { client_crt: this.issue(data['csr'], nowMs) } })
        } catch {
          return json(422, { errors: { csr: ['is not a valid PEM CSR'] } })
        }
      }
      case `POST ${this.#base}/protocols/astarte_mqtt_v1/credentials/verify`:
        return this.#verify(data?.['client_crt'], nowMs)
      default:
        return detail(404, 'Not found')
    }
  }

  /** spec §4.3.5: a chain and time check only; revocation is not consulted. */
  #verify(pem: unknown, nowMs: number): HttpResponse {
    if (typeof pem !== 'string' || pem === '') {
      return json(422, { errors: { client_crt: ["can't be blank"] } })
    }
    const invalid = (cause: string) =>
      json(200, { data: { valid: false, timestamp: stamp(nowMs), cause, details: null } })
    let info
    try {
      info = parseCertificate(pem)
    } catch {
      return invalid('INVALID')
    }
    if (!this.ca.issued(pem)) return invalid('INVALID_ISSUER')
    if (nowMs >= info.notAfterMs) return invalid('EXPIRED')
    const until = stamp(info.notAfterMs)
    return json(200, { data: { valid: true, timestamp: stamp(nowMs), until } })
  }
}
