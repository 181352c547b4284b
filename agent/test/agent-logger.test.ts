/** The journal logger: one line per record, sd-daemon priorities, levels, no secret. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import type { LogLevel } from '@astarte-ts/sdk-core'
import { childLogger, journalLogger, LOG_LEVELS } from '../src/core/logger.js'

function capture(level: LogLevel) {
  const lines: string[] = []
  return { lines, logger: journalLogger({ level, write: (l) => lines.push(l) }) }
}

test('each level gets its sd-daemon priority prefix; context as one JSON object', () => {
  const { lines, logger } = capture('debug')
  logger.log('error', 'e', { a: 1 })
  logger.log('warn', 'w')
  logger.log('info', 'i', {})
  logger.log('debug', 'd', { n: 10n })
  assert.deepEqual(lines, ['<3>e {"a":1}\n', '<4>w\n', '<6>i\n', '<7>d {"n":"10"}\n'])
})

test('records below the configured level are dropped', () => {
  for (const min of LOG_LEVELS) {
    const { lines, logger } = capture(min)
    for (const level of LOG_LEVELS) logger.log(level, level)
    const kept = LOG_LEVELS.slice(LOG_LEVELS.indexOf(min))
    assert.deepEqual(
      lines.map((l) => l.replace(/^<\d>/, '').trim()),
      kept,
    )
  }
})

test('secret-looking keys are redacted at any depth; errors keep only name and message', () => {
  const { lines, logger } = capture('info')
  logger.log('info', 'x', {
    credentialsSecret: 'S1',
    nested: { pairing_token: 'S2', list: [{ privateKey: 'S3', ok: 'visible' }] },
    error: Object.assign(new Error('boom'), { jwt: 'S4' }),
  })
  assert.equal(
    lines[0],
    '<6>x {"credentialsSecret":"[redacted]","nested":{"pairing_token":"[redacted]","list":[{"privateKey":"[redacted]","ok":"visible"}]},"error":{"name":"Error","message":"boom"}}\n',
  )
})

test('property: any message and context make exactly one line, starting with a priority', () => {
  const { lines, logger } = capture('debug')
  fc.assert(
    fc.property(
      fc.constantFrom(...LOG_LEVELS),
      fc.string(),
      fc.dictionary(fc.string(), fc.jsonValue()),
      (level, message, ctx) => {
        lines.length = 0
        logger.log(level, message, ctx)
        return (
          lines.length === 1 &&
          /^<[3467]>/.test(lines[0] as string) &&
          (lines[0] as string).indexOf('\n') === (lines[0] as string).length - 1
        )
      },
    ),
  )
})

test('a child logger adds its fields to every record', () => {
  const { lines, logger } = capture('info')
  childLogger(logger, { feature: 'telemetry' }).log('info', 'started', { n: 1 })
  assert.deepEqual(lines, ['<6>started {"feature":"telemetry","n":1}\n'])
})
