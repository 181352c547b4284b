import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { SdkError } from '@astarte-ts/sdk-core'
import { CREDENTIAL_FILES, FileCredentialsStore } from '../src/credentials/index.js'
import { tempDir } from './helpers/tmp.js'

const mode = (p: string): number => statSync(p).mode & 0o777

test('creates the directory 0700 and every file 0600; reads back what was written', (t) => {
  const dir = join(tempDir(t), 'nested', 'creds')
  const store = new FileCredentialsStore({ dir })
  assert.equal(mode(dir), 0o700)
  const values = {
    privateKey: 'KEY-PEM\n',
    certificate: 'CRT-PEM\n',
    credentialsSecret: 'c2VjcmV0+/==',
  }
  for (const [name, value] of Object.entries(values) as [keyof typeof values, string][]) {
    assert.equal(store.read(name), undefined)
    store.write(name, value)
    assert.equal(store.read(name), value)
    assert.equal(mode(join(dir, CREDENTIAL_FILES[name])), 0o600)
  }
  assert.deepEqual(readdirSync(dir).sort(), ['credentials-secret', 'device.crt', 'device.key'])
})

test('0600 holds under a permissive umask and an existing loose directory is tightened', (t) => {
  const dir = tempDir(t)
  chmodSync(dir, 0o777)
  const old = process.umask(0)
  try {
    const store = new FileCredentialsStore({ dir })
    store.writeKeyAndCertificate('k', 'c')
    assert.equal(mode(dir), 0o700)
    assert.equal(mode(store.pathOf('privateKey')), 0o600)
    assert.equal(mode(store.pathOf('certificate')), 0o600)
  } finally {
    process.umask(old)
  }
})

test('overwrite replaces content, leaves no temp files; delete removes', (t) => {
  const store = new FileCredentialsStore({ dir: tempDir(t) })
  store.write('certificate', 'one')
  store.write('certificate', 'two')
  assert.equal(store.read('certificate'), 'two')
  assert.deepEqual(readdirSync(store.dir), ['device.crt'])
  store.delete('certificate')
  store.delete('certificate')
  assert.equal(store.read('certificate'), undefined)
})

test('unreadable file: typed error names the file, not the content', (t) => {
  const store = new FileCredentialsStore({ dir: tempDir(t) })
  // a directory where the file should be makes readFileSync fail with EISDIR
  mkdirSync(store.pathOf('privateKey'))
  assert.throws(
    () => store.read('privateKey'),
    (e: unknown) =>
      e instanceof SdkError &&
      e.code === 'local.credentials_io' &&
      e.message === `couldn't read ${store.pathOf('privateKey')}`,
  )
})

test('a writer killed with SIGKILL mid-loop leaves either the old or a new content, whole', async (t) => {
  const dir = tempDir(t)
  const store = new FileCredentialsStore({ dir })
  const size = 256 * 1024
  store.write('certificate', 'a'.repeat(size))
  const src = new URL('../src/credentials/index.js', import.meta.url).pathname.replace(
    /\.js$/,
    '.ts',
  )
  const script = `
    const { FileCredentialsStore } = await import(${JSON.stringify(src)})
    const s = new FileCredentialsStore({ dir: ${JSON.stringify(dir)} })
    process.stdout.write('go\\n')
    for (let i = 0; ; i++) s.write('certificate', String.fromCharCode(98 + (i % 20)).repeat(${size}))
  `
  const child = spawn(
    process.execPath,
    ['--conditions=@astarte-ts/source', '--import', 'tsx', '--input-type=module', '-e', script],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()))
  await new Promise((r) => setTimeout(r, 150))
  child.kill('SIGKILL')
  await new Promise((r) => child.once('exit', r))
  const content = store.read('certificate') ?? ''
  assert.equal(content.length, size)
  assert.match(content, /^(.)\1*$/)
  assert.equal(mode(store.pathOf('certificate')), 0o600)
})
