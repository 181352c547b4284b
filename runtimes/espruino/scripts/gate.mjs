// The syntax gate of the Espruino bundle: what Espruino can't parse or run must not reach it.
// - Two real ES5 engines parse it: Duktape compiles it (`duk -c`, nothing runs) and MuJS builds a
//   Function of it (a parse, nothing runs). Either refusing it fails the gate.
// - A denylist on its syntax tree catches what an ES5 engine would accept but Espruino lacks, and
//   ES2015+ syntax: arrows, classes, templates, let/const, spread/rest, destructuring, default
//   parameters, for…of, async/await, generators, #private, bigint literals, `?.`, `??`, `**`,
//   computed keys, shorthand properties; globals Espruino doesn't have (BigInt, Symbol, Proxy,
//   Reflect, WeakSet, TextEncoder/TextDecoder), `Object.freeze/seal/preventExtensions`, regex
//   flags other than g/i/m, a regex beyond Espruino's RegExp (`?` or `{m,n}`, `(?:`, quantified
//   or alternating groups, `\u`, `\b`, back references), `new RegExp` (a source known only at run
//   time), an unescaped `/` inside a regex class (Espruino's lexer ends the regex there), labels, `with`,
//   `let`, `static` or `of` as a name (words Espruino's lexer reserves); a function declaration placed after other statements of its
//   block (Espruino defines a function only when it reaches it: no hoisting); and a `__name` the
//   script uses but never declares (a TypeScript helper, `__awaiter`, that the prelude lacks).
// Usage: node runtimes/espruino/scripts/gate.mjs <file.js>   (exit 0 clean, 1 problems, 2 usage)
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ts from 'typescript'

const K = ts.SyntaxKind
const DENIED_GLOBALS = new Set([
  'BigInt',
  'BigInt64Array',
  'BigUint64Array',
  'Symbol',
  'Proxy',
  'Reflect',
  'WeakSet',
  'WeakRef',
  'TextEncoder',
  'TextDecoder',
  'queueMicrotask',
  'structuredClone',
])
const ESPRUINO_RESERVED_WORDS = new Set(['let', 'static', 'of'])
const DENIED_OBJECT_METHODS = new Set(['freeze', 'seal', 'preventExtensions', 'isFrozen'])
const DENIED_KINDS = new Map([
  [K.ArrowFunction, 'an arrow function'],
  [K.ClassDeclaration, 'a class'],
  [K.ClassExpression, 'a class'],
  [K.TemplateExpression, 'a template literal'],
  [K.NoSubstitutionTemplateLiteral, 'a template literal'],
  [K.TaggedTemplateExpression, 'a tagged template'],
  [K.SpreadElement, 'a spread'],
  [K.SpreadAssignment, 'an object spread'],
  [K.ObjectBindingPattern, 'destructuring'],
  [K.ArrayBindingPattern, 'destructuring'],
  [K.ForOfStatement, 'for…of'],
  [K.AwaitExpression, 'await'],
  [K.YieldExpression, 'yield'],
  [K.PrivateIdentifier, 'a #private name'],
  [K.BigIntLiteral, 'a bigint literal'],
  [K.ComputedPropertyName, 'a computed property key'],
  [K.ShorthandPropertyAssignment, 'a shorthand property'],
  [K.LabeledStatement, 'a label'],
  [K.WithStatement, 'with'],
  [K.MetaProperty, 'new.target / import.meta'],
])

function syntaxProblems(code) {
  const sf = ts.createSourceFile('bundle.js', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS)
  const found = new Map()
  const add = (node, what) => {
    const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf))
    if (!found.has(what)) found.set(what, line + 1)
  }
  const isReference = (id) => {
    const p = id.parent
    if (ts.isPropertyAccessExpression(p) && p.name === id) return false
    if ((ts.isPropertyAssignment(p) || ts.isMethodDeclaration(p)) && p.name === id) return false
    if (ts.isTypeOfExpression(p)) return false
    return true
  }
  // `__x` names the script declares: the prelude's helpers (TypeScript's naming)
  const declared = new Set()
  const helperUses = []
  const checkStatements = (statements) => {
    let seenOther = false
    for (const s of statements) {
      if (ts.isFunctionDeclaration(s)) {
        if (seenOther) add(s, `the function ${s.name?.text ?? ''} declared after other statements`)
      } else if (!(ts.isExpressionStatement(s) && ts.isStringLiteral(s.expression))) {
        seenOther = true
      }
    }
  }
  const visit = (node) => {
    const kind = DENIED_KINDS.get(node.kind)
    if (kind !== undefined) add(node, kind)
    // reserved by Espruino's lexer (jslex.h), free in ES5: refused where a name is expected
    if (ts.isIdentifier(node) && ESPRUINO_RESERVED_WORDS.has(node.text)) {
      add(node, `"${node.text}" as a name (a word Espruino reserves)`)
    }
    if (ts.isVariableDeclarationList(node) && (node.flags & ts.NodeFlags.BlockScoped) !== 0) {
      add(node, 'let/const')
    }
    if (ts.isParameter(node) && (node.initializer !== undefined || node.dotDotDotToken)) {
      add(node, 'a default or rest parameter')
    }
    if (ts.isFunctionLike(node) && node.asteriskToken) add(node, 'a generator')
    if (
      ts.canHaveModifiers(node) &&
      ts.getModifiers(node)?.some((m) => m.kind === K.AsyncKeyword)
    ) {
      add(node, 'async')
    }
    if (node.kind === K.QuestionDotToken) add(node, 'optional chaining')
    if (ts.isBinaryExpression(node)) {
      const op = node.operatorToken.kind
      if (
        op === K.EqualsToken &&
        ts.isPropertyAccessExpression(node.left) &&
        node.left.name.text === 'length'
      ) {
        // Espruino 2v29 throws "Assignment to a constant" (seen on the real engine)
        add(node, 'an assignment to .length (use splice)')
      }
      if (op === K.QuestionQuestionToken || op === K.QuestionQuestionEqualsToken) add(node, '??')
      if (op === K.AsteriskAsteriskToken || op === K.AsteriskAsteriskEqualsToken) add(node, '**')
      if (op === K.BarBarEqualsToken || op === K.AmpersandAmpersandEqualsToken)
        add(node, '||= / &&=')
    }
    if (ts.isRegularExpressionLiteral(node)) {
      const flags = node.text.slice(node.text.lastIndexOf('/') + 1)
      if (/[^gim]/.test(flags)) add(node, `a regex flag of ${node.text}`)
      if (/\(\?<[=!]|\(\?<[A-Za-z]|\\p\{/.test(node.text)) add(node, `regex syntax of ${node.text}`)
      else if (beyondEspruino(node.text.slice(1, node.text.lastIndexOf('/')))) {
        add(node, `a regex beyond Espruino's RegExp: ${node.text}`)
      }
      if (
        /\[(?:[^\]\\]|\\.)*\/(?:[^\]\\]|\\.)*\]/.test(
          node.text.slice(1, node.text.lastIndexOf('/')),
        )
      ) {
        add(
          node,
          `an unescaped / in a class of ${node.text} (Espruino's lexer ends the regex there)`,
        )
      }
    }
    if (ts.isIdentifier(node) && node.text.startsWith('__')) {
      const p = node.parent
      const declares =
        (ts.isFunctionDeclaration(p) || ts.isVariableDeclaration(p) || ts.isParameter(p)) &&
        p.name === node
      if (declares) declared.add(node.text)
      else if (isReference(node)) helperUses.push(node)
    }
    if (ts.isIdentifier(node) && DENIED_GLOBALS.has(node.text) && isReference(node)) {
      add(node, `the global ${node.text}`)
    }
    if (
      ts.isNewExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'RegExp'
    ) {
      add(node, 'new RegExp (a source Espruino may not match: use a regex literal)')
    }
    if (
      ts.isPropertyAccessExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'Object' &&
      DENIED_OBJECT_METHODS.has(node.name.text)
    ) {
      add(node, `Object.${node.name.text}`)
    }
    if (
      ts.isSourceFile(node) ||
      ts.isBlock(node) ||
      ts.isCaseClause(node) ||
      ts.isDefaultClause(node)
    ) {
      checkStatements(node.statements)
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  for (const id of helperUses) {
    if (!declared.has(id.text)) add(id, `${id.text}, a helper the script doesn't define`)
  }
  return [...found].map(([what, line]) => `bundle line ${line}: ${what}`)
}

function engineProblems(code) {
  const dir = mkdtempSync(join(tmpdir(), 'espruino-gate-'))
  try {
    const file = join(dir, 'bundle.js')
    writeFileSync(file, code)
    const problems = []
    const duk = spawnSync('duk', ['-c', join(dir, 'bundle.bin'), file], { encoding: 'utf8' })
    if (duk.error !== undefined) problems.push(`duk couldn't run: ${duk.error.message}`)
    else if (duk.status !== 0) problems.push(`duk refuses it: ${(duk.stderr + duk.stdout).trim()}`)
    const probe = join(dir, 'parse.js')
    writeFileSync(probe, `new Function(read(${JSON.stringify(file)}))\n`)
    const mujs = spawnSync('mujs', [probe], { encoding: 'utf8' })
    if (mujs.error !== undefined) problems.push(`mujs couldn't run: ${mujs.error.message}`)
    else if (mujs.status !== 0)
      problems.push(`mujs refuses it: ${(mujs.stderr + mujs.stdout).trim()}`)
    return problems
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Whether a regex needs more than Espruino's RegExp, which knows only `. [] * + ^ $`, escapes
 * and plain groups: no `?` or `{m,n}` quantifier, `(?:`, quantified groups, `|` in a group, `\\u`,
 * `\\b`.
 */
export function beyondEspruino(source) {
  let inClass = false
  let depth = 0
  for (let i = 0; i < source.length; i++) {
    const c = source[i]
    const next = source[i + 1] ?? ''
    if (c === '\\') {
      if ('uUbBpPk'.includes(next) || /[1-9]/.test(next)) return true
      i++
    } else if (inClass) {
      if (c === ']') inClass = false
    } else if (c === '[') inClass = true
    else if (c === '?' || c === '{') return true
    else if (c === '(') depth++
    else if (c === ')') {
      depth--
      if ('*+?{'.includes(next)) return true
    } else if (c === '|' && depth > 0) return true
  }
  return false
}

/** Every reason Espruino would refuse `code` (empty: it passes the gate). */
export function checkEs5(code) {
  return [...engineProblems(code), ...syntaxProblems(code)]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2]
  if (file === undefined || process.argv.length > 3) {
    console.error('usage: node runtimes/espruino/scripts/gate.mjs <file.js>')
    process.exit(2)
  }
  const problems = checkEs5(readFileSync(file, 'utf8'))
  for (const p of problems) console.error(`gate: ${p}`)
  process.exit(problems.length === 0 ? 0 : 1)
}
