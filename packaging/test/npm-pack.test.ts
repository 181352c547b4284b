/**
 * What `npm pack` makes of each publishable package works where it will be used: the tarballs,
 * installed together into an empty project outside the repository (no workspace links, no source
 * condition), import as ES modules with their documented exports, type-check from their .d.ts,
 * and their bins answer --version.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'

const repo = new URL('../../', import.meta.url).pathname

/** Each publishable package: its folder, what a user imports from it, its bin. */
const PACKAGES = [
  { dir: 'sdk-core', exports: ['parseInterface', 'DeviceMachine', 'encodeBson', 'SdkError'] },
  { dir: 'sqlite', exports: ['openSqlite', 'sqliteErrorCode', 'availableSqliteBindings'] },
  {
    dir: 'runtimes/node',
    exports: ['Device', 'openSqliteStore', 'provisionDevice'],
    bin: 'astarte-device',
  },
  { dir: 'sandbox', exports: ['startSandbox'], bin: 'astarte-sandbox' },
  { dir: 'agent', exports: ['Agent'], bin: 'astarte-agent' },
  { dir: 'firmware-bridge', exports: [], bin: 'astarte-bridge' },
  { dir: 'interfaces', exports: [] },
] as const

const nameOf = (dir: string): string =>
  (JSON.parse(readFileSync(join(repo, dir, 'package.json'), 'utf8')) as { name: string }).name

let tmp: string
let project: string
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'astarte-npm-pack-'))
  const tarballs = join(tmp, 'tarballs')
  mkdirSync(tarballs)
  for (const { dir } of PACKAGES) {
    const packed = spawnSync(
      'npm',
      ['pack', '-w', nameOf(dir), '--pack-destination', tarballs, '--silent'],
      { cwd: repo, encoding: 'utf8' },
    )
    assert.equal(packed.status, 0, `npm pack ${dir}: ${packed.stderr}`)
  }
  project = join(tmp, 'app')
  mkdirSync(project)
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'app', private: true, type: 'module' })}\n`,
  )
  const files = readdirSync(tarballs).map((f) => join(tarballs, f))
  assert.equal(files.length, PACKAGES.length)
  // dependencies from the npm cache this machine's install filled; install scripts denied (npm's
  // default for a project without allowScripts): what a package needs at run time must load anyway
  const installed = spawnSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', ...files],
    { cwd: project, encoding: 'utf8' },
  )
  assert.equal(installed.status, 0, installed.stderr)
})
after(() => rmSync(tmp, { recursive: true, force: true }))

test('each tarball holds its built entry, its types and its bin; no test files, no build caches', () => {
  for (const { dir } of PACKAGES) {
    const name = nameOf(dir)
    const root = join(project, 'node_modules', ...name.split('/'))
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports?: Record<string, Record<string, string>>
      bin?: Record<string, string>
    }
    for (const target of Object.values(pkg.exports?.['.'] ?? {})) {
      assert.ok(
        readdirSync(join(root, target, '..')).includes(target.split('/').pop() as string),
        `${name}: exports names ${target}, which is not in the tarball`,
      )
    }
    for (const bin of Object.values(pkg.bin ?? {})) {
      assert.ok(readdirSync(join(root, bin, '..')).length > 0, `${name}: bin ${bin}`)
    }
    const all = spawnSync('find', [root, '-name', '*.test.ts', '-o', '-name', '*.tsbuildinfo'], {
      encoding: 'utf8',
    }).stdout.trim()
    assert.equal(all, '', `${name} ships test files or build caches`)
  }
})

test('every package imports from the installed tarballs, without the source condition', () => {
  for (const { dir, exports } of PACKAGES) {
    if (exports.length === 0) continue
    const name = nameOf(dir)
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(name)}); console.log(JSON.stringify(Object.keys(m)))`,
      ],
      { cwd: project, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } },
    )
    assert.equal(r.status, 0, `${name}: ${r.stderr}`)
    const keys = JSON.parse(r.stdout) as string[]
    for (const e of exports) assert.ok(keys.includes(e), `${name} exports ${e}`)
  }
})

test('the types resolve: a TypeScript file using the packages type-checks in the empty project', () => {
  writeFileSync(
    join(project, 'tsconfig.json'),
    `${JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ['node'],
      },
      include: ['main.ts'],
    })}\n`,
  )
  writeFileSync(
    join(project, 'main.ts'),
    `import { parseInterface, type Interface } from '@astarte-ts/sdk-core'
import { Device } from '@astarte-ts/runtime-node'
import { openSqlite } from '@astarte-ts/sqlite'
const parsed = parseInterface({})
const iface: Interface | undefined = parsed.ok ? parsed.value : undefined
export const open: typeof Device.open = Device.open
export const db: typeof openSqlite = openSqlite
console.log(iface)
`,
  )
  // @types/node from the repository: the tarballs' users bring their own
  mkdirSync(join(project, 'node_modules', '@types'), { recursive: true })
  spawnSync('cp', [
    '-r',
    join(repo, 'node_modules', '@types', 'node'),
    join(project, 'node_modules', '@types', 'node'),
  ])
  spawnSync('cp', [
    '-r',
    join(repo, 'node_modules', 'undici-types'),
    join(project, 'node_modules', 'undici-types'),
  ])
  const tsc = spawnSync(
    process.execPath,
    [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project],
    { cwd: project, encoding: 'utf8' },
  )
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr)
})

test('each bin answers --version from the installed tarball', () => {
  for (const { dir, ...rest } of PACKAGES) {
    if (!('bin' in rest)) continue
    const pkg = JSON.parse(readFileSync(join(repo, dir, 'package.json'), 'utf8')) as {
      version: string
    }
    const r = spawnSync(join(project, 'node_modules', '.bin', rest.bin), ['--version'], {
      cwd: project,
      encoding: 'utf8',
    })
    assert.equal(r.status, 0, `${rest.bin}: ${r.stderr}`)
    assert.match(r.stdout, new RegExp(pkg.version.replace(/\./g, '\\.')), rest.bin)
  }
})
