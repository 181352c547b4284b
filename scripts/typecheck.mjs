// Type-checks every package with its own tsconfig (sdk-core's forbids host APIs: ES2020, no types).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { packages, root } from './workspace.mjs'

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const configs = packages
  .flatMap((p) => ['tsconfig.json', 'tsconfig.test.json'].map((c) => join(p, c)))
  .filter((c) => existsSync(join(root, c)))
let failed = false
for (const config of configs) {
  const r = spawnSync(process.execPath, [tsc, '-p', config], { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) {
    failed = true
    console.error(`typecheck failed: ${config}`)
  }
}
// The build catches what only declaration emit sees (e.g. an exported function whose inferred
// return type can't be named); `npm install` runs it too, so it must never break.
const build = spawnSync(process.execPath, [tsc, '-b'], {
  cwd: root,
  stdio: 'inherit',
})
if (build.status !== 0) {
  failed = true
  console.error('build failed: tsc -b (tsconfig.json)')
} else {
  // the packages' entries are the bundles: a build that left them stale would run old code
  const bundle = spawnSync(process.execPath, [join(root, 'scripts', 'bundle-dist.mjs')], {
    cwd: root,
    stdio: 'inherit',
  })
  if (bundle.status !== 0) {
    failed = true
    console.error('build failed: scripts/bundle-dist.mjs')
  }
}
if (!failed) console.log(`typecheck ok: ${configs.length} projects, build ok`)
process.exit(failed ? 1 : 0)
