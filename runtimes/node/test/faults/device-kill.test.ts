/**
 * Fault: the device process is killed (SIGKILL, no chance to flush or close) while offline with a
 * backlog of `retention: stored` messages; a new process on the same store dir delivers the whole
 * backlog, in order, exactly once (spec §3.9: stored messages are persisted and resent after sync).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { startSandbox } from '@astarte-ts/sandbox'
import { startChildDevice } from '../helpers/child-device.js'
import { tempDir } from '../helpers/tmp.js'
import {
  RESILIENCE,
  deviceOptions,
  interfacesDir,
  quiet,
  storedSequence,
  waitFor,
} from './sandbox-env.js'

const N = 500

test(`SIGKILL while offline holding ${N} stored messages: a restarted process delivers all, in order`, async (t) => {
  const tmp = tempDir(t, 'astarte-fault-kill-')
  const dataDir = join(tmp, 'sandbox')
  const sandbox = await startSandbox({ dataDir, interfacesDir, logger: quiet })
  t.after(() => sandbox.stop())
  const options = deviceOptions(sandbox, join(tmp, 'store'))
  const path = '/offline/unique'

  const first = await startChildDevice(t, options)
  await first.call({ cmd: 'connect' })
  await first.call({ cmd: 'disconnect' })
  await first.call({ cmd: 'sendSequence', interfaceName: RESILIENCE, path, from: 0, count: N })
  const before = await first.call({ cmd: 'metrics' })
  assert.equal(before.queued, N, 'every message waits in the stored queue')
  assert.equal(before.state, 'idle')
  const exit = await first.process.kill('SIGKILL')
  assert.equal(exit.signal, 'SIGKILL')
  const early = await storedSequence(sandbox, options.deviceId, path)
  assert.deepEqual(early, [], 'nothing arrived while offline')

  const second = await startChildDevice(t, options)
  await second.call({ cmd: 'connect' })
  const values = await waitFor(
    `${N} values in AppEngine`,
    () => storedSequence(sandbox, options.deviceId, path),
    (v) => v.length >= N,
  )
  assert.deepEqual(
    values,
    Array.from({ length: N }, (_, n) => n),
  )
  const metrics = (): Promise<Readonly<Record<string, unknown>>> => second.call({ cmd: 'metrics' })
  const after = await waitFor('the queue to drain', metrics, (m) => m.queued === 0)
  assert.equal(after.inflight, 0)
  await second.call({ cmd: 'close' })
})
