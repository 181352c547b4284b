// Root postinstall: compiles better-sqlite3's addon only on a Node without node:sqlite (Node 20,
// and 22 before 22.13). package.json denies better-sqlite3's own install script, so `npm install`
// compiles nothing where Node ships SQLite; here, on older Node, we run the build that script
// would have run (from source: a prebuilt download costs minutes of timeouts where no such host
// is reachable). Idempotent: an addon that loads is kept.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'

function hasNodeSqlite() {
  try {
    const originalEmit = process.emitWarning
    process.emitWarning = () => undefined
    try {
      return typeof process.getBuiltinModule?.('node:sqlite')?.DatabaseSync === 'function'
    } finally {
      process.emitWarning = originalEmit
    }
  } catch {
    return false
  }
}

if (hasNodeSqlite()) {
  console.log(`sqlite-addon: Node ${process.versions.node} has node:sqlite; nothing to compile`)
  process.exit(0)
}
const require = createRequire(import.meta.url)
let root
try {
  root = dirname(require.resolve('better-sqlite3/package.json'))
} catch {
  console.error('sqlite-addon: this Node has no node:sqlite and better-sqlite3 is not installed')
  process.exit(1)
}
const addon = `${root}/build/Release/better_sqlite3.node`
if (existsSync(addon)) {
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      `new (require(${JSON.stringify(root)}))(':memory:', { nativeBinding: ${JSON.stringify(addon)} }).close()`,
    ],
    { encoding: 'utf8' },
  )
  if (probe.status === 0) {
    console.log('sqlite-addon: better-sqlite3 addon present and loading')
    process.exit(0)
  }
}
console.log(
  `sqlite-addon: Node ${process.versions.node} has no node:sqlite; compiling better-sqlite3`,
)
// npm puts its bundled node-gyp on PATH for lifecycle scripts
const built = spawnSync('node-gyp', ['rebuild', '--release'], { cwd: root, stdio: 'inherit' })
process.exit(built.status ?? 1)
