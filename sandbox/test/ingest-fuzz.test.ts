import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { serialize } from 'bson'
import fc from 'fast-check'
import { realmKeyFrom } from '../src/auth/jwt.js'
import type { SandboxContext } from '../src/context.js'
import { ingestPublish } from '../src/ingest/ingest.js'
import { silentLogger } from '../src/log.js'
import { loadOrCreateCa } from '../src/pki/ca.js'
import { installInterface } from '../src/realm-management/install.js'
import { openDb, type Db } from '../src/store/db.js'
import { DeviceStore } from '../src/store/devices.js'
import { InterfaceStore } from '../src/store/interfaces.js'
import { ValueStore } from '../src/store/values.js'
import { FIXTURE_INTROSPECTION, FIXTURES, newDeviceId } from './helpers.js'

const numRuns = Number(process.env['FC_NUM_RUNS'] ?? 10000)
const OUTCOMES = new Set(['accepted', 'dropped', 'disconnect'])

describe('ingestion never throws (spec §3.10: bad input is an outcome)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-fuzz-'))
  let db: Db
  let ctx: SandboxContext
  const deviceId = newDeviceId()
  const names = readdirSync(FIXTURES).map((f) => f.replace(/\.json$/, ''))

  before(async () => {
    db = openDb(':memory:')
    ctx = {
      realm: 'test',
      ca: await loadOrCreateCa(dir, 'test'),
      devices: new DeviceStore(db),
      interfaces: new InterfaceStore(db),
      values: new ValueStore(db),
      realmKey: realmKeyFrom(undefined),
      logger: silentLogger,
      certLifetimeSec: 60,
      brokerUrl: () => 'mqtts://127.0.0.1:1/',
      broker: () => null,
    }
    for (const file of readdirSync(FIXTURES)) {
      const json = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as unknown
      assert.equal(installInterface(ctx, json).ok, true)
    }
    ctx.devices.register(deviceId, 'x', {})
  })
  after(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('returns an outcome for any topic and payload', () => {
    const prefix = `test/${deviceId}`
    const known = ['sensors', 'rooms', 's', 'value', 'name', 'fixed', 'mode', 'o1', '']
    const level = fc.oneof(fc.constantFrom(...known), fc.string({ maxLength: 5 }))
    const controls = ['control/emptyCache', 'control/producer/properties', 'capabilities']
    const topic = fc.oneof(
      fc.constantFrom(prefix, ...controls.map((c) => `${prefix}/${c}`)),
      fc.string({ maxLength: 12 }).map((s) => `${prefix}/control/${s}`),
      fc
        .tuple(fc.constantFrom(...names, 'org.Unknown'), fc.array(level, { maxLength: 4 }))
        .map(([n, l]) => `${prefix}/${n}/${l.join('/')}`),
    )
    const bsonValue = fc.oneof(
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.string(),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.date({ noInvalidDate: true }),
    )
    const objectValue = fc.dictionary(fc.constantFrom('temp', 'hum', 'x'), bsonValue)
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.record({ v: fc.oneof(bsonValue, objectValue) }).map((d) => new Uint8Array(serialize(d))),
      fc
        .constantFrom(FIXTURE_INTROSPECTION, '', 'a:1', '1')
        .map((t) => new Uint8Array(Buffer.from(t))),
    )
    fc.assert(
      fc.property(topic, payload, (t, p) => {
        const outcome = ingestPublish(ctx, deviceId, t, p, 1_700_000_000_000)
        assert.ok(OUTCOMES.has(outcome.type))
      }),
      { seed: 0x5a4d, numRuns },
    )
  })
})
