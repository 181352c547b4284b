/**
 * @module fake pairing: a Pairing API peer (spec §4.3) and key/CSR/credential-file stand-ins for
 * the loopback. Certificates are fake PEMs carrying their validity as JSON, read back by
 * `parseCertificate`; real X.509 and TLS are the node runtime's to test.
 */
import type { CertificateInfo, DeviceAction, DeviceInput, HttpRequest } from '@astarte-ts/sdk-core'

export interface FakePairingOptions {
  readonly realm: string
  readonly deviceId: string
  /** Reads the current time (the loopback's clock). */
  readonly now: () => number
  readonly brokerUrl?: string
  /** Lifetime of issued certificates; default 2190 h (spec §4.5). */
  readonly lifetimeMs?: number
}

const pem = (label: string, body: string): string =>
  `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`
const BEGIN = '-----BEGIN CERTIFICATE-----\n'
const END = '\n-----END CERTIFICATE-----\n'

const json = (status: number, data: unknown): { status: number; body: string } => ({
  status,
  body: JSON.stringify({ data }),
})
const CREDENTIALS = '/protocols/astarte_mqtt_v1/credentials'

type PairingAction = Extract<
  DeviceAction,
  { type: 'http' | 'crypto.createKeyAndCsr' | 'credentials.save' }
>

// spec §4.3.5: "YYYY-MM-DD HH:MM:SS.mmmZ", with a space
const pairingTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ')

export class FakePairing {
  readonly requests: HttpRequest[] = []
  /** Credentials the device asked to save, in order. */
  readonly saved: { readonly certificatePem: string; readonly privateKeyPem: string }[] = []
  /** Serial numbers of certificates revoked because a newer one was issued (spec §4.3.4). */
  readonly revoked = new Set<string>()
  readonly #options: FakePairingOptions
  #serial = 0

  constructor(options: FakePairingOptions) {
    this.#options = options
  }

  get issued(): number {
    return this.#serial
  }

  /** `CryptoProvider.parseCertificate` for the certificates this peer issues. */
  readonly parseCertificate = (text: string): CertificateInfo => {
    if (!text.startsWith(BEGIN) || !text.endsWith(END)) throw new Error('not a fake certificate')
    const body = Buffer.from(text.slice(BEGIN.length, -END.length), 'base64').toString('utf8')
    return JSON.parse(body) as CertificateInfo
  }

  /** The input that answers a pairing action. */
  answer(action: PairingAction): DeviceInput {
    switch (action.type) {
      case 'crypto.createKeyAndCsr':
        return {
          type: 'crypto.keyAndCsr',
          requestId: action.requestId,
          privateKeyPem: pem('PRIVATE KEY', `key${this.#serial + 1}`),
          csrPem: pem('CERTIFICATE REQUEST', action.commonName),
        }
      case 'credentials.save': {
        const { certificatePem, privateKeyPem } = action
        this.saved.push({ certificatePem, privateKeyPem })
        return { type: 'credentials.saved', requestId: action.requestId }
      }
      case 'http':
        this.requests.push(action.request)
        return {
          type: 'http.response',
          requestId: action.requestId,
          response: this.#route(action.request),
        }
    }
  }

  #route(request: HttpRequest): { status: number; body: string } {
    const { realm, deviceId } = this.#options
    const device = `/v1/${realm}/devices/${deviceId}`
    const path = new URL(request.url).pathname
    if (request.method === 'GET' && path.endsWith(device)) {
      return json(200, {
        version: '1.2.0',
        status: this.#serial > 0 ? 'confirmed' : 'pending',
        protocols: {
          astarte_mqtt_v1: { broker_url: this.#options.brokerUrl ?? 'mqtts://broker.test:8883/' },
        },
      })
    }
    if (request.method === 'POST' && path.endsWith(`${device}${CREDENTIALS}`)) {
      return json(201, { client_crt: this.#issue() })
    }
    if (request.method === 'POST' && path.endsWith(`${device}${CREDENTIALS}/verify`)) {
      const { data } = JSON.parse(request.body ?? '{}') as { data: { client_crt: string } }
      const info = this.parseCertificate(data.client_crt)
      const now = this.#options.now()
      const current = now >= info.notBeforeMs && now < info.notAfterMs
      const valid = current && !this.revoked.has(info.serialNumber)
      return valid
        ? json(200, { valid, timestamp: pairingTime(now), until: pairingTime(info.notAfterMs) })
        : json(200, { valid, timestamp: pairingTime(now), cause: 'REVOKED', details: null })
    }
    return { status: 404, body: JSON.stringify({ errors: { detail: 'Not found' } }) }
  }

  #issue(): string {
    for (let s = 1; s <= this.#serial; s++) this.revoked.add(String(s))
    const now = this.#options.now()
    const info: CertificateInfo = {
      subjectCommonName: `${this.#options.realm}/${this.#options.deviceId}`,
      notBeforeMs: now,
      notAfterMs: now + (this.#options.lifetimeMs ?? 2190 * 3_600_000),
      serialNumber: String(++this.#serial),
    }
    return `${BEGIN}${Buffer.from(JSON.stringify(info)).toString('base64')}${END}`
  }
}
