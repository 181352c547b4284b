import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SdkError, assertNever } from '@astarte-ts/sdk-core'

test('SdkError carries a stable code, context and cause', () => {
  const cause = new Error('boom')
  const e = new SdkError('remote.bad_payload', "couldn't decode payload", {
    ctx: { topic: 'r/d/x' },
    cause,
  })
  assert.equal(e.code, 'remote.bad_payload')
  assert.deepEqual(e.ctx, { topic: 'r/d/x' })
  assert.equal((e as { cause?: unknown }).cause, cause)
  assert.ok(e instanceof Error)
})

test('assertNever throws a local error', () => {
  assert.throws(
    () => assertNever('x' as never),
    (e: unknown) => e instanceof SdkError && e.code === 'local.unreachable',
  )
})
