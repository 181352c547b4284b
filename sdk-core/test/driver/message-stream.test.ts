import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createMessageStream } from '../../src/driver/message-stream.js'

test('message stream yields pushed items in order, then the buffered rest after close', async () => {
  let ended = 0
  const { iterable, sink } = createMessageStream<number>(
    {},
    () => ended++,
    () => {},
  )
  sink.push(1)
  setImmediate(() => {
    sink.push(2)
    sink.push(3)
    sink.close()
  })
  const seen: number[] = []
  for await (const n of iterable) seen.push(n)
  assert.deepEqual(seen, [1, 2, 3])
  assert.equal(ended, 1)
})

test('message stream ends when its signal aborts, even while waiting', async () => {
  const ac = new AbortController()
  let ended = 0
  const { iterable, sink } = createMessageStream<number>(
    { signal: ac.signal },
    () => ended++,
    () => {},
  )
  setTimeout(() => {
    sink.push(1)
    ac.abort()
    sink.push(2)
  }, 10)
  const seen: number[] = []
  for await (const n of iterable) seen.push(n)
  assert.deepEqual(seen, [1])
  assert.equal(ended, 1)
})

test('message stream with an already-aborted signal is empty', async () => {
  const ac = new AbortController()
  ac.abort()
  const { iterable, sink } = createMessageStream<number>(
    { signal: ac.signal },
    () => {},
    () => {},
  )
  sink.push(1)
  const first = await iterable.next()
  assert.equal(first.done, true)
})

test('message stream drops the oldest items past maxBuffered and counts them', async () => {
  let dropped = 0
  const { iterable, sink } = createMessageStream<number>(
    { maxBuffered: 3 },
    () => {},
    () => dropped++,
  )
  for (let i = 0; i < 5; i++) sink.push(i)
  sink.close()
  const seen: number[] = []
  for await (const n of iterable) seen.push(n)
  assert.deepEqual(seen, [2, 3, 4])
  assert.equal(dropped, 2)
})

test('breaking out of for-await ends the stream once', async () => {
  let ended = 0
  const { iterable, sink } = createMessageStream<number>(
    {},
    () => ended++,
    () => {},
  )
  sink.push(7)
  sink.push(8)
  for await (const n of iterable) {
    assert.equal(n, 7)
    break
  }
  assert.equal(ended, 1)
  sink.push(9)
  assert.equal((await iterable.next()).done, true)
})
