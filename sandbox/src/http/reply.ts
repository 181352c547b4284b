/** @module http reply: Astarte's envelopes and error bodies (spec §4.1). */
import type { HttpRequest, Outcome, Reply } from './types.js'

/** `{"data": …}` success envelope. */
export const data = (status: number, value: unknown): Reply => ({ status, body: { data: value } })

/** `{"errors": {"detail": …}}` HTTP-level error. */
export const detail = (status: number, text: string): Reply => ({
  status,
  body: { errors: { detail: text } },
})

/** `{"errors": {"<field>": [messages]}}` validation error (422). */
export const invalid = (field: string, ...messages: string[]): Reply => ({
  status: 422,
  body: { errors: { [field]: messages } },
})

export const noContent: Reply = { status: 204 }
export const badRequest = detail(400, 'Bad Request')
export const forbidden = detail(403, 'Forbidden')
export const notFound = detail(404, 'Not Found')

/**
 * Reads the `{"data": …}` request envelope. Like Phoenix, a body without `data` (or not JSON)
 * matches no controller clause: 400.
 */
export async function readEnvelope(req: HttpRequest): Promise<Outcome<unknown>> {
  const body = await req.readJson()
  if (!body.ok) return body
  const value = body.value
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('data' in value)) {
    return { ok: false, reply: badRequest }
  }
  return { ok: true, value: (value as { data: unknown }).data }
}

/** The `data` object of a request envelope, or a 400 when it isn't an object. */
export async function readDataObject(
  req: HttpRequest,
): Promise<Outcome<Readonly<Record<string, unknown>>>> {
  const envelope = await readEnvelope(req)
  if (!envelope.ok) return envelope
  const value = envelope.value
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reply: badRequest }
  }
  return { ok: true, value: value as Readonly<Record<string, unknown>> }
}
