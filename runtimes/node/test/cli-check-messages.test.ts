/** Property tests of `send`'s offline checks: NDJSON lines and values against real interfaces. */
import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import fc from 'fast-check'
import type { Interface } from '@astarte-ts/sdk-core'
import { checkMessage, messageFromLine, parseTimestamp } from '../src/cli/check-messages.js'
import { loadInterfaces } from '../src/interfaces/load-interfaces.js'
import { root } from './e2e/cli.js'

const numRuns = Number(process.env.FC_NUM_RUNS ?? 10_000) / 10
const TELEMETRY = 'org.astarte-ts.examples.Telemetry'
let interfaces: ReadonlyMap<string, Interface>

before(async () => {
  const loaded = await loadInterfaces([join(root, 'interfaces', 'examples')])
  interfaces = new Map(loaded.map((i) => [i.name, i]))
})

/** A date Astarte can store, whole milliseconds, as ISO 8601. */
const isoDate = fc
  .integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(9999, 11, 31) })
  .map((ms) => new Date(ms))
const segment = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/)

test('any line: a message or the reason it is not one, never a throw', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json()), (line) => {
      const m = messageFromLine(line)
      assert.ok(typeof m === 'string' || (typeof m === 'object' && m !== null))
    }),
    { seed: 0x11e5, numRuns },
  )
})

test('a well-formed line gives back its interface, path, value and timestamp', () => {
  fc.assert(
    fc.property(
      fc.string(),
      fc.string(),
      fc.jsonValue(),
      fc.option(isoDate, { nil: undefined }),
      (iface, path, value, timestamp) => {
        const line = JSON.stringify({
          interface: iface,
          path,
          value,
          ...(timestamp === undefined ? {} : { timestamp: timestamp.toISOString() }),
        })
        const m = messageFromLine(line)
        assert.ok(typeof m !== 'string', m as string)
        assert.equal(m.interfaceName, iface)
        assert.equal(m.path, path)
        assert.equal(m.unset, false)
        assert.deepEqual(m.json, JSON.parse(JSON.stringify(value)))
        assert.equal(m.timestamp?.getTime(), timestamp?.getTime())
      },
    ),
    { seed: 0x7e57, numRuns },
  )
})

test('a finite double with a timestamp passes; without one, the fix names how to give it', () => {
  fc.assert(
    fc.property(
      segment,
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      isoDate,
      (sensor, value, timestamp) => {
        const base = { interfaceName: TELEMETRY, path: `/${sensor}/temperature`, unset: false }
        const ok = checkMessage(interfaces, { ...base, json: value, timestamp }, '--timestamp X')
        assert.ok(ok.ok, JSON.stringify(ok))
        assert.equal(ok.value.value, value)
        const missing = checkMessage(interfaces, { ...base, json: value }, '"timestamp"')
        assert.ok(!missing.ok)
        assert.match(missing.problems.join(), /explicit timestamp: give "timestamp"/)
      },
    ),
    { seed: 0xd0b1e, numRuns },
  )
})

test('a value of another JSON type is refused with the path named, never thrown', () => {
  fc.assert(
    fc.property(
      segment,
      fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.integer())),
      (sensor, value) => {
        const path = `/${sensor}/temperature`
        const r = checkMessage(
          interfaces,
          { interfaceName: TELEMETRY, path, json: value, unset: false, timestamp: new Date(0) },
          '--timestamp X',
        )
        assert.ok(!r.ok)
        assert.ok(r.problems.every((p) => p.startsWith(`${TELEMETRY}${path}: `)))
      },
    ),
    { seed: 0xbad1, numRuns },
  )
})

test('timestamps: ISO 8601 date-times only', () => {
  assert.equal(
    (parseTimestamp('2026-01-31T12:00:00Z') as Date).toISOString(),
    '2026-01-31T12:00:00.000Z',
  )
  for (const text of ['yesterday', '2026', '31/01/2026', '']) {
    assert.match(String(parseTimestamp(text)), /is not an ISO 8601 date-time/)
  }
})
