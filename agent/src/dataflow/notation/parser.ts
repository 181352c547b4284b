/**
 * @module flow notation parser: recursive descent over the lexer, one token of lookahead. The
 * grammar (the README's dataflow section shows it with examples):
 *
 *   flow      = source arrow { stage arrow } sink [ "&" ref ]
 *   source    = ( "Push" | "Pull" | "Demand" ) [ "(" NAME ")" ]
 *   arrow     = "~>" | "<~>"                       one kind per flow; Pull needs "<~>"
 *   stage     = processor | "[" stage { "," stage } "]" | "{" stage { "," stage } "}"
 *   processor = WORD [ "(" [ arg { "," arg } ] ")" ]
 *   arg       = WORD "=" ( NUMBER | STRING | "true" | "false" | NAME )
 *   sink, ref = DOTTED-NAME [ PATH ]                e.g. org.example.Environment/%{room}
 *
 * WORD is a name without dots (processors, argument keys); an interface name has dots, which is
 * how a sink is told from a processor. Every failure is a `FlowSyntaxError` with its position.
 */
import type { ArgValue, FlowAst, FlowMode, InterfaceRef, Position, StageAst } from './ast.js'
import { FlowSyntaxError } from './errors.js'
import { Lexer, type Token } from './lexer.js'

const MODES: Readonly<Record<string, FlowMode>> = { Push: 'push', Pull: 'pull', Demand: 'demand' }
const WORD = /^[A-Za-z_][A-Za-z0-9_-]*$/
const INTERFACE_NAME = /^[A-Za-z][A-Za-z0-9-]*(?:\.[A-Za-z0-9][A-Za-z0-9-]*)+$/
const PATH_SYNTAX = /^(?:\/(?:[A-Za-z0-9_-]+|%\{[A-Za-z_][A-Za-z0-9_]*\}))+$/

const quoted = (t: string): string => `'${t}'`
const STAGE_START = ['a processor name', quoted('['), quoted('{')]

/** Parses a flow text; throws `FlowSyntaxError` (`local.flow_syntax`), never anything else. */
export function parseFlow(text: string): FlowAst {
  return new Parser(text).flow()
}

class Parser {
  readonly #lexer: Lexer
  #token: Token

  constructor(text: string) {
    this.#lexer = new Lexer(text)
    this.#token = this.#lexer.next()
  }

  flow(): FlowAst {
    const modeToken = this.#token
    const mode = modeToken.type === 'name' ? MODES[modeToken.text] : undefined
    if (mode === undefined) this.#fail(Object.keys(MODES).map(quoted))
    this.#advance()
    let source: string | undefined
    if (this.#token.type === '(') {
      this.#advance()
      source = this.#expect('name', ['an endpoint name']).text
      this.#expect(')', [quoted(')')])
    }
    const arrow = this.#expect(['~>', '<~>'], [quoted('~>'), quoted('<~>')])
    const twoWay = arrow.type === '<~>'
    if (mode === 'pull' && !twoWay) {
      this.#fail(
        [quoted('<~>')],
        arrow,
        "a Pull flow is two-way: the server's request travels back",
      )
    }
    const stages: StageAst[] = []
    for (;;) {
      const t = this.#token
      if (t.type === 'name' && !WORD.test(t.text)) break
      if (t.type !== 'name' && t.type !== '[' && t.type !== '{') {
        this.#fail([...STAGE_START, 'an interface name'])
      }
      stages.push(this.#stage())
      const other = arrow.type === '~>' ? '<~>' : '~>'
      const why =
        this.#token.type === other ? 'a flow uses one kind of arrow throughout' : undefined
      this.#expect(arrow.type, [quoted(arrow.type)], why)
    }
    const sink = this.#ref()
    let reverse: InterfaceRef | undefined
    if (this.#token.type === '&') {
      if (!twoWay)
        this.#fail(['end of input'], this.#token, 'only a two-way flow has a reverse interface')
      this.#advance()
      const t = this.#current()
      if (t.type !== 'name' || WORD.test(t.text)) this.#fail(['an interface name'])
      reverse = this.#ref()
    }
    this.#expect(
      'end',
      twoWay && reverse === undefined ? [quoted('&'), 'end of input'] : ['end of input'],
    )
    return {
      mode: mode as FlowMode,
      ...(source === undefined ? {} : { source }),
      twoWay,
      stages,
      sink,
      ...(reverse === undefined ? {} : { reverse }),
    }
  }

  #stage(): StageAst {
    const t = this.#token
    const at = this.#at(t)
    if (t.type === '[' || t.type === '{') {
      this.#advance()
      const close = t.type === '[' ? ']' : '}'
      const stages = [this.#stage()]
      while (this.#expect([',', close], [quoted(','), quoted(close)]).type === ',') {
        stages.push(this.#stage())
      }
      return { type: t.type === '[' ? 'sequential' : 'concurrent', stages, at }
    }
    if (t.type !== 'name' || !WORD.test(t.text)) this.#fail(STAGE_START)
    this.#advance()
    const args: Record<string, ArgValue> = {}
    if (this.#token.type === '(') {
      this.#advance()
      if (this.#current().type === ')') this.#advance()
      else {
        do this.#arg(args)
        while (this.#expect([',', ')'], [quoted(','), quoted(')')]).type === ',')
      }
    }
    return { type: 'processor', name: t.text, args, at }
  }

  #arg(args: Record<string, ArgValue>): void {
    const key = this.#token
    if (key.type !== 'name' || !WORD.test(key.text)) this.#fail(['an argument name'])
    if (Object.hasOwn(args, key.text)) {
      this.#fail(['another argument name'], key, `${key.text} is given twice`)
    }
    this.#advance()
    this.#expect('=', [quoted('=')])
    const v = this.#token
    let value: ArgValue
    if (v.type === 'number' && !Number.isFinite(v.value)) this.#fail(['a finite number'])
    if (v.type === 'number' || v.type === 'string') value = v.value as ArgValue
    else if (v.type === 'name')
      value = v.text === 'true' ? true : v.text === 'false' ? false : v.text
    else return this.#fail(['a number', 'a string', 'true', 'false', 'a name'])
    this.#advance()
    Object.defineProperty(args, key.text, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }

  #ref(): InterfaceRef {
    const name = this.#token
    if (!INTERFACE_NAME.test(name.text))
      this.#fail(['an interface name like org.example.Environment'])
    const at = this.#at(name)
    this.#advance()
    if (this.#token.type !== 'path') return { interfaceName: name.text, at }
    const path = this.#token
    if (!PATH_SYNTAX.test(path.text)) {
      this.#fail(['a path like /%{room}/temperature'], path)
    }
    this.#advance()
    return { interfaceName: name.text, path: path.text, at }
  }

  #expect(
    types: Token['type'] | readonly Token['type'][],
    expected: readonly string[],
    why?: string,
  ): Token {
    const t = this.#token
    if (typeof types === 'string' ? t.type !== types : !types.includes(t.type)) {
      this.#fail(expected, t, why)
    }
    this.#advance()
    return t
  }

  /** The current token, read through a call so narrowing doesn't outlive an `#advance`. */
  #current(): Token {
    return this.#token
  }

  #advance(): void {
    this.#token = this.#lexer.next()
  }

  #at(t: Token): Position {
    return this.#lexer.position(t.offset)
  }

  #fail(expected: readonly string[], t: Token = this.#token, why?: string): never {
    const found = t.type === 'end' || t.type === 'bad' ? t.text : quoted(t.text)
    throw new FlowSyntaxError('local.flow_syntax', this.#at(t), expected, found, why)
  }
}
