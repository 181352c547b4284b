import { test } from 'node:test'
import assert from 'node:assert/strict'
import { consoleLogger, redact } from '../src/log/index.js'

const capture = (level: 'debug' | 'info' | 'warn' | 'error') => {
  const lines: string[] = []
  const logger = consoleLogger({ level, write: (l) => lines.push(l), now: () => 0 })
  return { lines, logger }
}

test('one line per event with level, message and JSON ctx', () => {
  const { lines, logger } = capture('debug')
  logger.log('info', 'connected', { host: 'broker.local', port: 8883 })
  assert.deepEqual(lines, [
    `${new Date(0).toISOString()} INFO connected {"host":"broker.local","port":8883}\n`,
  ])
})

test('events below the level are dropped', () => {
  const { lines, logger } = capture('warn')
  logger.log('debug', 'a')
  logger.log('info', 'b')
  logger.log('warn', 'c')
  logger.log('error', 'd')
  assert.deepEqual(
    lines.map((l) => l.split(' ')[1]),
    ['WARN', 'ERROR'],
  )
})

test('secret-looking keys are redacted at any depth, other values kept', () => {
  const { lines, logger } = capture('debug')
  const secrets = ['s3cr3t-value', 'PRIVATE KEY DATA', 'eyJhbGciOi.jwt', 'Bearer abc', 'hunter2']
  logger.log('error', 'boom', {
    credentialsSecret: secrets[0],
    nested: { privateKeyPem: secrets[1], list: [{ jwt: secrets[2] }], ok: 1 },
    headers: { Authorization: secrets[3] },
    password: secrets[4],
    deviceId: 'dev1',
  })
  const line = lines.join('')
  for (const s of secrets) assert.ok(!line.includes(s), `leaked ${s}`)
  assert.ok(line.includes('"deviceId":"dev1"'))
  assert.ok(line.includes('"ok":1'))
  assert.equal(line.split('[redacted]').length - 1, 5)
})

test('newlines in a message cannot forge a second line', () => {
  const { lines, logger } = capture('debug')
  logger.log('info', 'a\nERROR forged')
  assert.equal(lines.length, 1)
  assert.equal(lines[0]?.split('\n').length, 2)
})

test('redact handles bigint, errors and cycles-by-depth', () => {
  const cyclic: Record<string, unknown> = {}
  cyclic['self'] = cyclic
  const r = redact({ e: new Error('x'), deep: cyclic }) as Record<string, unknown>
  assert.deepEqual(r['e'], { name: 'Error', message: 'x' })
  assert.ok(JSON.stringify(r).includes('[truncated]'))
  const { lines, logger } = capture('debug')
  logger.log('info', 'n', { big: 2n ** 64n })
  assert.ok(lines[0]?.includes('"big":"18446744073709551616"'))
})
