/** @module interface issues: builds `Issue`s with stable codes, JSON Pointers and short quotes. */
import type { Issue } from '../errors.js'
import type { InterfaceIssueCode } from './codes.js'

/** An issue of any code: the value rules' as well as the interface document's. */
export const anyIssue = (code: string, path: string, message: string): Issue => ({
  code,
  path,
  message,
})

export const issue: (code: InterfaceIssueCode, path: string, message: string) => Issue = anyIssue

/** RFC 6901 pointer: `pointer('mappings', 2, 'endpoint')` → `/mappings/2/endpoint`. */
export function pointer(...segments: readonly (string | number)[]): string {
  return segments.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('')
}

const MAX_QUOTE = 60

/** JSON rendering of an offending value, truncated so messages stay one readable line. */
export function quote(value: unknown): string {
  let text: string
  try {
    text = JSON.stringify(value) ?? String(value)
  } catch {
    text = String(value)
  }
  return text.length > MAX_QUOTE ? `${text.slice(0, MAX_QUOTE)}…(${text.length} chars)` : text
}
