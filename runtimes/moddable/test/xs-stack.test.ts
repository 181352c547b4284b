/**
 * The XS tests' engine has a device's stack: `xsnap-worker` built with the manifest's
 * `creation.stack` slots (see xs/xsnap-process.ts), so a call that would abort a device aborts
 * here. XS pushes every argument of a call on its stack: a spread of n arguments needs n slots
 * and more, a direct measure. Real XS, nothing mocked: a spread past a device's stack aborts the
 * engine (no exception to catch), a spread that fits runs, and the largest that fits is below
 * the device's stack by what XS itself keeps there, not four times above it. The Moddable
 * certificate reader, bundled as it ships, reads a field longer than the stack.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { build } from 'esbuild'
import forge from 'node-forge'
import { DEVICE_STACK_SLOTS, XsnapProcess } from './xs/xsnap-process.js'

/** What a script reported through `issueCommand`, and how the engine ended if it did. */
async function run(code: string): Promise<{ reports: string[]; exit?: string }> {
  const reports: string[] = []
  let exit: string | undefined
  const xs = new XsnapProcess(
    (message) => {
      reports.push(message.toString('utf8'))
      return Buffer.alloc(0)
    },
    { onExit: (e) => (exit = e.message) },
  )
  try {
    await xs.evaluate(code)
  } catch (e) {
    exit ??= (e as Error).message
  }
  await xs.close()
  return exit === undefined ? { reports } : { reports, exit }
}

const report = (what: string) => `issueCommand(new TextEncoder().encode(String(${what})).buffer)`

/** Calls a function with `n` arguments by spread; reports the count it received, or a catch. */
const spread = (n: number) =>
  run(`try {
    ${report(`(function () { return arguments.length })(...new Array(${n}).fill(0))`)}
  } catch (e) { ${report("'caught ' + e")} }`)

test('XS: a call with more arguments than a device has slots aborts the engine, uncaught', async () => {
  const { reports, exit } = await spread(DEVICE_STACK_SLOTS + 76)
  assert.deepEqual(reports, [])
  assert.match(exit ?? '', /stack overflow/)
})

test('XS: a call that fits a device stack runs', async () => {
  const n = DEVICE_STACK_SLOTS - 224
  const { reports, exit } = await spread(n)
  assert.equal(exit, undefined)
  assert.deepEqual(reports, [String(n)])
})

test("XS: the largest spread is a device's stack less what XS keeps on it", async () => {
  // fits(lo), not fits(hi): XS's intrinsics (156 slots in this XS) and the frames of the call
  // take the rest, as on a device
  let lo = 0
  let hi = DEVICE_STACK_SLOTS
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1
    if ((await spread(mid)).exit === undefined) lo = mid
    else hi = mid
  }
  assert.ok(hi < DEVICE_STACK_SLOTS, `${hi} arguments fit`)
  assert.ok(lo > DEVICE_STACK_SLOTS - 256, `only ${lo} arguments fit`)
})

test('XS: the certificate reader reads a CN longer than the stack', async () => {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 1024, e: 0x10001 })
  const cert = forge.pki.createCertificate()
  cert.publicKey = keys.publicKey
  cert.serialNumber = '01'
  cert.validity.notBefore = new Date(0)
  cert.validity.notAfter = new Date(1e12)
  const cn = `realm/${'x'.repeat(4 * DEVICE_STACK_SLOTS)}`
  cert.setSubject([{ name: 'commonName', value: cn }])
  cert.setIssuer([{ name: 'commonName', value: 'test CA' }])
  cert.sign(keys.privateKey, forge.md.sha256.create())
  const pem = forge.pki.certificateToPem(cert)

  const here = new URL('.', import.meta.url).pathname
  const bundle = await build({
    stdin: {
      contents: `import { parseCertificate } from '../src/certificate.js'
        const info = parseCertificate(${JSON.stringify(pem)})
        ${report('JSON.stringify(info)')}`,
      resolveDir: here,
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    platform: 'neutral',
    conditions: ['@astarte-ts/source'],
    write: false,
    logLevel: 'silent',
  })
  const { reports, exit } = await run(bundle.outputFiles[0]?.text ?? '')
  assert.equal(exit, undefined)
  const info = JSON.parse(reports[0] ?? '{}') as Record<string, unknown>
  assert.equal(info['subjectCommonName'], cn)
  assert.equal(info['notAfterMs'], 1e12)
})
