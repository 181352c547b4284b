/**
 * Flows against the sandbox over mutual TLS: every mode and operator with the values read back
 * through AppEngine, server data sent through AppEngine, the SDK's acceptance held by a gate to
 * show the bounds and counters.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { dataflowFeature, type FlowMessage } from '../../src/dataflow/index.js'
import {
  average,
  calibrate,
  concurrent,
  flow,
  sequential,
  use,
} from '../../src/dataflow/builder.js'
import { eventually, ManualTime, startEnv, type Env } from '../helpers/feature-sandbox.js'
import { EX, example, Gate, installExamples, runFeature, ScriptedEndpoint } from './helpers.js'

let env: Env
before(async () => {
  env = await startEnv()
  await installExamples(env)
})
after(async () => {
  await env.stop()
})

const reading = (value: number, sensor = 's1'): FlowMessage => ({
  value,
  timestamp: Date.now(),
  tags: { sensor },
})
const history = async (deviceId: string, path: string): Promise<number[]> =>
  ((await env.read(deviceId, `${EX}Readings`, path)) as Array<{ value: number }>).map(
    (s) => s.value,
  )

test('push: calibrate then average, each output read back through AppEngine', async () => {
  const Readings = await example('Readings')
  const source = new ScriptedEndpoint('s')
  const feature = dataflowFeature({
    specs: [
      flow('env')
        .push(source)
        .through(sequential(calibrate({ gain: 2, offset: 1 }), average({ window: 2 })))
        .to(Readings, '/%{sensor}/temperature')
        .build(),
    ],
  })
  const run = await runFeature(env, feature)
  try {
    for (const v of [1, 2, 3, 4]) source.emit?.(reading(v))
    // calibrated 3, 5, 7, 9; moving mean over 2: 3, 4, 6, 8
    const got = await eventually(
      '4 readings',
      () => history(run.deviceId, '/s1/temperature'),
      (v) => v.length === 4,
    )
    assert.deepEqual(got, [3, 4, 6, 8])
    // the sandbox stores a value before its PUBACK leaves: the last send may not have settled yet
    const m = await eventually(
      'every send settled',
      () => feature.metrics()[0],
      (x) => x?.inFlight.count === 0,
    )
    assert.equal(m?.accepted, 4)
    assert.equal(m?.received, 4)
  } finally {
    await run.stop()
  }
})

test('push under SDK pushback: the buffer keeps its bound, drops the oldest and counts them', async () => {
  const Readings = await example('Readings')
  const source = new ScriptedEndpoint('s')
  const gate = new Gate()
  const feature = dataflowFeature({
    specs: [
      flow('bounded')
        .push(source)
        .to(Readings, '/%{sensor}/value')
        .limits({ buffer: 5, inFlight: 2 })
        .build(),
    ],
  })
  const run = await runFeature(env, feature, { wrap: (d) => gate.wrap(d) })
  try {
    for (let v = 0; v < 20; v++) source.emit?.(reading(v))
    let m = feature.metrics()[0]
    assert.equal(m?.inFlight.count, 2)
    assert.equal(m?.queue.length, 5)
    assert.equal(m?.queue.max, 5)
    assert.equal(m?.dropped.overflow, 13)
    assert.ok(run.logger.warnings().some((w) => w.ctx['reason'] === 'overflow'))
    gate.release()
    // the first two were in flight; of the rest, the newest five survived
    const got = await eventually(
      '7 readings',
      () => history(run.deviceId, '/s1/value'),
      (v) => v.length === 7,
    )
    assert.deepEqual(got, [0, 1, 15, 16, 17, 18, 19])
    // stored before acknowledged: wait for the last PUBACK to reach the flow
    m = await eventually(
      'every send settled',
      () => feature.metrics()[0],
      (x) => x?.inFlight.count === 0,
    )
    assert.equal(m?.accepted, 7)
    assert.equal(m?.queue.length, 0)
  } finally {
    await run.stop()
  }
})

test('pull: a ReadRequest sent through AppEngine reads the source as many times as asked', async () => {
  const [Readings, ReadRequest] = await Promise.all([example('Readings'), example('ReadRequest')])
  const source = new ScriptedEndpoint('s')
  let next = 100
  source.onRead = async (n) => Array.from({ length: n }, () => reading(next++, 'attic'))
  const feature = dataflowFeature({
    specs: [
      flow('on-request')
        .pull(source, ReadRequest, '/%{sensor}/read')
        .through(calibrate({ offset: 0.5 }))
        .to(Readings, '/%{sensor}/value')
        .build(),
    ],
  })
  const run = await runFeature(env, feature)
  try {
    assert.deepEqual(source.reads, [], 'nothing is read before a request')
    const res = await env.api(
      'POST',
      `devices/${run.deviceId}/interfaces/${EX}ReadRequest/attic/read`,
      3,
    )
    assert.equal(res.status, 200)
    const got = await eventually(
      '3 readings',
      () => history(run.deviceId, '/attic/value'),
      (v) => v.length === 3,
    )
    assert.deepEqual(got, [100.5, 101.5, 102.5])
    assert.deepEqual(source.reads, [3])
    assert.equal(feature.metrics()[0]?.pullRequests, 1)
  } finally {
    await run.stop()
  }
})

test('demand under a slow sink: reads only with credits, the queue never passes its bound', async () => {
  const Readings = await example('Readings')
  const source = new ScriptedEndpoint('s')
  let next = 0
  let asked = 0
  const bound = 8
  source.onRead = async (n) => {
    asked += n
    return Array.from({ length: n }, () => reading(next++))
  }
  const gate = new Gate()
  const feature = dataflowFeature({
    specs: [
      flow('demand')
        .demand(source)
        .to(Readings, '/%{sensor}/value')
        .limits({ buffer: bound, inFlight: 2, readBatch: 4 })
        .build(),
    ],
  })
  const run = await runFeature(env, feature, { wrap: (d) => gate.wrap(d) })
  try {
    await eventually(
      'window and queue full',
      () => feature.metrics()[0],
      (m) => m?.queue.length === bound,
    )
    // the slow sink accepts one at a time; the flow reads only as credits come back
    for (let i = 0; i < 30; i++) {
      await eventually(
        'a held send',
        () => gate.waiting,
        (w) => w > 0,
      )
      gate.release(1)
      const m = feature.metrics()[0]
      assert.ok((m?.queue.length ?? Infinity) <= bound)
      assert.ok(asked - (m?.accepted ?? 0) <= bound + 2 + 4, `asked ${asked}`)
    }
    const m = feature.metrics()[0]
    assert.equal(m?.queue.max, bound)
    assert.equal(m?.inFlight.max, 2)
    assert.ok(source.reads.every((n) => n >= 1 && n <= 4))
    assert.equal(
      Object.values(m?.dropped ?? {}).reduce((a, b) => a + b, 0),
      0,
    )
  } finally {
    gate.release()
    await run.stop()
  }
})

test('demand under a failing sink: each refusal counted as a drop, credits still come back', async () => {
  const Readings = await example('Readings')
  const source = new ScriptedEndpoint('s')
  let next = 0
  source.onRead = async (n) => Array.from({ length: Math.min(n, 50 - next) }, () => reading(next++))
  const gate = new Gate()
  const feature = dataflowFeature({
    specs: [
      flow('failing')
        .demand(source)
        .to(Readings, '/%{sensor}/value')
        .limits({ buffer: 4, inFlight: 2, readBatch: 4, idleMs: 20 })
        .build(),
    ],
  })
  const run = await runFeature(env, feature, { wrap: (d) => gate.wrap(d, 'fail') })
  try {
    const m = await eventually(
      '50 refusals',
      () => feature.metrics()[0],
      (x) => x?.dropped.rejected === 50,
    )
    assert.equal(m?.received, 50)
    assert.equal(m?.accepted, 0)
    assert.ok((m?.queue.max ?? Infinity) <= 4)
    assert.ok(run.logger.warnings().some((w) => w.ctx['reason'] === 'rejected'))
  } finally {
    await run.stop()
  }
})

test('sequential passes outputs on; concurrent members get the identical frozen input, outputs concatenated', async () => {
  const Readings = await example('Readings')
  const source = new ScriptedEndpoint('s')
  const seen: unknown[] = []
  const mutator = use('mutator', {
    process(m) {
      ;(m as { value: unknown }).value = 999 // frozen: throws, counted
      return m
    },
  })
  const observer = use('observer', {
    process(m) {
      seen.push(m.value, Object.isFrozen(m))
      return { ...m, value: (m.value as number) + 1000 }
    },
  })
  const feature = dataflowFeature({
    specs: [
      flow('shapes')
        .push(source)
        .through(
          sequential(calibrate({ gain: 10 }), calibrate({ offset: 1 })),
          concurrent(calibrate({ offset: 0.5 }), mutator, observer),
        )
        .to(Readings, '/%{sensor}/value')
        .build(),
    ],
  })
  const run = await runFeature(env, feature)
  try {
    source.emit?.(reading(2))
    const got = await eventually(
      '2 readings',
      () => history(run.deviceId, '/s1/value'),
      (v) => v.length === 2,
    )
    // 2×10+1 = 21; then {21.5, (mutator fails), 1021} in member order
    assert.deepEqual(got, [21.5, 1021])
    assert.deepEqual(seen, [21, true])
    const m = feature.metrics()[0]
    assert.equal(m?.processorErrors, 1)
    assert.deepEqual(m?.processorErrorsBy, { mutator: 1 })
    assert.ok(run.logger.warnings().some((w) => w.ctx['processor'] === 'mutator'))
  } finally {
    await run.stop()
  }
})

test('processor errors are counted per processor, the flow and the agent go on', async () => {
  const Readings = await example('Readings')
  const source = new ScriptedEndpoint('s')
  const picky = use('picky', {
    process(m) {
      if ((m.value as number) % 2 === 1) throw new Error('odd')
      return m
    },
  })
  const feature = dataflowFeature({
    specs: [flow('errors').push(source).through(picky).to(Readings, '/%{sensor}/value').build()],
  })
  const run = await runFeature(env, feature)
  try {
    for (let v = 0; v < 10; v++) source.emit?.(reading(v))
    const got = await eventually(
      '5 readings',
      () => history(run.deviceId, '/s1/value'),
      (v) => v.length === 5,
    )
    assert.deepEqual(got, [0, 2, 4, 6, 8])
    assert.equal(feature.metrics()[0]?.processorErrorsBy['picky'], 5)
    // logged sparsely: at counts 1, 2 and 4
    assert.equal(run.logger.warnings().filter((w) => w.ctx['processor'] === 'picky').length, 3)
  } finally {
    await run.stop()
  }
})

test('two-way: a Setpoint set through AppEngine comes back through the reverse functions to the actuator', async () => {
  const [OutputState, Setpoint] = await Promise.all([example('OutputState'), example('Setpoint')])
  const heater = new ScriptedEndpoint('heater')
  const feature = dataflowFeature({
    specs: [
      flow('heater')
        .push(heater)
        .through(calibrate({ gain: 2, offset: 10 }), concurrent(average({ window: 3 })))
        .to(OutputState, '/%{output}/on')
        .twoWay(Setpoint, '/%{output}/level')
        .build(),
    ],
  })
  const run = await runFeature(env, feature)
  try {
    const put = await env.api(
      'PUT',
      `devices/${run.deviceId}/interfaces/${EX}Setpoint/heater/level`,
      70,
    )
    assert.equal(put.status, 200)
    const [applied] = await eventually(
      'applied',
      () => heater.applied,
      (a) => a.length === 1,
    )
    // calibrate reversed: (70 − 10) / 2; average has no reverse, its group passes it on
    assert.equal(applied?.value, 30)
    assert.deepEqual(applied?.tags, { output: 'heater' })
    assert.equal(feature.metrics()[0]?.reverse.applied, 1)
  } finally {
    await run.stop()
  }
})

test('demand with read_interval_ms: the next read waits for the interval on the flow clock', async () => {
  const Readings = await example('Readings')
  const source = new ScriptedEndpoint('s')
  let next = 0
  source.onRead = async (n) => Array.from({ length: n }, () => reading(next++))
  const time = new ManualTime(1_000_000)
  const feature = dataflowFeature({
    specs: [
      flow('paced')
        .demand(source)
        .to(Readings, '/%{sensor}/value')
        .limits({ buffer: 4, readBatch: 2, readIntervalMs: 60_000 })
        .build(),
    ],
  })
  const run = await runFeature(env, feature, { time })
  try {
    await eventually(
      'the first read accepted',
      () => feature.metrics()[0]?.accepted,
      (n) => n === 2,
    )
    await eventually(
      'the wait armed',
      () => time.pendingAt(),
      (p) => p.includes(1_060_000),
    )
    assert.deepEqual(source.reads, [2])
    time.advance(60_000)
    await eventually(
      'the second read accepted',
      () => feature.metrics()[0]?.accepted,
      (n) => n === 4,
    )
    assert.deepEqual(source.reads, [2, 2])
    assert.deepEqual(await history(run.deviceId, '/s1/value'), [0, 1, 2, 3])
  } finally {
    await run.stop()
  }
})

test('drops by reason: unroutable tags, values the SDK refuses, source failures, emits after the stop', async () => {
  const Readings = await example('Readings')
  const source = new ScriptedEndpoint('s')
  let fail: ((e: unknown) => void) | undefined
  const endpoint = {
    name: 's',
    push: {
      start: (emit: (m: FlowMessage) => void, onFail?: (e: unknown) => void) => {
        source.emit = emit
        fail = onFail
      },
      stop: () => undefined,
    },
  }
  const feature = dataflowFeature({
    specs: [flow('drops').push(endpoint).to(Readings, '/%{sensor}/value').build()],
  })
  const run = await runFeature(env, feature)
  const emit = source.emit
  try {
    emit?.({ value: 1, timestamp: Date.now() }) // no sensor tag
    emit?.({ value: 'warm', timestamp: Date.now(), tags: { sensor: 's1' } }) // not a double
    emit?.(reading(3))
    fail?.(new Error('bus error'))
    const m = await eventually(
      'settled',
      () => feature.metrics()[0],
      (x) => x?.accepted === 1 && x.dropped.rejected === 1,
    )
    assert.equal(m?.dropped.unroutable, 1)
    assert.equal(m?.sourceErrors, 1)
    const rejected = run.logger.warnings().find((w) => w.ctx['reason'] === 'rejected')
    assert.match(String((rejected?.ctx['error'] as { code?: string })?.code), /^local\./)
    assert.deepEqual(await history(run.deviceId, '/s1/value'), [3])
  } finally {
    await run.stop()
  }
  emit?.(reading(4))
  assert.equal(feature.metrics()[0]?.dropped.afterStop, 1)
})

test('a stop that waits longer than drain_timeout_ms counts what was left as shutdown drops', async () => {
  const Readings = await example('Readings')
  const source = new ScriptedEndpoint('s')
  const gate = new Gate()
  const feature = dataflowFeature({
    specs: [
      flow('held')
        .push(source)
        .to(Readings, '/%{sensor}/value')
        .limits({ buffer: 10, inFlight: 2, drainTimeoutMs: 200 })
        .build(),
    ],
  })
  const run = await runFeature(env, feature, { wrap: (d) => gate.wrap(d) })
  try {
    for (let v = 0; v < 6; v++) source.emit?.(reading(v))
    await feature.stop()
    const m = feature.metrics()[0]
    assert.equal(m?.dropped.shutdown, 4)
    assert.equal(m?.inFlight.count, 2)
    assert.ok(
      run.logger.warnings().some((w) => w.message === 'stopped with messages not accepted yet'),
    )
  } finally {
    gate.release()
    await run.stop()
  }
})
