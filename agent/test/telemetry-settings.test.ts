/**
 * The telemetry schedule's rules (spec §5) and its validators: config.Telemetry messages, the
 * persisted overrides, and how a configuration entry and an override combine.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { ServerMessage } from '@astarte-ts/sdk-core'
import {
  applyChange,
  DEFAULT_PERIOD_SECONDS,
  effectiveSchedule,
  MAX_PERIOD_SECONDS,
  overridesFromJson,
  overridesToJson,
  readOverrideMessage,
  runs,
  TELEMETRY_CONFIG,
  type Override,
} from '../src/telemetry/settings.js'

const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9.]{0,40}$/)
const period = fc.integer({ min: 0, max: MAX_PERIOD_SECONDS })
const override: fc.Arbitrary<Override> = fc.record(
  { enabled: fc.boolean(), period },
  { requiredKeys: [] },
)
const message = (path: string, value: unknown): ServerMessage =>
  ({ type: 'individual', interfaceName: TELEMETRY_CONFIG, path, value }) as ServerMessage

describe('telemetry settings', () => {
  test('defaults: an entry without enabled is off, without period 60 s; an override wins field by field', () => {
    assert.deepEqual(effectiveSchedule(undefined, undefined), {
      enabled: false,
      periodSeconds: DEFAULT_PERIOD_SECONDS,
    })
    fc.assert(
      fc.property(
        fc.option(override, { nil: undefined }),
        fc.option(override, { nil: undefined }),
        (c, o) => {
          const s = effectiveSchedule(c, o)
          assert.equal(s.enabled, o?.enabled ?? c?.enabled ?? false)
          assert.equal(s.periodSeconds, o?.period ?? c?.period ?? 60)
          assert.equal(runs(s), s.enabled && s.periodSeconds > 0)
        },
      ),
    )
  })

  test('config.Telemetry values in range are read; an unset of each field reverts it', () => {
    fc.assert(
      fc.property(name, fc.boolean(), fc.oneof(period, period.map(BigInt)), (iface, enabled, p) => {
        const en = readOverrideMessage(message(`/request/${iface}/enable`, enabled))
        assert.deepEqual(en, {
          ok: true,
          change: { interfaceName: iface, field: 'enabled', value: enabled },
        })
        const pe = readOverrideMessage(message(`/request/${iface}/periodSeconds`, p))
        assert.deepEqual(pe, {
          ok: true,
          change: { interfaceName: iface, field: 'period', value: Number(p) },
        })
        const set = applyChange(
          applyChange(undefined, en.ok ? en.change : assert.fail()),
          pe.ok ? pe.change : assert.fail(),
        )
        assert.deepEqual(set, { enabled, period: Number(p) })
        const unset = readOverrideMessage({
          type: 'unset',
          interfaceName: TELEMETRY_CONFIG,
          path: `/request/${iface}/periodSeconds`,
        })
        assert.ok(unset.ok)
        assert.deepEqual(applyChange(set, unset.change), { enabled })
      }),
    )
  })

  test('wrong types, out-of-range periods and other paths are refused', () => {
    const badPeriod = fc.oneof(
      fc.integer({ max: -1 }),
      fc.integer({ min: MAX_PERIOD_SECONDS + 1 }),
      fc.bigInt({ min: BigInt(MAX_PERIOD_SECONDS) + 1n }),
      fc.double({ noInteger: true }),
      fc.string(),
      fc.boolean(),
    )
    const notBoolean = fc.oneof(fc.string(), fc.integer(), fc.constant(null))
    fc.assert(
      fc.property(name, badPeriod, notBoolean, (iface, p, b) => {
        assert.equal(readOverrideMessage(message(`/request/${iface}/periodSeconds`, p)).ok, false)
        assert.equal(readOverrideMessage(message(`/request/${iface}/enable`, b)).ok, false)
        assert.equal(readOverrideMessage(message(`/request/${iface}/other`, true)).ok, false)
        assert.equal(readOverrideMessage(message(`/${iface}/enable`, true)).ok, false)
      }),
    )
    const object = {
      type: 'object',
      interfaceName: TELEMETRY_CONFIG,
      path: '/request/x/enable',
      value: {},
    }
    assert.equal(readOverrideMessage(object as ServerMessage).ok, false)
  })

  test('the persisted overrides round-trip; what does not fit is dropped and reported', () => {
    fc.assert(
      fc.property(fc.dictionary(name, override), (dict) => {
        const map = new Map(
          Object.entries(dict)
            .filter(([, o]) => Object.keys(o).length > 0)
            .map(([k, o]) => [k, { ...o }]),
        )
        const reports: string[] = []
        const back = overridesFromJson(JSON.parse(overridesToJson(map)), (r) => reports.push(r))
        assert.deepEqual(back, map)
        assert.deepEqual(reports, [])
      }),
    )
    const reports: string[] = []
    const back = overridesFromJson(
      [
        { interface_name: 'a', enabled: 'yes', period: 5 },
        { period: 1 },
        { interface_name: 'b', period: -1 },
      ],
      (r) => reports.push(r),
    )
    assert.deepEqual(back, new Map([['a', { period: 5 }]]))
    assert.equal(reports.length, 3)
    assert.deepEqual(
      overridesFromJson({}, (r) => reports.push(r)),
      new Map(),
    )
  })
})
