import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { main } from '../src/cli.js'
import { call, FIXTURES, newDeviceId } from './helpers.js'

const root = new URL('../../', import.meta.url).pathname
const entry =
  "import('./sandbox/src/cli.ts')" +
  '.then(async (m) => { process.exitCode = await m.main(process.argv.slice(1)) })'
const nodeArgs = ['--conditions=@astarte-ts/source', '--import', 'tsx', '-e', entry, '--']

function runCli(args: string[]) {
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      if (stdout.includes('\n')) resolve(stdout.slice(0, stdout.indexOf('\n')))
    })
    void exited.then(() => reject(new Error(`exited before the ready line: ${stderr}`)))
  })
  // Awaited only by tests expecting a ready line; others must not see an unhandled rejection.
  firstLine.catch(() => undefined)
  return { child, exited, firstLine, output: () => ({ stdout, stderr }) }
}

describe('astarte-sandbox cli', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sandbox-cli-'))
  after(() => rmSync(dataDir, { recursive: true, force: true }))

  it('prints one ready line, serves the APIs it names, and stops on SIGTERM', async () => {
    const run = runCli([
      ...['--realm', 'clitest', '--data-dir', dataDir],
      ...['--interfaces', FIXTURES, '--cert-lifetime', '3600'],
    ])
    const ready = JSON.parse(await run.firstLine) as Record<string, string>
    const keys = ['appengineUrl', 'caFile', 'jwt', 'mqttUrl', 'pairingUrl', 'realm']
    keys.push('realmManagementUrl')
    assert.deepEqual(Object.keys(ready).sort(), keys)
    assert.equal(ready['realm'], 'clitest')
    assert.equal(ready['caFile'], join(dataDir, 'ca.pem'))
    assert.match(readFileSync(ready['caFile']!, 'utf8'), /BEGIN CERTIFICATE/)
    const registered = await call('POST', `${ready['pairingUrl']}/v1/clitest/agent/devices`, {
      auth: `Bearer ${ready['jwt']}`,
      body: { data: { hw_id: newDeviceId() } },
    })
    assert.equal(registered.status, 201)
    const interfaces = await call('GET', `${ready['realmManagementUrl']}/v1/clitest/interfaces`, {
      auth: `Bearer ${ready['jwt']}`,
    })
    assert.equal((interfaces.json as { data: string[] }).data.length, 6)
    assert.match(ready['mqttUrl']!, /^mqtts:\/\/127\.0\.0\.1:\d+\/$/)
    run.child.kill('SIGTERM')
    assert.equal(await run.exited, 0)
    assert.equal(run.output().stdout.trim().split('\n').length, 1)
    assert.ok(existsSync(join(dataDir, 'sandbox.sqlite')))
  })

  it('returns 2 on a usage error, 0 for --help, without starting', async () => {
    const written: string[] = []
    const write = process.stderr.write.bind(process.stderr)
    const capture = (chunk: string): boolean => written.push(chunk) > 0
    process.stderr.write = capture as typeof process.stderr.write
    try {
      assert.equal(await main(['--http-port', 'eighty']), 2)
      assert.equal(await main(['--bogus']), 2)
      assert.equal(await main(['--help']), 0)
      assert.equal(await main(['--pki', 'dsa']), 2)
    } finally {
      process.stderr.write = write
    }
    assert.match(written[0] ?? '', /--http-port must be a non-negative integer/)
    assert.match(written[2] ?? '', /^usage: astarte-sandbox/)
    assert.match(written[3] ?? '', /--pki must be ec or rsa/)
  })
})
