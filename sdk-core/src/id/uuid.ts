/** @module uuid: RFC 4122 text form ⇄ 16 bytes (no version checks: any UUID text is accepted). */

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/

/** The 16 bytes of a UUID in text form, or `undefined` when `text` is not one. */
export function parseUuid(text: string): Uint8Array | undefined {
  if (!UUID.test(text)) return undefined
  const hex = text.replace(/-/g, '')
  const out = new Uint8Array(16)
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}

/** Lower-case text form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` of 16 bytes. */
export function formatUuid(bytes: Uint8Array): string {
  let hex = ''
  for (let i = 0; i < 16; i++) hex += ((bytes[i] as number) | 0x100).toString(16).slice(1)
  const part = (from: number, to?: number): string => hex.slice(from, to)
  return `${part(0, 8)}-${part(8, 12)}-${part(12, 16)}-${part(16, 20)}-${part(20)}`
}
