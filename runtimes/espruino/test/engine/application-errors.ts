/**
 * @module application errors: what both handshake suites prove once the device's
 * `uncaughtException` listener is on `process` — that it claims only its own TLS failures.
 */
import assert from 'node:assert/strict'
import type { DukEngine } from './duk-engine.js'
import { eventually } from './espruino-env.js'

/**
 * The application's own uncaught errors still reach the console and, once it listens, its
 * listener; the device keeps retrying meanwhile, and no `mbedtls` error is ever printed.
 */
export async function assertApplicationErrorsUntouched(engine: DukEngine): Promise<void> {
  await engine.call(`setTimeout(function () { throw new Error('application bug 1') }, 0); 0`)
  await eventually(
    'the error printed',
    () => Promise.resolve(engine.uncaught.join('\n')),
    (u) => u.includes('application bug 1')
  )
  await engine.call(
    `var mine = []; process.on('uncaughtException', function (e) { mine.push(e.message) });` +
      ` setTimeout(function () { throw new Error('application bug 2') }, 0); 0`
  )
  assert.deepEqual(
    await eventually(
      "the application's listener called",
      () => engine.call('mine') as Promise<string[]>,
      (m) => m.length === 1
    ),
    ['application bug 2']
  )
  // the device keeps retrying, its handshake errors still its own
  const before = ((await engine.call('warnings')) as string[]).length
  await eventually(
    'another attempt',
    () => engine.call('warnings') as Promise<string[]>,
    (w) => w.length > before
  )
  assert.ok(
    engine.uncaught.every((u) => !u.includes('mbedtls')),
    engine.diagnostics()
  )
  assert.deepEqual(await engine.call('mine'), ['application bug 2'])
}
