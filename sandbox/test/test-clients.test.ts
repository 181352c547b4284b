/** The sandbox's own clients of its APIs, which tests and demos use: installInterfaces, appEngine. */
import assert from 'node:assert/strict'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { startSandbox, type Sandbox } from '../src/index.js'

const examples = new URL('../../interfaces/examples/', import.meta.url).pathname
let sandbox: Sandbox
let tmp: string
before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'astarte-sandbox-clients-'))
  sandbox = await startSandbox({ dataDir: join(tmp, 'data'), logger: { log: () => undefined } })
})
after(async () => {
  await sandbox?.stop()
  rmSync(tmp, { recursive: true, force: true })
})

test('installInterfaces installs a folder through Realm Management; appEngine reads it back', async () => {
  const dir = join(tmp, 'ok')
  mkdirSync(dir)
  for (const name of [
    'org.astarte-ts.examples.Commands.json',
    'org.astarte-ts.examples.Settings.json',
  ]) {
    copyFileSync(join(examples, name), join(dir, name))
  }
  writeFileSync(join(dir, 'README.txt'), 'not an interface')
  await sandbox.installInterfaces(dir)
  const res = await fetch(`${sandbox.realmManagementUrl}/v1/${sandbox.realm}/interfaces`, {
    headers: { authorization: `Bearer ${sandbox.jwt}` },
  })
  const names = ((await res.json()) as { data: string[] }).data
  assert.ok(names.includes('org.astarte-ts.examples.Commands'))
  assert.ok(names.includes('org.astarte-ts.examples.Settings'))

  const deviceId = 'AJInS0w3VpWpuOqkXhgZdA'
  const missing = await sandbox.appEngine('GET', `devices/${deviceId}`)
  assert.equal(missing.status, 404)
  const registered = await fetch(`${sandbox.pairingUrl}/v1/${sandbox.realm}/agent/devices`, {
    method: 'POST',
    headers: { authorization: `Bearer ${sandbox.jwt}`, 'content-type': 'application/json' },
    body: JSON.stringify({ data: { hw_id: deviceId } }),
  })
  assert.equal(registered.status, 201)
  const status = await sandbox.appEngine('GET', `devices/${deviceId}`)
  assert.equal(status.status, 200)
  assert.equal((status.data as { id?: unknown }).id, deviceId)
})

test('installInterfaces names the first file the API refuses', async () => {
  const dir = join(tmp, 'bad')
  mkdirSync(dir)
  writeFileSync(join(dir, 'a-broken.json'), JSON.stringify({ interface_name: 'x' }))
  await assert.rejects(sandbox.installInterfaces(dir), /couldn't install a-broken\.json: 4\d\d/)
})
