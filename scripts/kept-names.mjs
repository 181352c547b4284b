// Property names a device build must not shorten although sdk-core declares them outside its
// contract files, found with TypeScript's checker over sdk-core and the runtime's sources:
// - what the application sees: every member name of every type reachable from the entry's
//   exports (`device.metrics().reconnects`, an event's payload, an option), however deep;
// - the keys of data bags: an object handed where a string-indexed record is expected (an
//   error's `ctx`, a warning's details) is read by name elsewhere (`err.ctx.packetId`,
//   `e.ctx['offset']`), whether it is a literal there or a variable built before;
// - a destructured key (`const { valid } = data`: parsed JSON is read that way) unless the
//   checker finds it declared, in sdk-core outside its contract files, on the type destructured,
//   not through a cast (`JSON.parse(text) as { host?: unknown }`): `const { outbox } = ctx` reads
//   a member the build renames alike.
import ts from 'typescript'
import { join } from 'node:path'
import { root, walk } from './workspace.mjs'

/** Whether `type` (or a member of a union) is indexed by any string: `Record<string, unknown>`. */
function isStringRecord(checker, type) {
  const parts = type.isUnion() ? type.types : [type]
  return parts.some((t) => checker.getIndexInfoOfType(t, ts.IndexKind.String) !== undefined)
}

/**
 * Every property name of `type` and of the types its members, signatures and arguments reach.
 * The engine's own types (`Promise`, `Uint8Array`, `Date`: declared in TypeScript's lib files)
 * are not the project's names: only their type arguments are followed.
 */
function collectTypeNames(program, checker, type, names, seen) {
  if (seen.has(type)) return
  seen.add(type)
  const next = (t) => collectTypeNames(program, checker, t, names, seen)
  if (type.isUnionOrIntersection()) type.types.forEach(next)
  if (type.flags & ts.TypeFlags.Object && type.objectFlags & ts.ObjectFlags.Reference) {
    checker.getTypeArguments(type).forEach(next)
  }
  for (const t of type.aliasTypeArguments ?? []) next(t)
  const declarations = (type.aliasSymbol ?? type.getSymbol())?.declarations ?? []
  const fromLib = declarations.some((d) => program.isSourceFileDefaultLibrary(d.getSourceFile()))
  if (fromLib || !(type.flags & ts.TypeFlags.Object)) return
  for (const kind of [ts.SignatureKind.Call, ts.SignatureKind.Construct]) {
    for (const signature of checker.getSignaturesOfType(type, kind)) {
      for (const p of signature.getParameters()) next(checker.getTypeOfSymbol(p))
      next(signature.getReturnType())
    }
  }
  for (const p of checker.getPropertiesOfType(type)) {
    if (p.name.startsWith('__@') || p.name.startsWith('#')) continue
    names.add(p.name)
    next(checker.getTypeOfSymbol(p))
  }
}

/**
 * The names above, for the bundle of `entry` (its own directory's sources included): what the
 * application reaches from the entry's exports, and the keys of data bags.
 */
export function keptNames(entry, dirs = []) {
  const files = [join(root, 'sdk-core/src'), ...dirs].flatMap((dir) =>
    walk(dir, (n) => n.endsWith('.ts') && !n.endsWith('.d.ts')),
  )
  const program = ts.createProgram([entry, ...files], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    customConditions: ['@astarte-ts/source'],
  })
  const checker = program.getTypeChecker()
  const names = new Set()
  const seen = new Set()
  const module = checker.getSymbolAtLocation(program.getSourceFile(entry))
  for (const exported of module === undefined ? [] : checker.getExportsOfModule(module)) {
    const symbol =
      exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
    if (symbol.flags & ts.SymbolFlags.Value) {
      collectTypeNames(program, checker, checker.getTypeOfSymbol(symbol), names, seen)
    }
    if (symbol.flags & (ts.SymbolFlags.Type | ts.SymbolFlags.Class)) {
      collectTypeNames(program, checker, checker.getDeclaredTypeOfSymbol(symbol), names, seen)
    }
  }
  const visit = (node) => {
    if (ts.isExpression(node)) {
      const context = checker.getContextualType(node)
      if (context !== undefined && isStringRecord(checker, context)) {
        for (const p of checker.getTypeAtLocation(node).getProperties()) names.add(p.name)
      }
    }
    ts.forEachChild(node, visit)
  }
  for (const file of files) {
    const source = program.getSourceFile(file)
    if (source !== undefined) visit(source)
  }
  const sources = files.map((f) => program.getSourceFile(f)).filter((s) => s !== undefined)
  for (const name of destructuredNames(checker, sources)) names.add(name)
  return names
}

/**
 * Where a name is part of a contract with code outside the bundle (a host's adapter, the
 * application, the core's own data): what these files declare is never renamed.
 */
export const CONTRACT_FILES =
  /sdk-core\/src\/(ports|errors|interface\/model|value\/types|driver\/device-api)\.ts$/

/** Whether `node` is in sdk-core's sources outside its contract files. */
const internal = (node) => {
  const file = node.getSourceFile().fileName
  return file.includes('/sdk-core/src/') && !CONTRACT_FILES.test(file)
}

/** The destructured keys to keep (see above) of `sources`. */
function destructuredNames(checker, sources) {
  const kept = new Set()
  const visit = (node) => {
    if (ts.isObjectBindingPattern(node)) {
      let init = ts.isVariableDeclaration(node.parent) ? node.parent.initializer : undefined
      while (init !== undefined && ts.isParenthesizedExpression(init)) init = init.expression
      const cast =
        init !== undefined &&
        (ts.isAsExpression(init) ||
          ts.isTypeAssertionExpression(init) ||
          ts.isSatisfiesExpression(init))
      const type = checker.getTypeAtLocation(node)
      for (const e of node.elements) {
        const key = e.propertyName ?? e.name
        if (!ts.isIdentifier(key)) continue
        const declarations = type.getProperty(key.text)?.declarations ?? []
        if (cast || declarations.length === 0 || !declarations.every(internal)) kept.add(key.text)
      }
    }
    ts.forEachChild(node, visit)
  }
  sources.forEach(visit)
  return kept
}
