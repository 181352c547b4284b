/**
 * @module flow notation lexer: the flow text into tokens, one at a time, on the parser's demand.
 * Never throws: a character no token starts with, or a string left open, is a `bad` token the
 * parser reports with what it expected there.
 */
import type { Position } from './ast.js'

export type TokenType =
  | 'name'
  | 'number'
  | 'string'
  | 'path'
  | '~>'
  | '<~>'
  | '['
  | ']'
  | '{'
  | '}'
  | '('
  | ')'
  | ','
  | '='
  | '&'
  | 'end'
  | 'bad'

export interface Token {
  readonly type: TokenType
  /** The source text of the token (for `bad`: what was wrong). */
  readonly text: string
  /** `string`: the unescaped value; `number`: its value. */
  readonly value?: string | number
  readonly offset: number
}

const NAME = /[A-Za-z_][A-Za-z0-9_.-]*/y
const NUMBER = /-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/y
const PATH = /\/[^\s&,()[\]]*/y
const SPACE = /\s*/y
const PUNCTUATION = new Set(['[', ']', '{', '}', '(', ')', ',', '=', '&'])
const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "'": "'",
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
}

/** Splits a flow text into tokens; `position(offset)` turns an offset into line and column. */
export class Lexer {
  readonly #text: string
  #offset = 0
  #lineStarts: number[] | undefined

  constructor(text: string) {
    this.#text = text
  }

  position(offset: number): Position {
    this.#lineStarts ??= lineStarts(this.#text)
    let line = 0
    while (line + 1 < this.#lineStarts.length && (this.#lineStarts[line + 1] ?? 0) <= offset) line++
    return { offset, line: line + 1, column: offset - (this.#lineStarts[line] ?? 0) + 1 }
  }

  next(): Token {
    const text = this.#text
    SPACE.lastIndex = this.#offset
    SPACE.exec(text)
    const start = SPACE.lastIndex
    this.#offset = start
    if (start >= text.length) return { type: 'end', text: 'end of input', offset: start }
    const c = text[start] as string
    if (text.startsWith('<~>', start)) return this.#take('<~>', 3)
    if (text.startsWith('~>', start)) return this.#take('~>', 2)
    if (PUNCTUATION.has(c)) return this.#take(c as TokenType, 1)
    if (c === '"' || c === "'") return this.#string(c)
    for (const [type, re] of [
      ['name', NAME],
      ['number', NUMBER],
      ['path', PATH],
    ] as const) {
      re.lastIndex = start
      const m = re.exec(text)
      if (m === null) continue
      this.#offset = re.lastIndex
      return type === 'number'
        ? { type, text: m[0], value: Number(m[0]), offset: start }
        : { type, text: m[0], offset: start }
    }
    this.#offset = start + 1
    return { type: 'bad', text: JSON.stringify(c), offset: start }
  }

  #take(type: TokenType, length: number): Token {
    const offset = this.#offset
    this.#offset += length
    return { type, text: this.#text.slice(offset, this.#offset), offset }
  }

  #string(quote: string): Token {
    const text = this.#text
    const start = this.#offset
    let value = ''
    let i = start + 1
    while (i < text.length) {
      const c = text[i] as string
      if (c === quote) {
        this.#offset = i + 1
        return { type: 'string', text: text.slice(start, i + 1), value, offset: start }
      }
      if (c !== '\\') {
        value += c
        i++
        continue
      }
      const e = text[i + 1] ?? ''
      const simple = ESCAPES[e]
      if (simple !== undefined) {
        value += simple
        i += 2
        continue
      }
      const hex = text.slice(i + 2, i + 6)
      if (e !== 'u' || !/^[0-9a-fA-F]{4}$/.test(hex)) {
        this.#offset = text.length
        return {
          type: 'bad',
          text: `a bad escape ${JSON.stringify(text.slice(i, i + 2))}`,
          offset: i,
        }
      }
      value += String.fromCharCode(parseInt(hex, 16))
      i += 6
    }
    this.#offset = text.length
    return { type: 'bad', text: 'an unterminated string', offset: start }
  }
}

function lineStarts(text: string): number[] {
  const starts = [0]
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1)
  return starts
}
