/**
 * The file transfer request parsers (spec §9) as properties: every well-formed request comes out
 * as the typed request it describes, and any object at all yields a request or a problem, never
 * a throw. The downloader's Content-Range parser too.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import type { AstarteObjectValue } from '@astarte-ts/sdk-core'
import {
  parseDeleteFile,
  parseDeviceToServer,
  parseServerToDevice,
} from '../../src/file-transfer/requests.js'
import { parseContentRange } from '../../src/transfer/http-headers.js'

const fileId = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/[/#+\u0000]/.test(s))
const url = fc.webUrl({ validSchemes: ['http', 'https'] })
const headerName = fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/)
const headerValue = fc.stringMatching(/^[ -~]{0,30}$/)
// `__proto__` is a valid header name and must stay one
const headers = fc.dictionary(fc.oneof(headerName, fc.constant('__proto__')), headerValue, {
  maxKeys: 4,
})
const hex = fc.stringMatching(/^[0-9a-f]{64}$/)
const absPath = fc.stringMatching(/^\/[a-z0-9/._-]{1,30}$/)
const anyValue = fc.oneof(
  fc.string(),
  fc.boolean(),
  fc.double(),
  fc.integer(),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.array(fc.string(), { maxLength: 3 }),
)

describe('file transfer requests', () => {
  test('property: a well-formed ServerToDevice parses into what it says', () => {
    fc.assert(
      fc.property(
        fileId,
        url,
        headers,
        fc.option(hex, { nil: undefined }),
        fc.bigInt({ min: 0n, max: 2n ** 40n }),
        fc.integer({ min: 0, max: 0o7777 }),
        fc.oneof(fc.constant(undefined), absPath),
        fc.boolean(),
        (id, u, h, digest, size, mode, path, progress) => {
          const parsed = parseServerToDevice({
            id,
            url: u,
            httpHeaderKeys: Object.keys(h),
            httpHeaderValues: Object.values(h),
            encoding: '',
            fileSizeBytes: size,
            progress,
            digest: digest === undefined ? '' : `sha256:${digest.toUpperCase()}`,
            ttlSeconds: 0n,
            fileMode: BigInt(mode),
            userId: -1n,
            groupId: 7n,
            destinationType: path === undefined ? 'storage' : 'filesystem',
            destination: path ?? '',
          })
          assert.ok(
            parsed.ok,
            JSON.stringify(parsed, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}` : v)),
          )
          assert.deepEqual(parsed.value, {
            kind: 'server_to_device',
            id,
            url: u,
            headers: { ...h },
            progress,
            ttlSeconds: 0,
            destination: path === undefined ? { type: 'storage' } : { type: 'filesystem', path },
            ...(digest === undefined ? {} : { sha256: digest }),
            ...(size === 0n ? {} : { fileSizeBytes: Number(size) }),
            ...(mode === 0 ? {} : { fileMode: mode & 0o7555 }),
            groupId: 7,
          })
        },
      ),
    )
  })

  test('property: a well-formed DeviceToServer and DeleteFile parse into what they say', () => {
    fc.assert(
      fc.property(
        fileId,
        url,
        headers,
        fc.oneof(fileId, absPath),
        fc.boolean(),
        (id, u, h, source, force) => {
          const fromStorage = !source.startsWith('/')
          const parsed = parseDeviceToServer({
            id,
            url: u,
            httpHeaderKeys: Object.keys(h),
            httpHeaderValues: Object.values(h),
            progress: force,
            sourceType: fromStorage ? 'storage' : 'filesystem',
            source,
          })
          assert.ok(parsed.ok)
          assert.deepEqual(parsed.value, {
            kind: 'device_to_server',
            id,
            url: u,
            headers: { ...h },
            progress: force,
            source: fromStorage
              ? { type: 'storage', fileId: source }
              : { type: 'filesystem', path: source },
          })
          const del = parseDeleteFile({ id, fileId: fromStorage ? source : id, force })
          assert.ok(del.ok)
          assert.deepEqual(del.value, { id, fileId: fromStorage ? source : id, force })
        },
      ),
    )
  })

  test('property: any object gives a request or a problem naming what is wrong, never a throw', () => {
    const keys = [
      'id',
      'url',
      'httpHeaderKeys',
      'httpHeaderValues',
      'encoding',
      'fileSizeBytes',
      'progress',
      'digest',
      'ttlSeconds',
      'fileMode',
      'userId',
      'groupId',
      'destinationType',
      'destination',
      'sourceType',
      'source',
      'fileId',
      'force',
    ]
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), anyValue), (v) => {
        for (const parse of [parseServerToDevice, parseDeviceToServer, parseDeleteFile]) {
          const parsed = parse(v as AstarteObjectValue)
          if (!parsed.ok) {
            assert.ok(parsed.problem.message.length > 0)
            assert.equal(
              parsed.problem.id,
              typeof v.id === 'string' && v.id !== '' ? v.id : undefined,
            )
          }
        }
      }),
      { numRuns: 500 },
    )
  })

  test('an encoding or the streaming target is unsupported, a bad digest or a relative path invalid', () => {
    const base = { id: 'a', url: 'http://h/x', destinationType: 'storage', destination: '' }
    const problem = (v: AstarteObjectValue) => {
      const parsed = parseServerToDevice(v)
      assert.ok(!parsed.ok)
      return parsed.problem
    }
    assert.equal(problem({ ...base, encoding: 'tar.gz' }).unsupported, true)
    assert.equal(problem({ ...base, destinationType: 'streaming' }).unsupported, true)
    assert.match(problem({ ...base, digest: 'sha256:xyz' }).message, /digest/)
    assert.match(
      problem({ ...base, destinationType: 'filesystem', destination: 'rel/p' }).message,
      /absolute/,
    )
    assert.match(problem({ ...base, id: 'a/b' }).message, /file id/)
    assert.match(problem({ ...base, url: 'file:///etc/passwd' }).message, /url/)
    assert.match(
      problem({ ...base, httpHeaderKeys: ['a'], httpHeaderValues: [] }).message,
      /same length/,
    )
    assert.match(
      problem({ ...base, httpHeaderKeys: ['x'], httpHeaderValues: ['a\r\nb: c'] }).message,
      /header/,
    )
  })

  test('property: Content-Range round-trips and nothing else parses', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.nat(), fc.boolean(), (a, b, c, unknownTotal) => {
        const [start, end, total] = [a, a + b, a + b + 1 + c]
        const header = `bytes ${start}-${end}/${unknownTotal ? '*' : total}`
        assert.deepEqual(parseContentRange(header), {
          start,
          end,
          total: unknownTotal ? undefined : total,
        })
        if (b > 0) assert.equal(parseContentRange(`bytes ${end}-${start}/${total}`), undefined)
        assert.equal(parseContentRange(`bytes ${start}-${end}/${end}`), undefined)
      }),
    )
    fc.assert(
      fc.property(fc.string(), (s) => {
        const r = parseContentRange(s)
        if (r !== undefined) assert.match(s.trim(), /^bytes \d+-\d+\/(\d+|\*)$/)
      }),
    )
  })
})
