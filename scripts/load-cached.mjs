// Copied by scripts/bundle-dist.mjs next to a CommonJS bundle as `load-cached.js`: runs the
// bundle the way Node's CommonJS loader would, but through `vm.Script` with V8's code cache, which
// Node 20 offers no other way (`module.enableCompileCache` is Node 22). The cache is made at build
// time by the same Node; one V8 rejects (another version, other flags) is ignored and the bundle
// compiles as usual, so the cache only ever saves time.
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Script } from 'node:vm'

/** The cache file of `file`. */
export const cacheFileOf = (file) => `${file}.v8-cache`

function readCache(file) {
  try {
    return readFileSync(cacheFileOf(file))
  } catch {
    return undefined
  }
}

/**
 * `module.exports` of the CommonJS bundle at `url`; `provided` answers `require(id)` for the
 * ES-only packages it imports (their one instance, as the importer sees it). With `writeCache`,
 * the compiled code is saved for the next loads (the build does that), after `warm(exports)`
 * if given: what it makes V8 compile is saved too.
 */
export function loadCached(url, provided, writeCache = false, warm = undefined) {
  const file = fileURLToPath(url)
  const cachedData = writeCache ? undefined : readCache(file)
  // Node's own CommonJS wrapper, on the same line: positions in stack traces stay right
  const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(file, 'utf8')}\n})`
  const script = new Script(source, { filename: file, ...(cachedData ? { cachedData } : {}) })
  const nodeRequire = createRequire(file)
  const require = Object.assign(
    (id) => (Object.hasOwn(provided, id) ? provided[id] : nodeRequire(id)),
    nodeRequire,
  )
  const module = { exports: {} }
  script.runInThisContext()(module.exports, require, module, file, dirname(file))
  if (writeCache) {
    warm?.(module.exports)
    writeFileSync(cacheFileOf(file), script.createCachedData())
  }
  return module.exports
}
