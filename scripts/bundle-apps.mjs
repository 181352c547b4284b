// `npm run bundle`: self-contained application bundles for devices that never run `npm install`
// (Yocto images, factory tools). dist/<app>/ holds one ES module (esbuild, every JavaScript
// dependency inlined), the data files it reads, the native addons it still needs beside it in a
// node_modules/ of its own, its systemd unit and a default config:
//   dist/agent/   astarte-agent.mjs, astarte-agent.service, config.toml,
//                 node_modules/@astarte-ts/interfaces (the Edgehog and example interface files)
//   dist/bridge/  astarte-bridge.mjs, astarte-bridge.service, bridge.toml,
//                 node_modules/@serialport/bindings-cpp (N-API prebuilds for every Linux arch)
// SQLite: a Node that ships node:sqlite (22.13 and later) needs no addon; for an older Node the
// bundle carries better-sqlite3 as compiled here (this machine's architecture and Node ABI).
// `--for-node 22.13` (or later) says the bundle is for such a Node, whatever Node builds it: what
// images (the Yocto recipes) take, since an addon built on the build host can't run on the board.
// `--tar` also writes dist/<bin>-<version>.tar.gz (the recipes' SRC_URI). onoff and i2c-bus (GPIO and I2C on the board) stay out: loaded only when the config
// uses real hardware, they are installed on the image beside the bundle when it does.
// Usage: node scripts/bundle-apps.mjs [--out DIR] [--for-node X.Y] [--tar] [agent|bridge ...]
//   (default: both, into dist/, for the Node that runs this script)
import { spawnSync } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { build } from 'esbuild'
import { root } from './workspace.mjs'

/** Native addons an app loads at run time, with what they need at run time (not to build). */
const SKIP_DEPENDENCIES = new Set(['node-addon-api', 'prebuild-install', 'node-gyp'])

const apps = {
  agent: {
    dir: 'agent',
    entry: 'agent/bin/astarte-agent.js',
    out: 'astarte-agent.mjs',
    files: [
      ['agent/systemd/astarte-agent.service', 'astarte-agent.service'],
      ['agent/config/config.toml', 'config.toml'],
    ],
    data: ['@astarte-ts/interfaces'],
    natives: [],
    optional: ['onoff', 'i2c-bus'],
  },
  bridge: {
    dir: 'firmware-bridge',
    entry: 'firmware-bridge/bin/astarte-bridge.js',
    out: 'astarte-bridge.mjs',
    files: [
      ['firmware-bridge/systemd/astarte-bridge.service', 'astarte-bridge.service'],
      ['firmware-bridge/config/bridge.toml', 'bridge.toml'],
    ],
    data: [],
    natives: ['@serialport/bindings-cpp'],
    optional: [],
  },
}

/** Whether Node `version` ("22.13", "24") ships node:sqlite unflagged. */
function shipsNodeSqlite(version) {
  const [major = 0, minor = 0] = version.split('.').map(Number)
  return major > 22 || (major === 22 && minor >= 13)
}

function hasNodeSqlite() {
  const emit = process.emitWarning
  process.emitWarning = () => undefined
  try {
    return typeof process.getBuiltinModule?.('node:sqlite')?.DatabaseSync === 'function'
  } catch {
    return false
  } finally {
    process.emitWarning = emit
  }
}

/** Each `src/package-info.ts` becomes its package.json's fields, inlined: a bundle has no package.json. */
const inlinePackageInfo = {
  name: 'inline-package-info',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]package-info\.ts$/ }, (args) => {
      const pkg = JSON.parse(readFileSync(join(dirname(args.path), '..', 'package.json'), 'utf8'))
      const info = { version: pkg.version, homepage: pkg.homepage, repository: pkg.repository }
      return {
        contents: `export function packageInfo() { return ${JSON.stringify(info)} }\n`,
        loader: 'js',
      }
    })
  },
}

/**
 * What of an installed package runs: not its C/C++ sources, tests or the objects of its build, only
 * the compiled addon (`build/Release/*.node`) or its Linux prebuilds, and its JavaScript and data.
 */
function runTimeFile(relative) {
  const parts = relative.split(/[\\/]/).filter((p) => p !== '')
  if (parts.some((p) => ['test', 'deps', '.github', 'docs'].includes(p))) return false
  // an addon's C/C++ sources and build files (its JavaScript may live in src/ too: keep that)
  if (/\.(c|cc|cpp|h|hpp|gyp|gypi|mk)$/.test(relative)) return false
  // N-API prebuilds: the bundles run on Linux boards, of any architecture
  const prebuilds = parts.indexOf('prebuilds')
  if (
    prebuilds !== -1 &&
    parts.length > prebuilds + 1 &&
    !parts[prebuilds + 1].startsWith('linux-')
  ) {
    return false
  }
  const build = parts.indexOf('build')
  if (build === -1) return true
  const inside = parts.slice(build + 1)
  return (
    inside.length === 0 ||
    (inside[0] === 'Release' &&
      (inside.length === 1 || (inside.length === 2 && inside[1].endsWith('.node'))))
  )
}

/**
 * `name`'s package.json as Node's resolution would find it from the file `from` (a package's
 * `exports` may not list package.json, so `require.resolve` can't be asked for it).
 */
function findPackageJson(name, from) {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name, 'package.json')
    if (existsSync(candidate)) return candidate
    if (dirname(dir) === dir)
      throw new Error(`bundle: ${name} is not installed (looked up from ${from})`)
  }
}

/** Whether `name` resolves from the folder `dir` inside the bundle (up to `modules`' parent). */
function resolvesWithin(dir, name, modules) {
  for (let d = dir; d.startsWith(dirname(modules)); d = dirname(d)) {
    if (existsSync(join(d, 'node_modules', name, 'package.json'))) return true
    if (d === dirname(modules)) break
  }
  return false
}

/**
 * Copies package `name` (as Node resolves it from the file `from`) into `modules`, then whatever
 * it, or a package nested in its own node_modules, needs at run time and can't resolve inside the
 * bundle: the repository's tree is hoisted, the bundle's must hold each dependency itself.
 */
function copyPackage(name, from, modules, seen = new Set()) {
  if (seen.has(name) || SKIP_DEPENDENCIES.has(name)) return
  seen.add(name)
  const pkgFile = findPackageJson(name, from)
  const src = dirname(pkgFile)
  const dest = join(modules, name)
  mkdirSync(dirname(dest), { recursive: true })
  // nested node_modules come along: they are versions this package needs that the root lacks
  cpSync(src, dest, {
    recursive: true,
    dereference: true,
    filter: (p) => runTimeFile(p.slice(src.length)),
  })
  for (const manifest of packageManifests(dest)) {
    const pkg = JSON.parse(readFileSync(manifest, 'utf8'))
    const here = dirname(manifest)
    const original = join(src, here.slice(dest.length), 'package.json')
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
      if (SKIP_DEPENDENCIES.has(dep) || resolvesWithin(here, dep, modules)) continue
      copyPackage(dep, original, modules, seen)
    }
  }
}

/** `dir`'s package.json and those of the packages nested in its node_modules. */
function packageManifests(dir) {
  const found = [join(dir, 'package.json')]
  const nested = join(dir, 'node_modules')
  if (!existsSync(nested)) return found
  for (const entry of readdirSync(nested)) {
    const scoped = entry.startsWith('@')
      ? readdirSync(join(nested, entry)).map((n) => `${entry}/${n}`)
      : [entry]
    for (const name of scoped) {
      if (existsSync(join(nested, name, 'package.json')))
        found.push(...packageManifests(join(nested, name)))
    }
  }
  return found
}

async function bundle(name, outRoot, forNode, tar) {
  const app = apps[name]
  const out = join(outRoot, name)
  rmSync(out, { recursive: true, force: true })
  mkdirSync(out, { recursive: true })
  const natives = [...app.natives]
  // where Node has no node:sqlite the store loads better-sqlite3 (sqlite/src/better-sqlite3.ts)
  if (forNode === undefined ? !hasNodeSqlite() : !shipsNodeSqlite(forNode))
    natives.push('better-sqlite3')
  const result = await build({
    entryPoints: [join(root, app.entry)],
    outfile: join(out, app.out),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@astarte-ts/source'],
    external: [...natives, ...app.optional],
    plugins: [inlinePackageInfo],
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: false,
    legalComments: 'eof',
    logLevel: 'warning',
    // CommonJS dependencies inlined into an ES module require Node's built-ins
    banner: {
      js:
        "import { createRequire as __astarteCreateRequire } from 'node:module';\n" +
        'const require = __astarteCreateRequire(import.meta.url);',
    },
    metafile: true,
  })
  if (result.errors.length > 0) throw new Error(`${name}: bundle failed`)
  const modules = join(out, 'node_modules')
  const from = join(root, app.dir, 'package.json')
  for (const native of natives) copyPackage(native, from, modules)
  for (const data of app.data) copyPackage(data, from, modules)
  for (const [src, dest] of app.files) cpSync(join(root, src), join(out, dest))
  const pkg = JSON.parse(readFileSync(join(root, app.dir, 'package.json'), 'utf8'))
  writeFileSync(
    join(out, 'BUNDLE.json'),
    `${JSON.stringify(
      {
        name: pkg.name,
        version: pkg.version,
        entry: app.out,
        builtWith: `node ${process.versions.node}`,
        forNode: forNode ?? process.versions.node,
        natives,
        optionalNatives: app.optional,
      },
      null,
      2,
    )}\n`,
  )
  if (tar) {
    const file = join(outRoot, `${app.out.replace(/\.mjs$/, '')}-${pkg.version}.tar.gz`)
    const made = spawnSync('tar', ['-czf', file, '--owner=0', '--group=0', '-C', outRoot, name])
    if (made.status !== 0) throw new Error(`${name}: tar failed: ${made.stderr}`)
  }
  const bytes = readFileSync(join(out, app.out)).length
  console.log(
    `bundle: ${join(out, app.out)} ${(bytes / 1024).toFixed(0)} KiB; natives: ${natives.join(', ') || 'none'}`,
  )
}

const args = process.argv.slice(2)
const valueOf = (flag) => {
  const at = args.indexOf(flag)
  if (at === -1) return undefined
  const value = args[at + 1]
  if (value === undefined || value.startsWith('--')) {
    console.error(`bundle: ${flag} needs a value`)
    process.exit(2)
  }
  args.splice(at, 2)
  return value
}
const outRoot = resolve(valueOf('--out') ?? join(root, 'dist'))
const forNode = valueOf('--for-node')
if (forNode !== undefined && !/^\d+(\.\d+)?$/.test(forNode)) {
  console.error(`bundle: --for-node takes a Node version such as 22.13 or 24`)
  process.exit(2)
}
const tar = args.includes('--tar')
const wanted = args.filter((a) => a !== '--tar')
for (const name of wanted.length > 0 ? wanted : Object.keys(apps)) {
  if (!(name in apps)) {
    console.error(`bundle: unknown app '${name}' (agent, bridge)`)
    process.exit(2)
  }
  await bundle(name, outRoot, forNode, tar)
}
