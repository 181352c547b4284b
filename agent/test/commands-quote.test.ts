/** Server values as the commands and LED logs quote them: every Astarte type, bounded. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { quote } from '../src/commands/quote.js'

describe('quote', () => {
  it('shows each Astarte value type readably', () => {
    assert.equal(quote('Reboot'), 'Reboot')
    assert.equal(quote(7), '7')
    assert.equal(quote(true), 'true')
    assert.equal(quote(5n), '5n')
    assert.equal(quote(new Uint8Array(3)), '<3 bytes>')
    assert.equal(quote(new Date(Date.UTC(2026, 0, 2))), '2026-01-02T00:00:00.000Z')
    assert.equal(quote([1n, 2n]), '["1n","2n"]')
    assert.equal(quote([new Uint8Array(2)]), '["<2 bytes>"]')
    assert.equal(quote({ a: 1.5 }), '{"a":1.5}')
  })

  it('never throws and never exceeds 64 characters plus the ellipsis', () => {
    const value = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.double(),
      fc.bigInt(),
      fc.boolean(),
      fc.uint8Array({ maxLength: 200 }),
      fc.array(fc.bigInt(), { maxLength: 50 }),
      fc.array(fc.string(), { maxLength: 50 }),
    )
    fc.assert(
      fc.property(value, (v) => {
        const text = quote(v)
        assert.ok(text.length <= 65)
        if (text.length === 65) assert.ok(text.endsWith('…'))
      }),
    )
  })
})
