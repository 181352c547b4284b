/** Property: whatever the interleaving, a message stream delivers a bounded, ordered suffix. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { createMessageStream } from '../../src/driver/message-stream.js'

const numRuns = Number(process.env.FC_NUM_RUNS ?? 10_000)

type Step = { kind: 'push' } | { kind: 'read'; count: number }

const arbStep: fc.Arbitrary<Step> = fc.oneof(
  fc.constant<Step>({ kind: 'push' }),
  fc.integer({ min: 1, max: 4 }).map((count): Step => ({ kind: 'read', count })),
)

test('items arrive in push order; only the oldest unread ones are dropped, and counted', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(arbStep, { maxLength: 40 }),
      fc.integer({ min: 1, max: 6 }),
      async (steps, maxBuffered) => {
        let dropped = 0
        let ended = 0
        const { iterable, sink } = createMessageStream<number>(
          { maxBuffered },
          () => ended++,
          () => dropped++,
        )
        const received: number[] = []
        let pushed = 0
        for (const step of steps) {
          if (step.kind === 'push') {
            sink.push(pushed++)
            continue
          }
          for (let i = 0; i < step.count; i++) {
            // read only what is there: a read with nothing buffered would wait forever
            if (received.length + dropped >= pushed) break
            const r = await iterable.next()
            if (r.done === true) break
            received.push(r.value)
          }
        }
        sink.close()
        for await (const n of iterable) received.push(n)
        // ordered, no duplicates, nothing invented
        for (let i = 1; i < received.length; i++)
          assert.ok((received[i] as number) > (received[i - 1] as number))
        assert.ok(received.every((n) => n >= 0 && n < pushed))
        // every item was either delivered or counted as dropped
        assert.equal(received.length + dropped, pushed)
        // drops take the oldest: the newest item always arrives
        if (pushed > 0) assert.equal(received.at(-1), pushed - 1)
        assert.equal(ended, 1)
      },
    ),
    { seed: 0x5eed, numRuns },
  )
})
