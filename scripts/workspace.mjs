// The workspace's packages and their test files, shared by the repository scripts.
import { readdirSync, statSync, existsSync } from 'node:fs'
import { join } from 'node:path'

export const root = new URL('..', import.meta.url).pathname

export const packages = [
  'sdk-core',
  'sqlite',
  'runtimes/testing',
  'runtimes/node',
  'runtimes/moddable',
  'runtimes/espruino',
  'sandbox',
  'agent',
  'firmware-bridge',
  'tools/fleet',
  'bench',
  // not packages: the Yocto layer (its recipes' install steps) and the npm tarballs, tested
  'yocto',
  'packaging',
  ...listDirs('examples').map((d) => `examples/${d}`),
]

function listDirs(dir) {
  const abs = join(root, dir)
  if (!existsSync(abs)) return []
  return readdirSync(abs).filter((d) => statSync(join(abs, d)).isDirectory())
}

/** Every file below `dir` whose name passes `keep`, skipping node_modules and dist. */
export function walk(dir, keep, out = []) {
  if (!existsSync(dir)) return out
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue
    const p = join(dir, name)
    if (statSync(p).isDirectory()) walk(p, keep, out)
    else if (keep(name)) out.push(p)
  }
  return out
}
