// The minimal device build a microcontroller engine loads: one esbuild bundle of a runtime's
// entry (its adapters and what it imports of sdk-core, tree-shaken; interfaces come compiled, so
// no validator), minified, with the human sentences of errors, issues and logs taken out before
// bundling. On the chip an error keeps its stable `code` and `ctx`; its message is empty (the
// host's full core has the sentences), and the property names internal to sdk-core shortened
// (`internalNames`). `bundleDevice` is shared by the engines' builds
// (scripts/build-esp32.mjs); `target` lets an engine lower the syntax further.
import { readFileSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { build, transform } from 'esbuild'
import ts from 'typescript'
import { root, walk } from './workspace.mjs'
import { CONTRACT_FILES, keptNames } from './kept-names.mjs'

/** Protocols the engine calls by name (iterators, thenables, JSON) and Error's own fields. */
const PROTOCOL_NAMES = ['next', 'return', 'throw', 'done', 'value', 'then', 'toJSON', 'cause']

const isMember = (n) =>
  ts.isPropertySignature(n) ||
  ts.isPropertyDeclaration(n) ||
  ts.isMethodDeclaration(n) ||
  ts.isMethodSignature(n) ||
  ts.isGetAccessor(n) ||
  ts.isSetAccessor(n)

/**
 * Property names safe to shorten: declared as members in sdk-core's sources, not in a contract
 * file, never written as a string anywhere in sdk-core (a bracket access, an `in` test, a JSON
 * key) nor destructured (parsed JSON is read that way too; given the `entry`, only where the
 * checker can't tell it is the core's own member: `kept-names.mjs`), not a name of the engine's
 * built-ins, at least 3 characters, no `_` (wire names), and
 * not declared in the runtime's own sources (`keepDirs`: its options, its façade, the typings of
 * the engine's modules it calls), and, given the bundle's `entry`, not one the application reads
 * by name although sdk-core declares it elsewhere (`kept-names.mjs`: what the entry's exports
 * reach, such as `metrics().reconnects`, and the keys of an error's `ctx`).
 */
export function internalNames(keepDirs = [], entry = undefined) {
  const declared = new Set()
  const kept = new Set(PROTOCOL_NAMES)
  if (entry !== undefined) for (const name of keptNames(entry, keepDirs)) kept.add(name)
  const sources = [join(root, 'sdk-core/src'), ...keepDirs]
  for (const file of sources.flatMap((dir) => walk(dir, (n) => n.endsWith('.ts')))) {
    const text = readFileSync(file, 'utf8')
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.ESNext, true)
    const contract = CONTRACT_FILES.test(file) || !file.includes('/sdk-core/src/')
    const visit = (n) => {
      if (isMember(n) && n.name !== undefined && ts.isIdentifier(n.name)) {
        ;(contract ? kept : declared).add(n.name.text)
      }
      if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) kept.add(n.text)
      // a destructured name may come from parsed JSON (`const { valid } = data`); given the
      // entry, `keptNames` tells those apart with the checker
      if (entry === undefined && ts.isBindingElement(n) && ts.isObjectBindingPattern(n.parent)) {
        const key = n.propertyName ?? n.name
        if (ts.isIdentifier(key)) kept.add(key.text)
      }
      ts.forEachChild(n, visit)
    }
    visit(source)
  }
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    kept.add(name)
    const value = globalThis[name]
    for (const o of [value, value?.prototype]) {
      if (o !== null && (typeof o === 'object' || typeof o === 'function')) {
        for (const p of Object.getOwnPropertyNames(o)) kept.add(p)
      }
    }
  }
  return [...declared].filter((n) => !kept.has(n) && n.length > 2 && !n.includes('_')).sort()
}

/**
 * A sentence, not a token: literal text with a space that starts with a lower-case word or with
 * an interpolation and a word (the project's messages are lower-case: `couldn't …`,
 * `${name} is …`). Header values (`Bearer …`) and PEM armour (`-----BEGIN …`) are not.
 */
function isSentence(text) {
  return text.includes(' ') && /^([a-z]|\$\{\} [a-z])/.test(text)
}

function literalText(node) {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text
  if (ts.isTemplateExpression(node)) {
    return [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join('${}')
  }
  return undefined
}

/** Replaces every sentence literal (plain or template) with `''`. */
const stripSentences = (context) => (file) => {
  const visit = (node) => {
    const text = literalText(node)
    if (text !== undefined && isSentence(text)) return context.factory.createStringLiteral('')
    // type positions (`'a b'` in a union) never reach the output
    if (ts.isTypeNode(node) || ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      return node
    }
    return ts.visitEachChild(node, visit, context)
  }
  return ts.visitNode(file, visit)
}

/** esbuild plugin: TypeScript sources go through `stripSentences` (types erased by tsc). */
const sentenceStripper = {
  name: 'strip-sentences',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8')
      const out = ts.transpileModule(source, {
        fileName: args.path,
        compilerOptions: {
          target: ts.ScriptTarget.ESNext,
          module: ts.ModuleKind.ESNext,
          verbatimModuleSyntax: true,
          useDefineForClassFields: true,
        },
        transformers: { before: [stripSentences] },
      })
      return { contents: out.outputText, loader: 'js' }
    })
  },
}

/** `code` parsed, when none of its names is one `taken` matches (names the caller adds). */
function parseBundle(code, taken) {
  if (taken.test(code)) throw new Error(`the bundle already uses a name matching ${taken}`)
  return ts.createSourceFile('bundle.js', code, ts.ScriptTarget.ESNext, true, ts.ScriptKind.JS)
}

/** Whether string literal `n` is a value (not a key, a member name, a module name or a directive). */
function isStringValue(n) {
  const p = n.parent
  return !(
    p.name === n ||
    ts.isImportDeclaration(p) ||
    ts.isExportDeclaration(p) ||
    ts.isExternalModuleReference(p) ||
    (ts.isExpressionStatement(p) && p.expression === n)
  )
}

/**
 * Built-ins every engine the device builds target defines before any script runs and none of
 * them replaces (the Espruino prelude installs Map and Set: not these).
 */
const BUILT_INS = new Set([
  'Array',
  'ArrayBuffer',
  'Date',
  'Error',
  'JSON',
  'Math',
  'Number',
  'Object',
  'Promise',
  'RangeError',
  'String',
  'TypeError',
  'Uint8Array',
  'isFinite',
  'parseInt',
])

/**
 * `code` (a script or module, minified or not) with each `void 0` read from `__u`, a variable
 * nothing assigns (so the same value), as is each `null` compared loosely (`x == null` is
 * `x == undefined`), `!0` and `!1` read from `__b1` and `__b0` holding true and false, and each
 * string or number value repeated enough to pay read from a variable `__s<n>` holding it (a
 * primitive: the same value, compared, switched on, computed with or concatenated alike).
 * esbuild writes `undefined` as `void 0`, booleans as `!0`/`!1` and every literal in full at
 * each use, shortest once gzipped; an engine keeps the source (Espruino) or a flash budget counts it minified, where
 * a minified name takes 1 or 2 bytes. Returns `head`, the variables' declaration, and `body`, the
 * code reading them: `head` must come first in the same scope.
 */
export function shareLiterals(code) {
  const source = parseBundle(code, /__u\b|__s\d|__b\d|__g\d/)
  const spans = []
  const literals = new Map()
  const globals = new Map()
  // names the script binds or writes as properties or strings: never taken for a global's
  const bound = new Set()
  const loose = [ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken]
  const visit = (n) => {
    const at = (name) => void spans.push({ start: n.getStart(source), end: n.end, name })
    if (ts.isVoidExpression(n) && ts.isNumericLiteral(n.expression) && n.expression.text === '0') {
      return at('__u')
    }
    if (
      n.kind === ts.SyntaxKind.NullKeyword &&
      ts.isBinaryExpression(n.parent) &&
      loose.includes(n.parent.operatorToken.kind)
    ) {
      return at('__u')
    }
    if (
      ts.isPrefixUnaryExpression(n) &&
      n.operator === ts.SyntaxKind.ExclamationToken &&
      ts.isNumericLiteral(n.operand) &&
      ['0', '1'].includes(n.operand.text)
    ) {
      return at(n.operand.text === '0' ? '__b1' : '__b0')
    }
    if (ts.isIdentifier(n)) {
      const p = n.parent
      if (
        p.name === n ||
        p.propertyName === n ||
        p.label === n ||
        ts.isShorthandPropertyAssignment(p)
      ) {
        bound.add(n.text)
      } else if (BUILT_INS.has(n.text)) {
        if (!globals.has(n.text)) globals.set(n.text, [])
        globals.get(n.text).push({ start: n.getStart(source), end: n.end })
      }
    }
    if (ts.isStringLiteral(n)) bound.add(n.text)
    if ((ts.isStringLiteral(n) || ts.isNumericLiteral(n)) && isStringValue(n)) {
      const literal = ts.isStringLiteral(n) ? JSON.stringify(n.text) : n.getText(source)
      if (!literals.has(literal)) literals.set(literal, [])
      literals.get(literal).push({ start: n.getStart(source), end: n.end })
    }
    ts.forEachChild(n, visit)
  }
  visit(source)
  const declarations = ['__u', '__b1=!0', '__b0=!1']
  let count = 0
  for (const [literal, uses] of literals) {
    // each use a 2-byte name instead of the literal, against `,__sN=…` once: shared when that
    // saves anything (a margin of 8 bytes kept 150 B more in the Espruino bundle); `""` at any
    // count (the sentences' stand-in, the most read: its name takes 1 byte, 1 less at each use)
    if (literal !== '""' && uses.length * (literal.length - 2) - (literal.length + 4) < 0) continue
    const name = `__s${count++}`
    declarations.push(`${name}=${literal}`)
    for (const u of uses) spans.push({ ...u, name })
  }
  for (const [global, uses] of globals) {
    if (bound.has(global) || uses.length * (global.length - 2) - (global.length + 4) < 0) continue
    const name = `__g${count++}`
    declarations.push(`${name}=${global}`)
    for (const u of uses) spans.push({ ...u, name })
  }
  let body = code
  for (const { start, end, name } of spans.sort((x, y) => y.start - x.start)) {
    // a name next to another name would read as one
    const before = /[\w$]/.test(body[start - 1] ?? '') ? ' ' : ''
    const after = /[\w$]/.test(body[end] ?? '') ? ' ' : ''
    body = body.slice(0, start) + before + name + after + body.slice(end)
  }
  return { head: `var ${declarations.join(',')};`, body }
}

/**
 * `code` with `this` read from a variable `__t` (`var __t = this` first in the function's body,
 * after its function declarations) in each function that reads it four times or more: 5 bytes
 * each where a minified name takes 1 or 2. Arrow functions inside read the same variable (their
 * `this` is their function's); parameters, nested functions and classes keep theirs; a function
 * that calls `super(…)` (no `this` before it) keeps `this`.
 */
export function shareThis(code) {
  const source = parseBundle(code, /__t\b/)
  const edits = []
  const ownsThis = (n) => (ts.isFunctionLike(n) && !ts.isArrowFunction(n)) || ts.isClassLike(n)
  const visit = (n) => {
    if (
      ts.isFunctionLike(n) &&
      !ts.isArrowFunction(n) &&
      n.body !== undefined &&
      ts.isBlock(n.body)
    ) {
      const uses = []
      let superCall = false
      const find = (m) => {
        if (m.kind === ts.SyntaxKind.ThisKeyword) uses.push(m)
        if (ts.isCallExpression(m) && m.expression.kind === ts.SyntaxKind.SuperKeyword)
          superCall = true
        if (!ownsThis(m)) ts.forEachChild(m, find)
      }
      ts.forEachChild(n.body, find)
      if (uses.length >= 4 && !superCall) {
        const first = n.body.statements.find((s) => !ts.isFunctionDeclaration(s))
        const at = first === undefined ? n.body.end - 1 : first.getStart(source)
        edits.push({ start: at, end: at, text: 'var __t=this;' })
        for (const u of uses) edits.push({ start: u.getStart(source), end: u.end, text: '__t' })
      }
    }
    ts.forEachChild(n, visit)
  }
  visit(source)
  let out = code
  for (const { start, end, text } of edits.sort((x, y) => y.start - x.start || y.end - x.end)) {
    out = out.slice(0, start) + text + out.slice(end)
  }
  return out
}

/** An ES module through `shareThis` and `shareLiterals`, minified again (which names the variables). */
async function minifyShared(code, target) {
  const { head, body } = shareLiterals(shareThis(code))
  const minified = await transform(head + body, {
    minify: true,
    format: 'esm',
    target,
    legalComments: 'none',
    logLevel: 'silent',
  })
  return minified.code
}

/**
 * Bundles `entry` for a device engine. Options: `outfile` (written when given), `target`
 * (esbuild target, default `es2022`), `format` (`esm` default, or `iife` with `globalName`),
 * `strip` (default true: sentences out), `mangle` (default true: `internalNames` shortened;
 * the names the entry's directory declares are kept), `plugins` (esbuild's, after the sentence
 * stripper: an engine's module swaps), `define` (esbuild's: globals an engine lacks) and
 * `supported` (esbuild's: syntax esbuild lowers itself for an engine that lowers further).
 * An ES module comes out through `shareLiterals` (an iife is lowered further by its engine's
 * build, which does its own). Returns `{ code, metafile }` (the metafile of the bundle step).
 */
export async function bundleDevice({
  entry,
  outfile,
  target = 'es2022',
  format = 'esm',
  globalName,
  strip = true,
  mangle = true,
  external = [],
  plugins = [],
  define,
  supported,
}) {
  const names = mangle ? internalNames([dirname(entry)], entry) : []
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'neutral',
    format,
    ...(globalName === undefined ? {} : { globalName }),
    target,
    minify: true,
    treeShaking: true,
    conditions: ['@astarte-ts/source'],
    mainFields: ['module', 'main'],
    external,
    ...(names.length === 0 ? {} : { mangleProps: new RegExp(`^(${names.join('|')})$`) }),
    ...(define === undefined ? {} : { define }),
    ...(supported === undefined ? {} : { supported }),
    plugins: [...(strip ? [sentenceStripper] : []), ...plugins],
    metafile: true,
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  })
  const bundled = result.outputFiles[0].text
  const code = format === 'esm' ? await minifyShared(bundled, target) : bundled
  if (outfile !== undefined) {
    await mkdir(dirname(outfile), { recursive: true })
    await writeFile(outfile, code)
  }
  return { code, metafile: result.metafile }
}
