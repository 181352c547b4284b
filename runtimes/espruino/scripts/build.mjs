// Builds runtimes/espruino/dist/astarte-espruino.js: one ES5 script Espruino loads as it is.
// 1. The minimal device build (scripts/device-bundle.mjs: sentences stripped, internal names
//    mangled) bundles src/index.ts as an ES2022 iife, with sdk-core's int64 module swapped for
//    the decimal-string one (no BigInt on Espruino), its UTF-8 module for one that takes strings
//    as the UTF-8 bytes they are on Espruino's ESP32 builds, and Symbol / Object.freeze defined away;
//    esbuild lowers `?.`, `??` and `??=` (shorter than TypeScript's form).
// 2. TypeScript lowers it to ES5 (classes, arrows, let/const, spread, async), its helpers coming
//    from src/prelude.js, through transformers: `#private` names become plain properties with
//    the shortest names the script leaves free (lowered, each would be a WeakMap and a helper call
//    per access); a for…of whose body can be a function's becomes `__each(e, x => body)`, an
//    array literal with spreads `__cat([a], e)`, and every other for…of and spread operand is
//    wrapped in `__A` (Map/Set iterate as arrays, so no iterator protocol or Symbol is needed);
//    a `/` in a regex character class is escaped (Espruino's lexer would end the regex there);
//    template literals become sums of strings. A second pass over the ES5 text takes the
//    function call from around each lowered class that needs none, gives a class's methods one
//    `__assign(C.prototype, {…})`, its accessors `__def`, and one `var p = C.prototype` when it
//    names its prototype twice or more; nested `__assign` calls become one; each function
//    declaration moves to the top of its block, since Espruino defines a function only when it
//    reaches it (ES5 class output relies on hoisting).
// 3. esbuild minifies the prelude (what the lowered bundle reaches of it: `preludeFor`) and the
//    lowered bundle, wrapped in one function, for ES5; the gate (gate.mjs) checks it.
// Usage: node runtimes/espruino/scripts/build.mjs   (exit 1 on a build or gate failure)
import { transform } from 'esbuild'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import ts from 'typescript'
import { bundleDevice, shareLiterals, shareThis } from '../../../scripts/device-bundle.mjs'
import { checkEs5 } from './gate.mjs'

const here = new URL('..', import.meta.url).pathname
export const ENTRY = join(here, 'src/index.ts')
export const OUT = join(here, 'dist/astarte-espruino.js')
const PRELUDE = join(here, 'src/prelude.js')
const INT64 = join(here, 'src/int64.ts')
/** Espruino's own modules, reached with its `require`. */
const ESPRUINO_MODULES = ['Storage', 'tls', 'net', 'http']
const PROTO_PREFIX = '$P'

/** sdk-core's `bson/int64.ts` → the Espruino one. */
const int64Swap = {
  name: 'espruino-int64',
  setup(b) {
    b.onResolve({ filter: /\/int64\.js$/ }, (args) =>
      args.importer.includes('/sdk-core/src/') ? { path: INT64 } : undefined,
    )
    // sdk-core's grammars as regexes Espruino's RegExp can't run, read by hand here instead;
    // its UTF-8 for strings of 8-bit characters, which already are UTF-8 bytes (src/utf8.ts)
    b.onResolve({ filter: /\/(date-time-parts|broker-url-parts|utf8)\.js$/ }, (args) =>
      args.importer.includes('/sdk-core/src/')
        ? { path: join(here, 'src', args.path.replace(/^.*\//, '').replace(/\.js$/, '.ts')) }
        : undefined,
    )
  },
}

/** Whether `n` holds an `arguments`, `super`, `yield` or `await` (a function's own included). */
function bindsToItsFunction(n) {
  if (n.kind === ts.SyntaxKind.SuperKeyword || ts.isYieldExpression(n) || ts.isAwaitExpression(n)) {
    return true
  }
  if (ts.isIdentifier(n) && n.text === 'arguments') return true
  return ts.forEachChild(n, bindsToItsFunction) === true
}

/**
 * The statements of a loop body as the body of a function, or undefined when they can't be:
 * a `break`, `return`, label, `var` or function declaration of its own, or any `arguments`,
 * `super`, `yield`, `await`. Each `continue` of the loop's own becomes a `return`.
 */
function asCallbackBody(body, context) {
  const f = context.factory
  // true when `n` (within a loop or a switch of the body's own, or not) keeps the body a loop's
  const stays = (n, nestedLoop, nestedSwitch) => {
    if (ts.isLabeledStatement(n) || ts.isFunctionDeclaration(n) || ts.isReturnStatement(n)) {
      return true
    }
    if (ts.isFunctionLike(n) || ts.isClassLike(n)) return false
    if (ts.isVariableDeclarationList(n) && (n.flags & ts.NodeFlags.BlockScoped) === 0) return true
    if (ts.isBreakStatement(n) || ts.isContinueStatement(n)) {
      if (n.label !== undefined) return true
      if (ts.isBreakStatement(n) && !nestedLoop && !nestedSwitch) return true
    }
    const loop = nestedLoop || ts.isIterationStatement(n, false)
    const inSwitch = nestedSwitch || ts.isSwitchStatement(n)
    return ts.forEachChild(n, (c) => stays(c, loop, inSwitch) || undefined) === true
  }
  if (bindsToItsFunction(body) || stays(body, false, false)) return undefined
  const rewrite = (n, nestedLoop) => {
    if (ts.isFunctionLike(n) || ts.isClassLike(n)) return n
    if (ts.isContinueStatement(n) && !nestedLoop) return f.createReturnStatement()
    const loop = nestedLoop || ts.isIterationStatement(n, false)
    return ts.visitEachChild(n, (c) => rewrite(c, loop), context)
  }
  const block = rewrite(body, false)
  return ts.isBlock(block) ? block : f.createBlock([block], true)
}

/**
 * `for (const x of e) body` → `__each(e, (x) => body)` (the prelude's: `__A(e)` once, each index
 * up to the live length, as TypeScript's ES5 loop; a binding per iteration, as ES2015 gives),
 * where the body can be a function's (`asCallbackBody`): 20-odd bytes less a loop once lowered.
 */
function loopsAsCalls(context) {
  const f = context.factory
  const visit = (node) => {
    node = ts.visitEachChild(node, visit, context)
    if (!ts.isForOfStatement(node) || node.awaitModifier !== undefined) return node
    const init = node.initializer
    if (
      !ts.isVariableDeclarationList(init) ||
      (init.flags & ts.NodeFlags.BlockScoped) === 0 ||
      init.declarations.length !== 1
    ) {
      return node
    }
    const body = asCallbackBody(node.statement, context)
    if (body === undefined) return node
    const param = f.createParameterDeclaration(undefined, undefined, init.declarations[0].name)
    const fn = f.createArrowFunction(undefined, undefined, [param], undefined, undefined, body)
    return f.createExpressionStatement(
      f.createCallExpression(f.createIdentifier('__each'), undefined, [node.expression, fn]),
    )
  }
  return (sf) => visit(sf)
}

/**
 * `[a, ...x, b, ...y]` → `__cat([a], x, [b], y)` (the prelude's: the elements of each, as
 * `__A` gives them, in one new array); TypeScript's form nests a `__spreadArray([…], __A(x),
 * true)` per spread. Literals with holes keep TypeScript's form.
 */
function spreadsAsCat(context) {
  const f = context.factory
  const visit = (node) => {
    node = ts.visitEachChild(node, visit, context)
    if (
      !ts.isArrayLiteralExpression(node) ||
      !node.elements.some(ts.isSpreadElement) ||
      node.elements.some(ts.isOmittedExpression)
    ) {
      return node
    }
    const parts = []
    let run = []
    for (const e of node.elements) {
      if (!ts.isSpreadElement(e)) {
        run.push(e)
        continue
      }
      if (run.length > 0) parts.push(f.createArrayLiteralExpression(run))
      run = []
      parts.push(e.expression)
    }
    if (run.length > 0) parts.push(f.createArrayLiteralExpression(run))
    return f.createCallExpression(f.createIdentifier('__cat'), undefined, parts)
  }
  return (sf) => visit(sf)
}

/** `for (x of e)` / `...e` → `__A(e)` (before TypeScript lowers them). */
function iterateAsArrays(context) {
  const f = context.factory
  const wrap = (e) => f.createCallExpression(f.createIdentifier('__A'), undefined, [e])
  const visit = (node) => {
    node = ts.visitEachChild(node, visit, context)
    if (ts.isForOfStatement(node)) {
      return f.updateForOfStatement(
        node,
        node.awaitModifier,
        node.initializer,
        wrap(node.expression),
        node.statement,
      )
    }
    if (ts.isSpreadElement(node)) return f.updateSpreadElement(node, wrap(node.expression))
    return node
  }
  return (sf) => visit(sf)
}

/**
 * A `/` inside a regex character class escaped (`[^/]` → `[^\\/]`, same meaning): Espruino's
 * lexer ends a regex literal at the first unescaped `/`, even inside a class.
 */
export function escapeClassSlashes(source) {
  let out = ''
  let inClass = false
  for (let i = 0; i < source.length; i++) {
    const c = source[i]
    if (c === '\\') {
      out += c + (source[++i] ?? '')
      continue
    }
    if (c === '[') inClass = true
    else if (c === ']') inClass = false
    out += inClass && c === '/' ? '\\/' : c
  }
  return out
}

/**
 * Regex literals for Espruino: a `/` in a class escaped. One that needs more than its RegExp, or
 * a `new RegExp`, is refused by the gate (`beyondEspruino`): write a plain regex or a function.
 */
function regexSlashes(context) {
  const f = context.factory
  const visit = (node) => {
    if (ts.isRegularExpressionLiteral(node)) {
      const end = node.text.lastIndexOf('/')
      const source = node.text.slice(1, end)
      const flags = node.text.slice(end + 1)
      return f.createRegularExpressionLiteral(`/${escapeClassSlashes(source)}/${flags}`)
    }
    return ts.visitEachChild(node, visit, context)
  }
  return (sf) => visit(sf)
}

/**
 * `\`a${x}b\`` → `"a" + x + "b"` (a leading `""` when the text starts with a value): TypeScript's
 * ES5 form is `"a".concat(x, "b")`, longer at every use. Same string for the core's values
 * (strings, numbers, errors, dates: none has a `valueOf` that differs from its `toString`).
 * Tagged templates keep their form.
 */
function templatesAsSums(context) {
  const f = context.factory
  const visit = (node) => {
    if (ts.isTaggedTemplateExpression(node)) return node
    node = ts.visitEachChild(node, visit, context)
    if (!ts.isTemplateExpression(node)) return node
    let sum = f.createStringLiteral(node.head.text)
    for (const span of node.templateSpans) {
      sum = f.createAdd(sum, f.createParenthesizedExpression(span.expression))
      if (span.literal.text !== '') sum = f.createAdd(sum, f.createStringLiteral(span.literal.text))
    }
    return sum
  }
  return (sf) => visit(sf)
}

/**
 * The function around a lowered class gone where nothing needs it: `var a = 1, C = (function
 * () { function class_1(…) {…} …; return class_1; }()), b = 2` → `var a = 1; function C(…) {…}
 * …; var b = 2` (`class_1` renamed `C`), when the wrapper's own statements declare nothing and
 * read no `this` or `arguments` of its own (so none means anything else in the enclosing scope).
 */
function flatClasses(context) {
  const f = context.factory
  const wrapped = (init) => {
    let call = init
    while (call !== undefined && ts.isParenthesizedExpression(call)) call = call.expression
    if (call === undefined || !ts.isCallExpression(call) || call.arguments.length > 0) return
    let fn = call.expression
    while (ts.isParenthesizedExpression(fn)) fn = fn.expression
    if (!ts.isFunctionExpression(fn) || fn.name !== undefined || fn.parameters.length > 0) return
    const body = fn.body.statements
    const [first, last] = [body[0], body.at(-1)]
    if (
      body.length < 2 ||
      !ts.isFunctionDeclaration(first) ||
      first.name === undefined ||
      !ts.isReturnStatement(last) ||
      last.expression === undefined ||
      !ts.isIdentifier(last.expression) ||
      last.expression.text !== first.name.text
    ) {
      return
    }
    const rest = body.slice(1, -1)
    const own = (n) =>
      ts.isVariableStatement(n) ||
      ts.isFunctionDeclaration(n) ||
      n.kind === ts.SyntaxKind.ThisKeyword ||
      (ts.isIdentifier(n) && n.text === 'arguments') ||
      (!ts.isFunctionLike(n) && ts.forEachChild(n, own) === true)
    if (rest.some(own)) return
    return { inner: first.name.text, statements: body.slice(0, -1) }
  }
  // whether a name of `node` or within binds `name` (it would shadow the class's new name)
  const binds = (node, name) =>
    ((ts.isVariableDeclaration(node) ||
      ts.isParameter(node) ||
      ts.isFunctionDeclaration(node) ||
      ts.isFunctionExpression(node)) &&
      node.name !== undefined &&
      ts.isIdentifier(node.name) &&
      node.name.text === name) ||
    ts.forEachChild(node, (c) => binds(c, name) || undefined) === true
  // whether the wrapper binds `name` but as the class's own function
  const shadows = ([fn, ...rest], name) =>
    fn.parameters.some((p) => binds(p, name)) ||
    binds(fn.body, name) ||
    rest.some((s) => binds(s, name))
  const flatten = (statements) => {
    const out = []
    for (const s of statements) {
      if (
        !ts.isVariableStatement(s) ||
        (s.declarationList.flags & ts.NodeFlags.BlockScoped) !== 0
      ) {
        out.push(s)
        continue
      }
      let pending = []
      const flush = () => {
        if (pending.length > 0) out.push(f.createVariableStatement(s.modifiers, pending))
        pending = []
      }
      for (const d of s.declarationList.declarations) {
        const c = ts.isIdentifier(d.name) ? wrapped(d.initializer) : undefined
        if (c === undefined || shadows(c.statements, d.name.text)) {
          pending.push(d)
          continue
        }
        flush()
        const outer = d.name.text
        const rename = (n) =>
          ts.isIdentifier(n) && n.text === c.inner
            ? f.createIdentifier(outer)
            : ts.visitEachChild(n, rename, context)
        out.push(...c.statements.map(rename))
      }
      flush()
    }
    return out
  }
  const visit = (node) => {
    // a function body only: ES5 has no function declaration in a block
    const body = ts.isBlock(node) && node.parent !== undefined && ts.isFunctionLike(node.parent)
    node = ts.visitEachChild(node, visit, context)
    return body ? f.updateBlock(node, flatten(node.statements)) : node
  }
  return (sf) => visit(sf)
}

/** `C.prototype` when `e` is exactly that (`C` an identifier): the class `C`, else undefined. */
function prototypeOwner(e) {
  return ts.isPropertyAccessExpression(e) &&
    ts.isIdentifier(e.expression) &&
    ts.isIdentifier(e.name) &&
    e.name.text === 'prototype'
    ? e.expression.text
    : undefined
}

/**
 * A lowered class's members, shorter (after lowering; each is the same object operation):
 * consecutive `C.prototype.m = f; C.prototype.n = g` become `__assign(C.prototype, { m: f, n: g })`
 * (assigned in the same order), an accessor's `Object.defineProperty(C.prototype, "n", { get: g,
 * set: s, enumerable: false, configurable: true })` becomes `__def(C.prototype, "n", g, s)` (the
 * prelude's, same descriptor), and a class with two of these or more names its prototype once,
 * `var p = C.prototype`, where the first was (so after `__extends`).
 */
function compactClasses(context) {
  const f = context.factory
  let aliasCount = 0
  const memberOf = (s) => {
    if (!ts.isExpressionStatement(s)) return undefined
    const e = s.expression
    if (
      ts.isBinaryExpression(e) &&
      e.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isPropertyAccessExpression(e.left)
    ) {
      const owner = prototypeOwner(e.left.expression)
      return owner === undefined ? undefined : { owner, kind: 'method' }
    }
    if (
      ts.isCallExpression(e) &&
      ts.isPropertyAccessExpression(e.expression) &&
      ts.isIdentifier(e.expression.expression) &&
      e.expression.expression.text === 'Object' &&
      e.expression.name.text === 'defineProperty' &&
      e.arguments.length === 3
    ) {
      const [target, name, descriptor] = e.arguments
      const owner = prototypeOwner(target)
      if (owner === undefined || !ts.isObjectLiteralExpression(descriptor)) return undefined
      const props = {}
      for (const p of descriptor.properties) {
        if (!ts.isPropertyAssignment(p) || !ts.isIdentifier(p.name)) return undefined
        props[p.name.text] = p.initializer
      }
      const keys = Object.keys(props).sort().join()
      const standard =
        props.enumerable?.kind === ts.SyntaxKind.FalseKeyword &&
        props.configurable?.kind === ts.SyntaxKind.TrueKeyword &&
        (keys === 'configurable,enumerable,get' || keys === 'configurable,enumerable,get,set')
      return standard
        ? { owner, kind: 'accessor', name, get: props.get, set: props.set }
        : undefined
    }
    return undefined
  }
  const compact = (statements) => {
    // one group per accessor, one per run of methods of the same class
    const groups = []
    for (const s of statements) {
      const m = memberOf(s)
      const last = groups.at(-1)
      if (m?.kind === 'method' && last?.kind === 'methods' && last.owner === m.owner) {
        last.statements.push(s)
      } else if (m?.kind === 'method')
        groups.push({ owner: m.owner, kind: 'methods', statements: [s] })
      else groups.push(m ?? { statement: s })
    }
    const counts = new Map()
    for (const g of groups) {
      if (g.owner !== undefined) counts.set(g.owner, (counts.get(g.owner) ?? 0) + 1)
    }
    if (counts.size === 0) return statements
    const aliases = new Map()
    const out = []
    for (const g of groups) {
      if (g.owner === undefined) {
        out.push(g.statement)
        continue
      }
      let target = f.createPropertyAccessExpression(f.createIdentifier(g.owner), 'prototype')
      if ((counts.get(g.owner) ?? 0) >= 2) {
        if (!aliases.has(g.owner)) {
          const alias = f.createIdentifier(`${PROTO_PREFIX}${aliasCount++}`)
          aliases.set(g.owner, alias)
          out.push(
            f.createVariableStatement(undefined, [
              f.createVariableDeclaration(alias, undefined, undefined, target),
            ]),
          )
        }
        target = aliases.get(g.owner)
      }
      const call = (name, args) =>
        f.createExpressionStatement(
          f.createCallExpression(f.createIdentifier(name), undefined, args),
        )
      if (g.kind === 'accessor') {
        out.push(call('__def', [target, g.name, g.get, ...(g.set === undefined ? [] : [g.set])]))
      } else if (g.statements.length === 1) {
        const e = g.statements[0].expression
        const left = f.createPropertyAccessExpression(target, e.left.name)
        out.push(f.createExpressionStatement(f.createAssignment(left, e.right)))
      } else {
        const methods = g.statements.map((s) =>
          f.createPropertyAssignment(s.expression.left.name, s.expression.right),
        )
        out.push(call('__assign', [target, f.createObjectLiteralExpression(methods, true)]))
      }
    }
    return out
  }
  const visit = (node) => {
    node = ts.visitEachChild(node, visit, context)
    if (ts.isBlock(node)) return f.updateBlock(node, compact(node.statements))
    return node
  }
  return (sf) => visit(sf)
}

/**
 * `__assign(__assign(t, a), b)` (TypeScript's object spread, one call per segment) →
 * `__assign(t, a, b)`: the same, as `Object.assign` returns its target.
 */
function flatAssigns(context) {
  const f = context.factory
  const isAssign = (e) =>
    ts.isCallExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === '__assign'
  const visit = (node) => {
    node = ts.visitEachChild(node, visit, context)
    if (!isAssign(node) || node.arguments.length === 0 || !isAssign(node.arguments[0])) return node
    const [inner, ...rest] = node.arguments
    return f.updateCallExpression(node, node.expression, undefined, [...inner.arguments, ...rest])
  }
  return (sf) => visit(sf)
}

/** Each function declaration first in its block (after lowering: ES5 classes rely on hoisting). */
function declarationsFirst(context) {
  const f = context.factory
  const hoist = (statements) => {
    const fns = statements.filter(ts.isFunctionDeclaration)
    if (fns.length === 0) return statements
    const rest = statements.filter((s) => !ts.isFunctionDeclaration(s))
    const directives = []
    while (rest.length > 0 && ts.isPrologueDirective(rest[0])) directives.push(rest.shift())
    return [...directives, ...fns, ...rest]
  }
  const visit = (node) => {
    node = ts.visitEachChild(node, visit, context)
    if (ts.isBlock(node)) return f.updateBlock(node, hoist(node.statements))
    if (ts.isSourceFile(node)) return f.updateSourceFile(node, hoist(node.statements))
    if (ts.isCaseClause(node)) {
      return f.updateCaseClause(node, node.expression, hoist(node.statements))
    }
    if (ts.isDefaultClause(node)) return f.updateDefaultClause(node, hoist(node.statements))
    return node
  }
  return (sf) => visit(sf)
}

/**
 * Every name the script may use as a property: member names of all kinds (accesses, keys,
 * methods, destructured keys) and every string literal (a bracket access, an `in` test).
 */
function propertyNames(sf) {
  const names = new Set()
  const add = (name) => {
    if (name !== undefined && (ts.isIdentifier(name) || ts.isStringLiteralLike(name))) {
      names.add(name.text)
    }
  }
  const visit = (n) => {
    if (ts.isStringLiteralLike(n)) names.add(n.text)
    if (ts.isPropertyAccessExpression(n) || ts.isObjectLiteralElement(n) || ts.isClassElement(n)) {
      add(n.name)
    }
    if (ts.isObjectBindingPattern(n)) for (const e of n.elements) add(e.propertyName ?? e.name)
    ts.forEachChild(n, visit)
  }
  visit(sf)
  return names
}

const NAME_START = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ$_'
/** Property names of one then two characters, none a reserved word. */
function* shortNames() {
  yield* NAME_START
  for (const a of NAME_START) {
    for (const b of `${NAME_START}0123456789`) {
      if (!['do', 'if', 'in'].includes(a + b)) yield a + b
    }
  }
}

/**
 * Every `#name` → a plain property (`#name in o` → `"name" in o`): the shortest names no
 * property of the script or of the prelude has, the most used private name first.
 */
function privateAsProperties(context) {
  const f = context.factory
  const preludeNames = propertyNames(
    ts.createSourceFile('prelude.js', readFileSync(PRELUDE, 'utf8'), ts.ScriptTarget.ES5, true),
  )
  return (sf) => {
    const counts = new Map()
    const count = (n) => {
      if (ts.isPrivateIdentifier(n)) counts.set(n.text, (counts.get(n.text) ?? 0) + 1)
      ts.forEachChild(n, count)
    }
    count(sf)
    const taken = new Set([...propertyNames(sf), ...preludeNames])
    const free = shortNames()
    const names = new Map()
    for (const [name] of [...counts].sort((x, y) => y[1] - x[1])) {
      let short = free.next().value
      while (taken.has(short)) short = free.next().value
      if (short === undefined) throw new Error('no short property name left for the private names')
      names.set(name, short)
    }
    const plain = (id) => f.createIdentifier(names.get(id.text))
    const visit = (node) => {
      if (ts.isPrivateIdentifier(node)) return plain(node)
      if (ts.isBinaryExpression(node) && ts.isPrivateIdentifier(node.left)) {
        const key = f.createStringLiteral(plain(node.left).text)
        return f.updateBinaryExpression(
          node,
          key,
          node.operatorToken,
          ts.visitNode(node.right, visit),
        )
      }
      return ts.visitEachChild(node, visit, context)
    }
    return visit(sf)
  }
}

/**
 * The prelude without what `lowered` can't reach: a function declaration nothing else names, a
 * `__fill(o, "name", f)` shim of a property name the script never reads (no access, key or string
 * of that name), until no more goes (a shim may be the only user of a helper: `__days`). The
 * minifier keeps an unused function declared inside the script's wrapping function.
 */
export function preludeFor(lowered, text = readFileSync(PRELUDE, 'utf8')) {
  const sf = ts.createSourceFile('prelude.js', text, ts.ScriptTarget.ES5, true)
  const identifiers = (node) => {
    const ids = new Set()
    const visit = (n) => {
      if (ts.isIdentifier(n)) ids.add(n.text)
      ts.forEachChild(n, visit)
    }
    visit(node)
    return ids
  }
  const script = ts.createSourceFile('bundle.js', lowered, ts.ScriptTarget.ES5, true)
  const scriptIds = identifiers(script)
  const scriptProps = propertyNames(script)
  const parts = sf.statements.map((s) => {
    const call = ts.isExpressionStatement(s) ? s.expression : undefined
    const shim =
      call !== undefined &&
      ts.isCallExpression(call) &&
      ts.isIdentifier(call.expression) &&
      call.expression.text === '__fill' &&
      call.arguments.length === 3 &&
      ts.isStringLiteral(call.arguments[1])
        ? call.arguments[1].text
        : undefined
    const declared = ts.isFunctionDeclaration(s) && s.name !== undefined ? s.name.text : undefined
    // what the statement reads, its own name left out
    const ids = identifiers(s)
    const props = propertyNames(s)
    if (declared !== undefined) ids.delete(declared)
    if (shim !== undefined) props.delete(shim)
    return { s, shim, declared, ids, props, kept: true }
  })
  for (let changed = true; changed;) {
    changed = false
    for (const part of parts) {
      if (!part.kept || (part.shim === undefined && part.declared === undefined)) continue
      const others = parts.filter((o) => o.kept && o !== part)
      const needed =
        part.declared !== undefined
          ? scriptIds.has(part.declared) || others.some((o) => o.ids.has(part.declared))
          : scriptProps.has(part.shim) || others.some((o) => o.props.has(part.shim))
      if (!needed) {
        part.kept = false
        changed = true
      }
    }
  }
  return parts
    .filter((p) => p.kept)
    .map((p) => text.slice(p.s.getStart(sf), p.s.end))
    .join('\n')
}

/** `code` with `statement` before its first statement that isn't a function declaration. */
function afterDeclarations(code, statement) {
  const source = ts.createSourceFile('prelude.js', code, ts.ScriptTarget.ES5, false)
  const first = source.statements.find((s) => !ts.isFunctionDeclaration(s))
  const at = first === undefined ? code.length : first.getStart(source)
  return `${code.slice(0, at)}${statement}\n${code.slice(at)}`
}

const ES5 = {
  target: ts.ScriptTarget.ES5,
  module: ts.ModuleKind.None,
  allowJs: true,
  noEmitHelpers: true,
  importHelpers: false,
  downlevelIteration: false,
  removeComments: true,
  useDefineForClassFields: false,
}

/** ES2022 script text → ES5 text calling the prelude's helpers (not minified). */
export function lowerToEs5(code) {
  const once = ts.transpileModule(code, {
    fileName: 'bundle.js',
    compilerOptions: ES5,
    transformers: {
      before: [
        privateAsProperties,
        loopsAsCalls,
        spreadsAsCat,
        iterateAsArrays,
        regexSlashes,
        templatesAsSums,
      ],
    },
  })
  // a second pass over the ES5 text (nothing left to lower): by then every class has a plain
  // name (TypeScript names an anonymous class only as it prints it)
  return ts.transpileModule(once.outputText, {
    fileName: 'bundle.js',
    compilerOptions: ES5,
    transformers: {
      after: [flatClasses, compactClasses, flatAssigns, declarationsFirst],
    },
  }).outputText
}

/**
 * Bundles, lowers and minifies; returns the script, esbuild's metafile of the bundle step, and
 * the sizes of the ES2022 bundle and of the minified prelude.
 * `strip: false` keeps the error messages (a build to debug on a board).
 */
export async function buildEspruino({ entry = ENTRY, strip = true } = {}) {
  const bundled = await bundleDevice({
    entry,
    strip,
    format: 'iife',
    globalName: 'Astarte',
    target: 'es2022',
    external: ESPRUINO_MODULES,
    plugins: [int64Swap],
    // esbuild lowers these shorter than TypeScript (`(a=x)==null?…` against `(a=x)===null||a===void
    // 0?…`, and `??=` as such a `??`), so TypeScript never sees them
    supported: {
      'optional-chain': false,
      'nullish-coalescing': false,
      'logical-assignment': false,
    },
    // Espruino has no Symbol and no Object.freeze: symbols become unique strings (the core uses
    // them as sentinels and well-known keys only), freezing becomes the identity.
    define: {
      'Symbol.asyncIterator': '"@@asyncIterator"',
      'Symbol.iterator': '"@@iterator"',
      Symbol: '__Sym',
      'Object.freeze': '__freeze',
    },
  })
  let code = bundled.code
  for (const prefix of [PROTO_PREFIX]) {
    if (code.includes(prefix)) throw new Error(`the bundle already uses ${prefix}`)
  }
  const errorClasses = code.match(/\bextends Error\b/g)?.length ?? 0
  code = code.replace(/\bextends Error\b/g, 'extends __E')
  // `this`, `void 0` and repeated strings read from variables, the strings' declared before any
  // statement runs (after the function declarations: Espruino defines a function only when it
  // reaches it)
  const lowered = lowerToEs5(code)
  const preludeText = preludeFor(lowered)
  const { head, body } = shareLiterals(shareThis(`${preludeText}\n${lowered}`))
  // loaded as a module (`require("astarte")`), Espruino hands the script its `exports`
  const footer = 'if (typeof exports == "object") for (var k in Astarte) exports[k] = Astarte[k];'
  // One function around prelude and bundle: top-level names of a script are globals, which the
  // minifier must keep (`__spreadArray`, `__assign`, … at every use); inside, it shortens them.
  // Only `Astarte` (and the prelude's shims of missing built-ins) reach the global scope.
  const script =
    `var Astarte = function () {\n${afterDeclarations(body, head)}\n` +
    `return Astarte\n}.call(this);\n${footer}\n`
  const minified = await transform(script, {
    minify: true,
    target: 'es5',
    logLevel: 'silent',
  })
  // where the bytes are: the ES2022 bundle, what the prelude adds (minified alone)
  const prelude = await transform(preludeText, {
    minify: true,
    target: 'es5',
    logLevel: 'silent',
  })
  return {
    code: avoidEspruinoWords(minified.code),
    metafile: bundled.metafile,
    errorClasses,
    es2022Bytes: Buffer.byteLength(bundled.code),
    preludeBytes: Buffer.byteLength(prelude.code),
  }
}

/**
 * Words Espruino's lexer reserves that ES5 leaves free (`jslex.h`: `LEX_R_LET`, `LEX_R_STATIC`,
 * `LEX_R_OF`): its parser refuses them where it wants a name ("Got of expected ID", seen on the
 * real 2v29), while the minifier may name a function `of` and the core calls `Uint8Array.of`.
 */
export const ESPRUINO_RESERVED = new Set(['let', 'static', 'of'])

/**
 * `code` with no Espruino-reserved word used as a name: `x.of` read as `x["of"]`, `{ of: v }` as
 * `{ "of": v }`, and a variable or function so named renamed to a name the script doesn't use.
 */
export function avoidEspruinoWords(code) {
  const sf = ts.createSourceFile('bundle.js', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS)
  const edits = []
  const used = new Set()
  const visit = (node) => {
    if (ts.isIdentifier(node)) {
      used.add(node.text)
      if (ESPRUINO_RESERVED.has(node.text)) {
        const p = node.parent
        const start = node.getStart(sf)
        if (ts.isPropertyAccessExpression(p) && p.name === node) {
          const dot = code.lastIndexOf('.', start)
          edits.push({ start: dot, end: node.end, text: `[${JSON.stringify(node.text)}]` })
        } else if (ts.isPropertyAssignment(p) && p.name === node) {
          edits.push({ start, end: node.end, text: JSON.stringify(node.text) })
        } else {
          edits.push({ start, end: node.end, rename: node.text })
        }
      }
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  const renamed = new Map()
  let n = 0
  let out = code
  for (const e of edits.sort((a, b) => b.start - a.start)) {
    let text = e.text
    if (e.rename !== undefined) {
      if (!renamed.has(e.rename)) {
        let name
        do name = `$${e.rename}${n++ || ''}`
        while (used.has(name))
        renamed.set(e.rename, name)
      }
      text = renamed.get(e.rename)
    }
    out = out.slice(0, e.start) + text + out.slice(e.end)
  }
  return out
}

/** Builds and writes `OUT`; false (problems printed) when the build or the gate fails. */
export async function writeEspruino() {
  try {
    const { code } = await buildEspruino()
    const problems = checkEs5(code)
    mkdirSync(dirname(OUT), { recursive: true })
    writeFileSync(OUT, code)
    console.log(`${OUT}: ${Buffer.byteLength(code)} bytes`)
    for (const p of problems) console.error(`espruino: ${p}`)
    return problems.length === 0
  } catch (e) {
    console.error(`espruino: couldn't build: ${e instanceof Error ? e.message : String(e)}`)
    return false
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit((await writeEspruino()) ? 0 : 1)
