// Enforces the dependency direction of shared/design.md on every package's src/:
// sdk-core imports nothing; runtimes, agent, sandbox, the bridge and tools reach only the packages
// they may, by their public entry; no relative import leaves its package.
import { readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { packages, root, walk } from './workspace.mjs'

const allowed = {
  'sdk-core': { workspace: [], host: false },
  'runtimes/testing': { workspace: ['@astarte-ts/sdk-core'], host: true },
  // the SQLite binding shared by the device store and the sandbox
  sqlite: { workspace: [], host: true },
  'runtimes/node': { workspace: ['@astarte-ts/sdk-core', '@astarte-ts/sqlite'], host: true },
  // An engine runtime: its host is the engine's own modules (Moddable's), nothing else.
  'runtimes/moddable': {
    workspace: ['@astarte-ts/sdk-core'],
    host: false,
    engine: ['timer', 'socket', 'securesocket', 'http', 'preference', 'inflate', 'deflate'],
  },
  // Espruino's modules come from its `require` at run time (src/espruino.ts), never imported.
  'runtimes/espruino': { workspace: ['@astarte-ts/sdk-core'], host: false },
  sandbox: { workspace: ['@astarte-ts/sdk-core', '@astarte-ts/sqlite'], host: true },
  agent: { workspace: ['@astarte-ts/sdk-core', '@astarte-ts/interfaces'], host: true },
  'firmware-bridge': {
    workspace: ['@astarte-ts/sdk-core', '@astarte-ts/runtime-node'],
    host: true,
  },
  // Tools (load generators) build on the core and the Node runtime; nothing depends on them.
  'tools/fleet': {
    workspace: ['@astarte-ts/sdk-core', '@astarte-ts/runtime-node'],
    host: true,
  },
}
const anyWorkspace = { workspace: null, host: true }
// The agent programs against sdk-core's device API; only its CLI entry wires the Node runtime.
const extraBySource = [{ pkg: 'agent', dir: 'src/cli/', workspace: ['@astarte-ts/runtime-node'] }]

// One driver (shared/design.md): what programs a device (a runtime, the agent, the bridge)
// reaches the device machine through sdk-core's driver, never a copy of its loop.
const DRIVER_USERS = /^(runtimes\/|agent$|firmware-bridge$)/
const driverCopy = [
  [/\bmachine\.(handle|writesStore|sendDirect|ackDirect)\(/, 'drives the device machine itself'],
  [
    /\bclass\s+\w*(InputQueue|ActionRunner|TimerTable|DeviceDriver)\b/,
    'defines its own driver part',
  ],
]

const importRe =
  /(?:^|[^\w.])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm
const builtins = new Set(builtinModules)
const problems = []

for (const pkg of packages) {
  const rule = allowed[pkg] ?? anyWorkspace
  const pkgDir = join(root, pkg)
  let deps = {}
  try {
    const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'))
    deps = {
      ...manifest.dependencies,
      ...manifest.peerDependencies,
      ...manifest.optionalDependencies,
    }
  } catch {
    continue
  }
  for (const file of walk(join(pkgDir, 'src'), (n) => /\.(ts|mts|js|mjs)$/.test(n))) {
    const text = readFileSync(file, 'utf8')
    if (DRIVER_USERS.test(pkg)) {
      for (const [re, what] of driverCopy) {
        if (re.test(text))
          problems.push(`${relative(root, file)} ${what}: use sdk-core's DeviceDriver`)
      }
    }
    for (const m of text.matchAll(importRe)) {
      const spec = m[1] ?? m[2] ?? m[3]
      const where = `${relative(root, file)}: '${spec}'`
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec)
        if (!target.startsWith(pkgDir + '/')) problems.push(`${where} leaves the package ${pkg}`)
        continue
      }
      if (rule.engine?.includes(spec)) continue
      const isBuiltin = spec.startsWith('node:') || builtins.has(spec.split('/')[0])
      if (isBuiltin) {
        if (!rule.host) problems.push(`${where}: ${pkg} must not import host modules`)
        continue
      }
      if (spec.startsWith('@astarte-ts/')) {
        const name = spec.split('/').slice(0, 2).join('/')
        if (spec !== name) problems.push(`${where}: import ${name} by its public entry only`)
        else if (
          rule.workspace &&
          !rule.workspace.includes(name) &&
          !extraBySource.some(
            (x) =>
              x.pkg === pkg &&
              relative(pkgDir, file).startsWith(x.dir) &&
              x.workspace.includes(name),
          )
        )
          problems.push(`${where}: ${pkg} may not depend on ${name}`)
        continue
      }
      const bare = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]
      if (!rule.host) problems.push(`${where}: ${pkg} has no run-time dependencies`)
      else if (!(bare in deps)) problems.push(`${where}: ${bare} is not in ${pkg}/package.json`)
    }
  }
}

if (problems.length > 0) {
  console.error('dependency rules broken:\n  ' + problems.join('\n  '))
  process.exit(1)
}
console.log('dependency rules ok')
