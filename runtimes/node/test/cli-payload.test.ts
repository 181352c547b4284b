/** `astarte-device payload` and `astarte-device id`, spawned from sources on real files. */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { deserialize } from 'bson'
import { isValidDeviceId } from '@astarte-ts/sdk-core'
import { goldenVectors } from '../../../sdk-core/test/bson/vectors.js'
import { DEFAULT_NAMESPACE } from '../src/cli/commands/id.js'
import { runCli } from './e2e/cli.js'
import { tempDir } from './helpers/tmp.js'

const hexOf = (bytes: readonly number[]): string => Buffer.from(bytes).toString('hex')
const vector = (name: string): string => {
  const found = goldenVectors.find(([n]) => n === name)
  assert.ok(found, name)
  return hexOf(found[2])
}

/** Interface files in a temp dir: a timestamped double, a longinteger, an object, a property. */
function interfaces(t: Parameters<typeof tempDir>[0]) {
  const dir = tempDir(t, 'astarte-cli-payload-')
  const write = (name: string, json: object): string => {
    const file = join(dir, `${name}.json`)
    writeFileSync(
      file,
      JSON.stringify({
        interface_name: name,
        version_major: 1,
        version_minor: 0,
        ownership: 'device',
        ...json,
      }),
    )
    return file
  }
  return {
    double: write('org.example.Temp', {
      type: 'datastream',
      mappings: [{ endpoint: '/%{room}/temp', type: 'double', explicit_timestamp: true }],
    }),
    long: write('org.example.Counter', {
      type: 'datastream',
      mappings: [{ endpoint: '/count', type: 'longinteger' }],
    }),
    object: write('org.example.Weather', {
      type: 'datastream',
      aggregation: 'object',
      mappings: [
        { endpoint: '/%{s}/hum', type: 'double' },
        { endpoint: '/%{s}/temp', type: 'double' },
      ],
    }),
    prop: write('org.example.Prop', {
      type: 'properties',
      mappings: [{ endpoint: '/name', type: 'string', allow_unset: true }],
    }),
  }
}

test('decode without an interface prints every spec §2.4 vector in the documented JSON convention', async () => {
  for (const [name, , bytes] of goldenVectors) {
    // Spaces are allowed in the hex.
    const r = await runCli(['payload', 'decode', hexOf(bytes).replace(/(..)/g, '$1 ')])
    assert.equal(r.code, 0, r.stderr)
    const oracle = deserialize(Buffer.from(bytes), { useBigInt64: true, promoteValues: true })
    assert.deepEqual(JSON.parse(r.stdout), JSON.parse(JSON.stringify(oracle, convention)), name)
  }
})

/** The CLI's convention, applied to js-bson's decoded values. */
function convention(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key]
  if (typeof raw === 'bigint') return { $int64: raw.toString() }
  if (raw instanceof Date) return { $date: raw.toISOString() }
  if (raw !== null && typeof raw === 'object' && '_bsontype' in raw && raw._bsontype === 'Binary') {
    const b = raw as unknown as { buffer: Uint8Array; sub_type: number }
    return {
      $binary: Buffer.from(b.buffer).toString('base64'),
      subType: b.sub_type.toString(16).padStart(2, '0'),
    }
  }
  return value
}

test('encode reproduces the spec vectors from AppEngine JSON forms', async (t) => {
  const f = interfaces(t)
  const temp = await runCli([
    'payload',
    'encode',
    '--interface',
    f.double,
    '--path',
    '/kitchen/temp',
    '--value',
    '16.73',
    '--timestamp',
    '2018-09-20T13:17:02.890Z',
  ])
  assert.equal(temp.code, 0, temp.stderr)
  assert.equal(temp.stdout.trim(), vector('{"v": 16.73, "t": 1537449422890 ms}'))
  const long = await runCli([
    'payload',
    'encode',
    '--interface',
    f.long,
    '--path',
    '/count',
    '--value',
    '"45543543534"',
  ])
  assert.equal(long.stdout.trim(), vector('{"v": int64 45543543534}'))
  const obj = await runCli([
    'payload',
    'encode',
    '--interface',
    f.object,
    '--path',
    '/s1',
    '--value',
    '{"hum":67.112,"temp":25.3123}',
  ])
  assert.equal(obj.stdout.trim(), vector('{"v": {"hum": 67.112, "temp": 25.3123}}'))
})

test('decode with an interface prints {value, timestamp} in AppEngine JSON forms', async (t) => {
  const f = interfaces(t)
  const temp = await runCli([
    'payload',
    'decode',
    vector('{"v": 16.73, "t": 1537449422890 ms}'),
    '--interface',
    f.double,
    '--path',
    '/kitchen/temp',
  ])
  assert.equal(temp.code, 0, temp.stderr)
  assert.deepEqual(JSON.parse(temp.stdout), {
    value: 16.73,
    timestamp: new Date(1537449422890).toISOString(),
  })
  const long = await runCli([
    'payload',
    'decode',
    vector('{"v": int64 45543543534}'),
    '--interface',
    f.long,
    '--path',
    '/count',
  ])
  assert.deepEqual(JSON.parse(long.stdout), { value: '45543543534' })
  const unset = await runCli(['payload', 'decode', '', '--interface', f.prop, '--path', '/name'])
  assert.deepEqual(JSON.parse(unset.stdout), { unset: true })
})

test('exit 1 with the issue when the value or payload does not fit the mapping', async (t) => {
  const f = interfaces(t)
  const missingT = await runCli([
    'payload',
    'encode',
    '--interface',
    f.double,
    '--path',
    '/kitchen/temp',
    '--value',
    '1',
  ])
  assert.equal(missingT.code, 1)
  assert.match(missingT.stderr, /missing_timestamp/)
  const wrongType = await runCli([
    'payload',
    'decode',
    vector('{"v": "hi"}'),
    '--interface',
    f.long,
    '--path',
    '/count',
  ])
  assert.equal(wrongType.code, 1)
  assert.match(wrongType.stderr, /unexpected_value_type/)
  const badKey = await runCli([
    'payload',
    'encode',
    '--interface',
    f.object,
    '--path',
    '/s1',
    '--value',
    '{"wind":1}',
  ])
  assert.equal(badKey.code, 1)
  assert.match(badKey.stderr, /unexpected_object_key/)
  const badBson = await runCli(['payload', 'decode', '0500000001'])
  assert.equal(badBson.code, 1)
  assert.match(badBson.stderr, /couldn't decode bson/)
})

test('usage errors exit 2', async (t) => {
  const f = interfaces(t)
  for (const args of [
    ['payload', 'decode', 'xyz'],
    ['payload', 'encode', '--path', '/count', '--value', '1'],
    ['payload', 'encode', '--interface', f.long, '--path', '/count', '--value', '{'],
    ['payload', 'frobnicate'],
  ]) {
    const r = await runCli(args)
    assert.equal(r.code, 2, args.join(' '))
  }
})

/** RFC 4122 v5 with node:crypto, as base64url (spec §4.4). */
function referenceV5(namespace: string, data: string): string {
  const d = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(data)
    .digest()
    .subarray(0, 16)
  d[6] = (d[6]! & 0x0f) | 0x50
  d[8] = (d[8]! & 0x3f) | 0x80
  return d.toString('base64url')
}

test('id derives UUID v5 ids (spec vector, default namespace) and random ids', async () => {
  const spec = await runCli([
    'id',
    'myidentifierdata',
    '--namespace',
    'f79ad91f-c638-4889-ae74-9d001a3b4cf8',
  ])
  assert.equal(spec.stdout.trim(), 'AJInS0w3VpWpuOqkXhgZdA')
  const byDefault = await runCli(['id', 'board-0042'])
  assert.equal(byDefault.stdout.trim(), referenceV5(DEFAULT_NAMESPACE, 'board-0042'))
  const random = await runCli(['id', '--random'])
  assert.ok(isValidDeviceId(random.stdout.trim()), random.stdout)
  const help = await runCli(['id', '--help'])
  assert.ok(help.stdout.includes(DEFAULT_NAMESPACE))
  assert.equal((await runCli(['id', 'x', '--namespace', 'nope'])).code, 2)
  assert.equal((await runCli(['id'])).code, 2)
})
