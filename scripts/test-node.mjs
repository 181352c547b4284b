// Runs the suites of what ships to devices — the SQLite binding, runtime-node, the agent and the
// firmware bridge — on another Node major than the one running npm: 22 (what the Yocto images
// carry) and 24, where the store uses node:sqlite. That Node comes from the npm registry's `node`
// package, installed into a cache folder of its own: as a dependency of the project it would put
// a `node` in node_modules/.bin, the first `node` on every npm script's PATH.
// Usage: node scripts/test-node.mjs MAJOR [--quiet] [path-filter ...] (default: those four packages)
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { root } from './workspace.mjs'

const MAJOR = Number(process.argv[2])
if (!Number.isInteger(MAJOR) || MAJOR < 20) {
  console.error('usage: node scripts/test-node.mjs MAJOR [--quiet] [path-filter ...]')
  process.exit(2)
}
const prefix = join(root, 'node_modules', '.cache', `node${MAJOR}`)
const bin = join(prefix, 'node_modules', '.bin', 'node')

function version() {
  if (!existsSync(bin)) return undefined
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' })
  return r.status === 0 ? r.stdout.trim() : undefined
}

if (!version()?.startsWith(`v${MAJOR}.`)) {
  mkdirSync(prefix, { recursive: true })
  // the `node` package's preinstall fetches the binary for this platform: approved here, as the
  // project's package.json approves its own dependencies' scripts
  const manifest = { private: true, allowScripts: { node: true } }
  writeFileSync(join(prefix, 'package.json'), `${JSON.stringify(manifest)}\n`)
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const r = spawnSync(npm, ['install', '--no-audit', '--no-fund', '--no-save', `node@${MAJOR}`], {
    cwd: prefix,
    stdio: 'inherit',
  })
  if (r.status !== 0 || !version()?.startsWith(`v${MAJOR}.`)) {
    console.error(`test-node: couldn't install node@${MAJOR} from the npm registry`)
    process.exit(1)
  }
}
const args = process.argv.slice(3)
const filters = args.filter((a) => a !== '--quiet')
const suites =
  filters.length > 0 ? filters : ['sqlite/', 'runtimes/node/', 'agent/', 'firmware-bridge/']
console.log(`test-node: ${version()} — ${suites.join(' ')}`)
const run = spawnSync(
  bin,
  [join(root, 'scripts', 'run-tests.mjs'), ...args.filter((a) => a === '--quiet'), ...suites],
  { cwd: root, stdio: 'inherit' },
)
process.exit(run.status ?? 1)
