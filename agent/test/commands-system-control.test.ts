/** The real `SystemControl`: the configured reboot command run as argv, its failures coded. */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { SdkError } from '@astarte-ts/sdk-core'
import { RecordingSystemControl, commandSystemControl } from '../src/commands/index.js'

const node = process.execPath

describe('commandSystemControl', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agent-reboot-'))
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('runs the command as argv, without a shell', async () => {
    const out = join(dir, 'argv.json')
    const touched = join(dir, 'touched')
    const tricky = `$(touch ${touched}); echo 'quoted' > ${touched} *`
    const script =
      'require("fs").writeFileSync(process.argv[1], JSON.stringify(process.argv.slice(2)))'
    await commandSystemControl({ command: [node, '-e', script, out, tricky, ''] }).reboot()
    assert.deepEqual(JSON.parse(await readFile(out, 'utf8')), [tricky, ''])
    assert.equal(existsSync(touched), false)
  })

  it('rejects local.command_failed with the exit code and the end of stderr', async () => {
    const command = [
      node,
      '-e',
      'process.stderr.write("x".repeat(900) + "not permitted"); process.exit(3)',
    ]
    const rejection = await commandSystemControl({ command })
      .reboot()
      .then(
        () => assert.fail('resolved'),
        (e: unknown) => e,
      )
    assert.ok(rejection instanceof SdkError)
    assert.equal(rejection.code, 'local.command_failed')
    assert.equal(rejection.message, `couldn't reboot: ${command.join(' ')} exited with code 3`)
    assert.equal(rejection.ctx['exitCode'], 3)
    const stderr = rejection.ctx['stderr'] as string
    assert.equal(stderr.length, 500)
    assert.ok(stderr.endsWith('not permitted'))
  })

  it('rejects local.command_failed when the command does not exist', async () => {
    const missing = join(dir, 'no-such-reboot')
    await assert.rejects(commandSystemControl({ command: [missing] }).reboot(), {
      code: 'local.command_failed',
      message: `couldn't reboot: ${missing} couldn't start (ENOENT)`,
    })
  })

  it('kills a command that outlives its timeout', async () => {
    const command = [node, '-e', 'setTimeout(() => {}, 60000)']
    await assert.rejects(commandSystemControl({ command, timeoutMs: 200 }).reboot(), {
      code: 'local.command_failed',
      message: `couldn't reboot: ${command.join(' ')} was killed after 200 ms`,
    })
  })

  it('refuses an empty command', () => {
    assert.throws(() => commandSystemControl({ command: [] }), { code: 'local.invalid_config' })
    assert.throws(() => commandSystemControl({ command: [''] }), { code: 'local.invalid_config' })
  })

  it('defaults to systemctl reboot', async () => {
    // Run with a PATH where `systemctl` is a script recording its arguments.
    const bin = join(dir, 'bin')
    await mkdir(bin)
    const out = join(dir, 'systemctl-args')
    await writeFile(join(bin, 'systemctl'), `#!/bin/sh\necho "$@" > ${out}\n`, { mode: 0o755 })
    const path = process.env['PATH']
    process.env['PATH'] = bin
    try {
      await commandSystemControl().reboot()
    } finally {
      process.env['PATH'] = path
    }
    assert.equal(await readFile(out, 'utf8'), 'reboot\n')
  })
})

describe('RecordingSystemControl', () => {
  it('records each reboot at its clock time and tells the listener', async () => {
    let now = 1000
    const heard: number[] = []
    const control = new RecordingSystemControl({ now: () => now }, (r) => heard.push(r.atMs))
    await control.reboot()
    now = 2500
    await control.reboot()
    assert.deepEqual(control.reboots, [{ atMs: 1000 }, { atMs: 2500 }])
    assert.deepEqual(heard, [1000, 2500])
  })
})
