/**
 * @module strict pairing (test helper): a recording Pairing API on `node:https` that answers the
 * device routes of spec §4 as strictly as Astarte: `Authorization: Bearer <secret>` (401 when
 * missing or unparseable, 403 when wrong), JSON bodies wrapped in `data` (400 otherwise), CSRs
 * signed with the subject forced to `CN=<realm>/<device_id>` and the previous certificate revoked
 * (spec §4.3.4), verify answering with space-separated timestamps (spec §4.3.5). Every request is
 * recorded raw; a test may answer any request itself through `override`.
 */
import { createServer } from 'node:https'
import type { IncomingHttpHeaders, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { webcrypto } from 'node:crypto'
import { x509 } from '../../src/crypto/x509.js'
import { issueCertificate } from '../helpers/pki.js'
import type { IssuedCertificate, TestCa } from '../helpers/pki.js'

export interface RecordedRequest {
  readonly method: string
  /** Path and query as sent. */
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

export interface Answer {
  readonly status: number
  readonly body?: unknown
}

export interface StrictPairingOptions {
  readonly ca: TestCa
  readonly server: IssuedCertificate
  readonly realm: string
  readonly deviceId: string
  readonly secret: string
  /** The agent JWT `POST /agent/devices` accepts (spec §4.3.1); the answer is `secret`. */
  readonly jwt?: string
  /** What device info names as `broker_url`. */
  readonly brokerUrl: string
  /** Lifetime of issued certificates; default one day. */
  readonly lifetimeSec?: number
}

export interface StrictPairing {
  /** `https://localhost:<port>/pairing`. */
  readonly url: string
  readonly requests: RecordedRequest[]
  /** Certificates issued, oldest first; only the last one verifies as valid. */
  readonly issued: string[]
  /** Answers a request instead of the normal route when it returns an answer. */
  override: ((req: RecordedRequest) => Answer | undefined) | undefined
  stop(): Promise<void>
}

const json = (status: number, body?: unknown): Answer =>
  body === undefined ? { status } : { status, body }
const detail = (status: number, text: string): Answer => json(status, { errors: { detail: text } })

/** `YYYY-MM-DD HH:MM:SS.mmmZ`, with the space Pairing really sends (spec §4.3.5). */
const pairingTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ')

/** spec §4.1: `bearer`, optional `:`, whitespace, then the secret; case-insensitive. */
function bearer(headers: IncomingHttpHeaders): string | undefined {
  const m = /^bearer:?\s+(.+)$/i.exec(headers.authorization ?? '')
  return m?.[1]
}

export async function startStrictPairing(o: StrictPairingOptions): Promise<StrictPairing> {
  const requests: RecordedRequest[] = []
  const issued: string[] = []
  const base = `/pairing/v1/${o.realm}/devices/${o.deviceId}`
  const credentials = `${base}/protocols/astarte_mqtt_v1/credentials`

  async function sign(csrPem: string): Promise<string> {
    const csr = new x509.Pkcs10CertificateRequest(csrPem)
    const publicKey = await csr.publicKey.export(webcrypto)
    const commonName = `${o.realm}/${o.deviceId}`
    const lifetimeSec = o.lifetimeSec ?? 86_400
    return (await issueCertificate(o.ca, { commonName, lifetimeSec, publicKey })).certificatePem
  }

  async function route(req: RecordedRequest): Promise<Answer> {
    const secret = bearer(req.headers)
    if (secret === undefined) return detail(401, 'Unauthorized')
    if (req.url === `/pairing/v1/${o.realm}/agent/devices`) {
      if (secret !== o.jwt) return detail(401, 'Invalid JWT token')
      const hwId = (JSON.parse(req.body) as { data?: { hw_id?: unknown } }).data?.hw_id
      if (req.method !== 'POST' || hwId !== o.deviceId) return detail(400, 'Bad request')
      return json(201, { data: { credentials_secret: o.secret } })
    }
    if (secret !== o.secret) return detail(403, 'Forbidden')
    if (req.method === 'GET' && req.url === base) {
      const protocols = { astarte_mqtt_v1: { broker_url: o.brokerUrl } }
      const status = issued.length > 0 ? 'confirmed' : 'pending'
      return json(200, { data: { version: '1.2.0', status, protocols } })
    }
    if (req.method !== 'POST' || (req.url !== credentials && req.url !== `${credentials}/verify`)) {
      return detail(404, 'Not found')
    }
    let data: unknown
    try {
      data = (JSON.parse(req.body) as { data?: unknown }).data
    } catch {
      return detail(400, 'Bad request')
    }
    if (typeof data !== 'object' || data === null) return detail(400, 'Bad request')
    const fields = data as Record<string, unknown>
    if (req.url === credentials) {
      const csr = fields['csr']
      if (typeof csr !== 'string' || csr === '') {
        return json(422, { errors: { csr: ["can't be blank"] } })
      }
      let pem: string
      try {
        pem = await sign(csr)
      } catch {
        return json(422, { errors: { csr: ['is not a valid PEM CSR'] } })
      }
      issued.push(pem)
      return json(201, { data: { client_crt: pem } })
    }
    const crt = fields['client_crt']
    if (typeof crt !== 'string' || crt === '') {
      return json(422, { errors: { client_crt: ["can't be blank"] } })
    }
    const now = pairingTime(Date.now())
    if (crt.trim() === issued.at(-1)?.trim()) {
      const until = pairingTime(new x509.X509Certificate(crt).notAfter.getTime())
      return json(200, { data: { valid: true, timestamp: now, until } })
    }
    const cause = issued.some((c) => c.trim() === crt.trim()) ? 'REVOKED' : 'INVALID_ISSUER'
    return json(200, { data: { valid: false, timestamp: now, cause, details: null } })
  }

  const state: StrictPairing = {
    url: '',
    requests,
    issued,
    override: undefined,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
  const server: Server = createServer(
    { cert: o.server.certificatePem, key: o.server.privateKeyPem },
    (req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const recorded: RecordedRequest = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }
        requests.push(recorded)
        const answer = state.override?.(recorded)
        const answered = answer === undefined ? route(recorded) : Promise.resolve(answer)
        void answered.then((a) => {
          const text = a.body === undefined ? '' : JSON.stringify(a.body)
          const headers = text === '' ? {} : { 'content-type': 'application/json' }
          res.writeHead(a.status, headers).end(text)
        })
      })
    },
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return Object.assign(state, { url: `https://localhost:${port}/pairing` })
}
