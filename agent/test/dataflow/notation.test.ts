/**
 * The flow notation: examples parsed to their AST, errors at their exact positions with what was
 * expected, print→parse round trips over random flows, and random text that either parses or
 * fails with a `FlowSyntaxError`, never another throw.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  FlowSyntaxError,
  parseFlow,
  printFlow,
  type ArgValue,
  type FlowAst,
  type StageAst,
} from '../../src/dataflow/index.js'

/** The AST without positions, for comparisons. */
function strip(ast: FlowAst): unknown {
  const stage = (s: StageAst): unknown =>
    s.type === 'processor'
      ? { type: s.type, name: s.name, args: Object.fromEntries(Object.entries(s.args)) }
      : { type: s.type, stages: s.stages.map(stage) }
  const ref = (r: FlowAst['sink']) => ({ interfaceName: r.interfaceName, path: r.path })
  return {
    mode: ast.mode,
    source: ast.source,
    twoWay: ast.twoWay,
    stages: ast.stages.map(stage),
    sink: ref(ast.sink),
    reverse: ast.reverse === undefined ? undefined : ref(ast.reverse),
  }
}

function failure(text: string): FlowSyntaxError {
  try {
    parseFlow(text)
  } catch (e) {
    assert.ok(e instanceof FlowSyntaxError, `not a FlowSyntaxError: ${String(e)}`)
    return e
  }
  assert.fail(`parsed: ${text}`)
}

test('the issue example and every construct parse to their AST', () => {
  const ast = parseFlow('Push <~> [Calibrate, Average] <~> org.example.Environment')
  assert.deepEqual(strip(ast), {
    mode: 'push',
    source: undefined,
    twoWay: true,
    stages: [
      {
        type: 'sequential',
        stages: [
          { type: 'processor', name: 'Calibrate', args: {} },
          { type: 'processor', name: 'Average', args: {} },
        ],
      },
    ],
    sink: { interfaceName: 'org.example.Environment', path: undefined },
    reverse: undefined,
  })
  const full = parseFlow(
    "Demand(bme280-kitchen) ~> calibrate(gain=1.5, offset=-0.25) ~> {average(window=10, tumbling=true), filter(field='t', max=4e1)} ~> org.astarte-ts.examples.Environment/%{room}",
  )
  assert.deepEqual(strip(full), {
    mode: 'demand',
    source: 'bme280-kitchen',
    twoWay: false,
    stages: [
      { type: 'processor', name: 'calibrate', args: { gain: 1.5, offset: -0.25 } },
      {
        type: 'concurrent',
        stages: [
          { type: 'processor', name: 'average', args: { window: 10, tumbling: true } },
          { type: 'processor', name: 'filter', args: { field: 't', max: 40 } },
        ],
      },
    ],
    sink: { interfaceName: 'org.astarte-ts.examples.Environment', path: '/%{room}' },
    reverse: undefined,
  })
  const pull = parseFlow('Pull(k) <~> org.x.Readings/%{s}/value & org.x.ReadRequest/%{s}')
  assert.equal(pull.reverse?.interfaceName, 'org.x.ReadRequest')
  assert.equal(pull.reverse?.path, '/%{s}')
  assert.deepEqual(pull.sink.at, { offset: 12, line: 1, column: 13 })
})

test('errors name their line, column and what was expected', () => {
  const cases: Array<[string, number, number, string[], string]> = [
    ['Pushy ~> a.b', 1, 1, ["'Push'", "'Pull'", "'Demand'"], "'Pushy'"],
    ['Push a.b', 1, 6, ["'~>'", "'<~>'"], "'a.b'"],
    ['Push ~> p <~> a.b', 1, 11, ["'~>'"], "'<~>'"],
    ['Pull ~> a.b', 1, 6, ["'<~>'"], "'~>'"],
    ['Push ~> [p, q ~> a.b', 1, 15, ["','", "']'"], "'~>'"],
    ['Push ~> p(x=1, x=2) ~> a.b', 1, 16, ['another argument name'], "'x'"],
    ['Push ~> p(x=) ~> a.b', 1, 13, ['a number', 'a string', 'true', 'false', 'a name'], "')'"],
    ['Push ~>\n  p ~>\n  a.b/%{room', 3, 6, ['a path like /%{room}/temperature'], "'/%{room'"],
    ['Push ~> a.b & c.d', 1, 13, ['end of input'], "'&'"],
    [
      'Push ~> p(s="open) ~> a.b',
      1,
      13,
      ['a number', 'a string', 'true', 'false', 'a name'],
      'an unterminated string',
    ],
    ['Push ~> p', 1, 10, ["'~>'"], 'end of input'],
    ['Push ~> ?', 1, 9, ['a processor name', "'['", "'{'", 'an interface name'], '"?"'],
  ]
  for (const [text, line, column, expected, found] of cases) {
    const e = failure(text)
    assert.equal(e.code, 'local.flow_syntax', text)
    assert.deepEqual([e.position.line, e.position.column], [line, column], text)
    assert.deepEqual(e.expected, expected, text)
    assert.equal(e.found, found, text)
    assert.match(e.message, new RegExp(`^couldn't read the flow at line ${line}, column ${column}`))
  }
})

const word = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,7}$/)
const argValue: fc.Arbitrary<ArgValue> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.boolean(),
  fc.string(),
  word,
)
const stage: fc.Arbitrary<StageAst> = fc.letrec<{ stage: StageAst }>((tie) => ({
  stage: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({
      type: fc.constant('processor' as const),
      name: word,
      args: fc.dictionary(word, argValue, { maxKeys: 3 }),
      at: fc.constant({ offset: 0, line: 1, column: 1 }),
    }),
    fc.record({
      type: fc.constantFrom('sequential' as const, 'concurrent' as const),
      stages: fc.array(tie('stage'), { minLength: 1, maxLength: 3 }),
      at: fc.constant({ offset: 0, line: 1, column: 1 }),
    }),
  ),
})).stage
const ifaceName = fc
  .array(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,6}$/), { minLength: 2, maxLength: 4 })
  .map((p) => p.join('.'))
const path = fc
  .array(
    fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9_-]{1,6}$/),
      word.filter((w) => !w.includes('-')).map((w) => `%{${w}}`),
    ),
    {
      minLength: 1,
      maxLength: 4,
    },
  )
  .map((levels) => `/${levels.join('/')}`)
const ref = fc.record(
  { interfaceName: ifaceName, path, at: fc.constant({ offset: 0, line: 1, column: 1 }) },
  { requiredKeys: ['interfaceName', 'at'] },
)
const flowAst: fc.Arbitrary<FlowAst> = fc
  .record({
    mode: fc.constantFrom('push' as const, 'pull' as const, 'demand' as const),
    source: fc.option(word, { nil: undefined }),
    twoWay: fc.boolean(),
    stages: fc.array(stage, { maxLength: 4 }),
    sink: ref,
    reverse: fc.option(ref, { nil: undefined }),
  })
  .map((f) => {
    const twoWay = f.twoWay || f.mode === 'pull'
    const { source, reverse, ...rest } = f
    return {
      ...rest,
      twoWay,
      ...(source === undefined ? {} : { source }),
      ...(reverse === undefined || !twoWay ? {} : { reverse }),
    }
  })

test('print then parse gives the same flow (property)', () => {
  fc.assert(
    fc.property(flowAst, (ast) => {
      assert.deepEqual(strip(parseFlow(printFlow(ast))), strip(ast))
    }),
    { numRuns: 500 },
  )
})

test('random text parses or fails with a FlowSyntaxError at a position inside it (property)', () => {
  const pieces = fc.constantFrom(
    'Push',
    'Pull',
    'Demand',
    '~>',
    '<~>',
    '[',
    ']',
    '{',
    '}',
    '(',
    ')',
    ',',
    '=',
    '&',
    ' ',
    'p',
    'a.b',
    '/%{x}',
    '/y',
    '"s',
    "'t'",
    '1.5',
    '-',
    '\n',
    'é',
    '\\',
  )
  const text = fc.oneof(
    fc.string(),
    fc.array(pieces, { maxLength: 20 }).map((a) => a.join('')),
  )
  fc.assert(
    fc.property(text, (t) => {
      try {
        parseFlow(t)
      } catch (e) {
        assert.ok(e instanceof FlowSyntaxError, `threw ${String(e)}`)
        assert.ok(e.position.offset >= 0 && e.position.offset <= t.length)
        assert.ok(e.expected.length > 0)
      }
    }),
    { numRuns: 2000 },
  )
})
