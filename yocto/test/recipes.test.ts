/**
 * The layer's recipes, installed the way bitbake would: the bundles made by `npm run bundle --
 * --for-node 22.13 --tar` unpacked into ${UNPACKDIR}, each recipe's variables read and expanded,
 * its do_install (with the class's shell function) run by sh into a fake ${D} as a build's
 * pseudo does (chgrp recorded, not applied), then the result checked against the recipe:
 * every installed file is in FILES:${PN} and every FILES entry installed, the modes, the unit,
 * the wrapper, the prebuilds left for the target only. The installed agent answers --version.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { after, before, describe, test } from 'node:test'

const repo = new URL('../../', import.meta.url).pathname
const layer = join(repo, 'yocto', 'meta-astarte-ts')
const classFile = join(layer, 'classes', 'astarte-ts-bundle.bbclass')

/** The defaults of bitbake.conf (wrynose) these recipes use, for an x86-64 target. */
const BITBAKE_DEFAULTS = {
  prefix: '/usr',
  bindir: '/usr/bin',
  libdir: '/usr/lib',
  sysconfdir: '/etc',
  localstatedir: '/var',
  systemd_system_unitdir: '/usr/lib/systemd/system',
  TARGET_ARCH: 'x86_64',
}

/** `NAME = "value"`, `NAME ??= "value"`, `NAME += "value"` (line continuations joined). */
function variables(text: string): Map<string, string> {
  const vars = new Map<string, string>()
  const joined = text.replace(/\\\n/g, ' ')
  for (const line of joined.split('\n')) {
    const m = /^([A-Za-z_][\w:${}-]*)\s*(\?\?=|\?=|\+=|:=|=)\s*"(.*)"\s*$/.exec(line)
    if (m === null) continue
    const [, name, op, value] = m as unknown as [string, string, string, string]
    if ((op === '??=' || op === '?=') && vars.has(name)) continue
    vars.set(
      name,
      op === '+=' ? `${vars.get(name) ?? ''} ${value}`.trim() : value.replace(/\s+/g, ' '),
    )
  }
  return vars
}

/** Shell function `name() { … }` of a recipe or class, as written (closing brace at column 0). */
function shellFunction(text: string, name: string): string {
  const m = new RegExp(`^${name}\\(\\) \\{\\n([\\s\\S]*?)\\n\\}$`, 'm').exec(text)
  assert.ok(m, `${name}() not found`)
  return `${name}() {\n${m[1]}\n}`
}

/** Bitbake's expansion of `${VAR}` (repeated until stable); shell `$x` and `"$@"` are left alone. */
function expand(text: string, vars: Map<string, string>): string {
  let out = text
  for (let i = 0; i < 10; i++) {
    const next = out.replace(
      /\$\{([A-Za-z_][\w:-]*)\}/g,
      (whole, name: string) => vars.get(name) ?? whole,
    )
    if (next === out) break
    out = next
  }
  return out
}

/** Node's architecture name for TARGET_ARCH, as the class's astarte_ts_node_arch() maps it. */
function nodeArch(classText: string, targetArch: string): string {
  const table = /return \{(.*?)\}\.get\(arch, arch\)/.exec(classText)?.[1] ?? ''
  const pairs = [...table.matchAll(/'([\w]+)': '([\w]+)'/g)].map((m) => [m[1], m[2]] as const)
  return new Map(pairs).get(targetArch) ?? targetArch
}

function listTree(dir: string): { path: string; mode: number; dir: boolean }[] {
  const out: { path: string; mode: number; dir: boolean }[] = []
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const full = join(d, name)
      const st = statSync(full)
      out.push({ path: `/${relative(dir, full)}`, mode: st.mode & 0o7777, dir: st.isDirectory() })
      if (st.isDirectory()) walk(full)
    }
  }
  walk(dir)
  return out
}

interface Installed {
  readonly D: string
  readonly vars: Map<string, string>
  readonly groups: string
  readonly tree: { path: string; mode: number; dir: boolean }[]
}

let tmp: string
let bundles: string
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'astarte-yocto-'))
  bundles = join(tmp, 'bundles')
})
after(() => rmSync(tmp, { recursive: true, force: true }))

/** `npm run bundle -- --for-node 22.13 --tar <app>` into the layer's bundle folder of this test. */
function makeBundle(app: string): void {
  const made = spawnSync(
    process.execPath,
    [
      join(repo, 'scripts', 'bundle-apps.mjs'),
      '--out',
      bundles,
      '--for-node',
      '22.13',
      '--tar',
      app,
    ],
    { encoding: 'utf8' },
  )
  assert.equal(made.status, 0, made.stderr)
}

/**
 * Runs `recipe`'s do_install on `tarball` into a fresh ${D}, with `localConf`'s assignments over
 * the recipe's (as local.conf's `NAME:pn-<recipe> = "…"`); returns what it installed.
 */
function install(
  recipe: string,
  tarball?: string,
  localConf: Record<string, string> = {},
): Installed & { status: number; stderr: string } {
  const recipeText = readFileSync(recipe, 'utf8')
  const classText = readFileSync(classFile, 'utf8')
  const pv = /_([\d.]+)\.bb$/.exec(recipe)?.[1] ?? ''
  const work = mkdtempSync(join(tmp, 'work-'))
  const unpack = join(work, 'sources-unpack')
  const D = join(work, 'image')
  mkdirSync(unpack)
  mkdirSync(D)
  // as bitbake does: the class's text stands where the recipe inherits it
  const inherited = recipeText.replace(/^inherit .*astarte-ts-bundle.*$/m, classText)
  assert.notEqual(inherited, recipeText, 'the recipe inherits astarte-ts-bundle')
  const vars = variables(inherited)
  for (const [k, v] of Object.entries(BITBAKE_DEFAULTS)) vars.set(k, v)
  vars.set('PV', pv)
  vars.set('D', D)
  vars.set('UNPACKDIR', unpack)
  vars.set('ASTARTE_TS_BUNDLES', `file://${bundles}`)
  vars.set('ASTARTE_TS_NODE_ARCH', nodeArch(classText, 'x86_64'))
  vars.set('PN', /([^/]+)_[\d.]+\.bb$/.exec(recipe)?.[1] ?? '')
  for (const [k, v] of Object.entries(localConf)) vars.set(k, v)
  // the fetcher and the unpack task: SRC_URI's tarball into UNPACKDIR
  const src = expand(vars.get('SRC_URI') ?? '', vars).replace(/^file:\/\//, '')
  const unpacked = spawnSync('tar', ['-xzf', tarball ?? src, '-C', unpack], { encoding: 'utf8' })
  assert.equal(unpacked.status, 0, unpacked.stderr)
  const groups = join(work, 'chgrp.log')
  const script = [
    'set -e',
    'bbfatal() { echo "ERROR: $*" >&2; exit 1; }',
    // pseudo records ownership in its database rather than on the host's files
    `chgrp() { echo "$@" >> '${groups}'; }`,
    expand(shellFunction(classText, 'astarte_ts_install_bundle'), vars),
    expand(shellFunction(recipeText, 'do_install'), vars),
    // bitbake runs do_install in ${B}, which is ${S} for these recipes
    expand('cd ${S} && do_install', vars),
  ].join('\n')
  const scriptFile = join(work, 'run.do_install')
  writeFileSync(scriptFile, script)
  const r = spawnSync('sh', [scriptFile], { encoding: 'utf8' })
  let logged = ''
  try {
    logged = readFileSync(groups, 'utf8')
  } catch {
    // no chgrp in this recipe
  }
  return { D, vars, groups: logged, tree: listTree(D), status: r.status ?? 1, stderr: r.stderr }
}

/** Every installed file under some FILES:${PN} entry, and every entry installed. */
function checkFiles(result: Installed): void {
  const files = expand(result.vars.get('FILES:${PN}') ?? '', result.vars)
    .split(/\s+/)
    .filter((f) => f !== '')
  assert.ok(files.length > 0)
  const covered = (p: string): boolean => files.some((f) => p === f || p.startsWith(`${f}/`))
  const leaves = result.tree.filter(
    (e) => !e.dir || readdirSync(join(result.D, e.path)).length === 0,
  )
  assert.deepEqual(
    leaves.filter((e) => !covered(e.path)).map((e) => e.path),
    [],
    'installed but not in FILES (bitbake: installed-vs-shipped)',
  )
  for (const f of files) {
    assert.ok(
      result.tree.some((e) => e.path === f),
      `FILES names ${f}, which was not installed`,
    )
  }
}

const modeOf = (r: Installed, path: string): string =>
  (r.tree.find((e) => e.path === path)?.mode ?? -1).toString(8)

describe('astarte-agent recipe', () => {
  const recipe = join(layer, 'recipes-astarte', 'astarte-agent', 'astarte-agent_0.1.0.bb')

  before(() => makeBundle('agent'))

  test('installs the bundle, wrapper, unit and config where FILES says, with their modes', () => {
    const r = install(recipe)
    assert.equal(r.status, 0, r.stderr)
    checkFiles(r)
    assert.equal(modeOf(r, '/usr/bin/astarte-agent'), '755')
    assert.equal(
      readFileSync(join(r.D, 'usr/bin/astarte-agent'), 'utf8'),
      '#!/bin/sh\nexec node --optimize-for-size --max-opt=1 /usr/lib/astarte-agent/astarte-agent.mjs "$@"\n',
    )
    assert.equal(modeOf(r, '/etc/edgehog'), '750')
    assert.equal(modeOf(r, '/etc/edgehog/config.toml'), '640')
    assert.equal(modeOf(r, '/usr/lib/astarte-agent/astarte-agent.mjs'), '644')
    assert.equal(
      readFileSync(join(r.D, 'usr/lib/systemd/system/astarte-agent.service'), 'utf8'),
      readFileSync(join(repo, 'agent', 'systemd', 'astarte-agent.service'), 'utf8'),
    )
    // the unit runs what the recipe installs, with the config where the recipe puts it
    const unit = readFileSync(join(r.D, 'usr/lib/systemd/system/astarte-agent.service'), 'utf8')
    assert.match(
      unit,
      /^ExecStart=\/usr\/bin\/astarte-agent --config \/etc\/edgehog\/config\.toml$/m,
    )
    assert.equal(expand(r.vars.get('SYSTEMD_SERVICE:${PN}') ?? '', r.vars), 'astarte-agent.service')
    assert.equal(expand(r.vars.get('CONFFILES:${PN}') ?? '', r.vars), '/etc/edgehog/config.toml')
    // the installed module runs: what the wrapper execs answers --version
    const version = spawnSync(
      process.execPath,
      [join(r.D, 'usr/lib/astarte-agent/astarte-agent.mjs'), '--version'],
      { encoding: 'utf8', cwd: tmp },
    )
    assert.equal(version.status, 0, version.stderr)
    assert.match(version.stdout, /^astarte-agent 0\.1\.0$/m)
  })

  test("a packager's ASTARTE_TS_NODE_FLAGS replaces the wrapper's node flags", () => {
    const r = install(recipe, undefined, { ASTARTE_TS_NODE_FLAGS: '--optimize-for-size' })
    assert.equal(r.status, 0, r.stderr)
    assert.equal(
      readFileSync(join(r.D, 'usr/bin/astarte-agent'), 'utf8'),
      '#!/bin/sh\nexec node --optimize-for-size /usr/lib/astarte-agent/astarte-agent.mjs "$@"\n',
    )
  })

  test('a bundle carrying the build host SQLite addon is refused', () => {
    const hostBuilt = join(tmp, 'host-built')
    const made = spawnSync(
      process.execPath,
      [
        join(repo, 'scripts', 'bundle-apps.mjs'),
        '--out',
        hostBuilt,
        '--for-node',
        '20',
        '--tar',
        'agent',
      ],
      { encoding: 'utf8' },
    )
    assert.equal(made.status, 0, made.stderr)
    const r = install(recipe, join(hostBuilt, 'astarte-agent-0.1.0.tar.gz'))
    assert.notEqual(r.status, 0)
    assert.match(r.stderr, /carries better-sqlite3 built for its build host.*--for-node 22\.13/)
  })
})

describe('astarte-bridge recipe', () => {
  const recipe = join(layer, 'recipes-astarte', 'astarte-bridge', 'astarte-bridge_0.1.0.bb')

  before(() => makeBundle('bridge'))

  test('installs the bundle with the target prebuilds only, a system user drop-in, a group-readable config', () => {
    const r = install(recipe)
    assert.equal(r.status, 0, r.stderr)
    checkFiles(r)
    const prebuilds = r.tree
      .filter((e) => e.dir && /\/prebuilds\/[^/]+$/.test(e.path))
      .map((e) => e.path.split('/').pop())
    assert.deepEqual(prebuilds, ['linux-x64'])
    assert.ok(
      r.tree.some((e) => /\/prebuilds\/linux-x64\/.*\.node$/.test(e.path)),
      'the target addon is installed',
    )
    assert.equal(
      readFileSync(join(r.D, 'usr/lib/systemd/system/astarte-bridge.service.d/user.conf'), 'utf8'),
      '[Service]\nUser=astarte-bridge\nGroup=astarte-bridge\n',
    )
    assert.match(
      expand(r.vars.get('USERADD_PARAM:${PN}') ?? '', r.vars),
      /--system .*--groups dialout .*astarte-bridge$/,
    )
    assert.equal(modeOf(r, '/etc/astarte-bridge'), '750')
    assert.equal(modeOf(r, '/etc/astarte-bridge/bridge.toml'), '640')
    assert.equal(
      r.groups,
      `astarte-bridge ${join(r.D, 'etc/astarte-bridge')} ${join(r.D, 'etc/astarte-bridge/bridge.toml')}\n`,
    )
    const unit = readFileSync(join(r.D, 'usr/lib/systemd/system/astarte-bridge.service'), 'utf8')
    assert.match(
      unit,
      /^ExecStart=\/usr\/bin\/astarte-bridge --config \/etc\/astarte-bridge\/bridge\.toml$/m,
    )
    const version = spawnSync(
      process.execPath,
      [join(r.D, 'usr/lib/astarte-bridge/astarte-bridge.mjs'), '--version'],
      { encoding: 'utf8', cwd: tmp },
    )
    assert.equal(version.status, 0, version.stderr)
    assert.match(version.stdout, /0\.1\.0/)
  })
})
