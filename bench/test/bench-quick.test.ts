/**
 * Runs the real bench (`--quick`, tiny sizes) as a child process and checks the shape of what it
 * writes. No timing is asserted (the machine running the tests is shared), nor that every row
 * could measure: a failed row carrying its reason is a valid report.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'

const root = new URL('../..', import.meta.url).pathname
const dir = mkdtempSync(join(tmpdir(), 'bench-quick-test-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x)

function checkGoal(goal: unknown, where: string): void {
  assert.ok(isObject(goal), `${where}: goal`)
  assert.ok(goal.op === '>=' || goal.op === '<=', `${where}: goal.op`)
  assert.equal(typeof goal.value, 'number', `${where}: goal.value`)
  assert.ok(goal.on === 'measured' || goal.on === 'ratio', `${where}: goal.on`)
}

/**
 * The median over rounds of ours / reference in the same round, from the per-round values the
 * row reports: `rounds` as [ours, reference, …] per contender, or (cold start) `rounds` and
 * `nodeAloneRounds`.
 */
function pairedMedian(details: unknown, where: string): number {
  assert.ok(isObject(details), `${where}: details`)
  const rounds = details.rounds
  assert.ok(Array.isArray(rounds), `${where}: rounds`)
  const [ours, reference] = Array.isArray(rounds[0])
    ? [rounds[0] as number[], rounds[1] as number[]]
    : [rounds as number[], details.nodeAloneRounds as number[]]
  assert.ok(Array.isArray(reference) && reference.length === ours.length, `${where}: pairs`)
  const ratios = ours.map((value, r) => value / (reference[r] as number)).sort((a, b) => a - b)
  const mid = Math.floor(ratios.length / 2)
  return ratios.length % 2 === 1
    ? (ratios[mid] as number)
    : ((ratios[mid - 1] as number) + (ratios[mid] as number)) / 2
}

/**
 * The send rows' split of the time: the ratio within each round (in order), throughput and cost
 * per message (wall, this process's CPU, the broker's) of every contender, and the ratio when
 * both have at most the window in flight.
 */
function checkSendDetails(details: unknown, where: string): void {
  assert.ok(isObject(details))
  const spreadInOrder = (r: unknown, what: string): void => {
    assert.ok(isObject(r), `${where}: ${what}`)
    const [min, mid, max] = [Number(r.min), Number(r.median), Number(r.max)]
    assert.ok(min > 0 && min <= mid && mid <= max, `${where}: ${what} in order`)
  }
  spreadInOrder(details.roundRatios, 'roundRatios')
  spreadInOrder(details.windowedRatio, 'windowedRatio')
  assert.ok(isObject(details.throughput) && isObject(details.costPerMessage), `${where}: split`)
  const contenders = ['deviceSend', 'rawMqttJs', 'rawMqttJsWindowed', 'transportWindowed']
  for (const key of contenders) {
    assert.ok(Number(details.throughput[key]) > 0, `${where}: throughput.${key}`)
    const cost = details.costPerMessage[key]
    assert.ok(isObject(cost), `${where}: costPerMessage.${key}`)
    assert.ok(Number(cost.wall) > 0 && Number(cost.process) >= 0, `${where}: ${key} cost`)
    // the broker's CPU comes from /proc: null (NaN) where there is none
    const broker = cost.broker
    assert.ok(broker === null || typeof broker === 'number', `${where}: ${key} broker cost`)
  }
}

function checkRow(row: unknown): string {
  assert.ok(isObject(row))
  const where = String(row.id)
  for (const key of ['id', 'title', 'unit', 'status']) {
    assert.equal(typeof row[key], 'string', `${where}: ${key}`)
  }
  switch (row.status) {
    case 'measured':
      checkGoal(row.goal, where)
      assert.ok(Number.isFinite(row.measured) && (row.measured as number) > 0, `${where}: measured`)
      assert.equal(typeof row.met, 'boolean', `${where}: met`)
      assert.ok(isObject(row.details), `${where}: details`)
      if (isObject(row.goal) && row.goal.on === 'ratio') {
        assert.ok(isObject(row.reference), `${where}: reference`)
      }
      if (row.reference !== undefined) {
        assert.ok(isObject(row.reference), `${where}: reference`)
        assert.equal(typeof row.reference.name, 'string')
        assert.ok(Number.isFinite(row.ratio), `${where}: ratio`)
        const expected = pairedMedian(row.details, where)
        assert.ok(Math.abs((row.ratio as number) - expected) < 1e-9, `${where}: paired ratio`)
      }
      if (where.startsWith('send.')) checkSendDetails(row.details, where)
      break
    case 'not yet built':
      assert.equal(row.goal, null, `${where}: goal`)
      assert.equal(typeof row.needs, 'string', `${where}: needs`)
      break
    case 'failed':
      // A valid shape: the row says why it couldn't measure (e.g. `dist` doesn't build).
      checkGoal(row.goal, where)
      assert.equal(typeof row.error, 'string', `${where}: error`)
      break
    default:
      assert.fail(`${where}: status ${String(row.status)}`)
  }
  return where
}

test('npm run bench -- --quick writes a JSON report and a Markdown table', () => {
  const out = join(dir, 'quick.json')
  const args = ['--quick', '--scale', '0.01', '--rounds', '3', '--out', out]
  const r = spawnSync(
    process.execPath,
    ['--conditions=@astarte-ts/source', '--import', 'tsx', 'bench/src/main.ts', ...args],
    { cwd: root, encoding: 'utf8', timeout: 300_000 },
  )
  assert.equal(r.status, 0, r.stderr)
  const report: unknown = JSON.parse(readFileSync(out, 'utf8'))
  assert.ok(isObject(report))
  assert.equal(report.schema, 'astarte-ts-bench/1')
  assert.equal(report.quick, true)
  assert.equal(report.commandLine, `npm run bench -- ${args.join(' ')}`)
  assert.ok(!Number.isNaN(Date.parse(String(report.startedAt))))
  assert.ok(isObject(report.machine))
  assert.equal(report.machine.node, process.version)
  assert.ok((report.machine.cpuCount as number) >= 1)
  assert.ok((report.machine.memoryBytes as number) > 0)
  assert.equal(typeof report.machine.cpuModel, 'string')
  assert.equal(typeof report.machine.os, 'string')
  assert.ok(Array.isArray(report.machine.loadAverage) && report.machine.loadAverage.length === 3)
  assert.ok(Array.isArray(report.rows))
  const ids = report.rows.map(checkRow)
  assert.equal(new Set(ids).size, ids.length, 'row ids are unique')
  const groups = [
    'send.',
    'bson.encode.',
    'bson.decode.',
    'retention.',
    'coldstart.',
    'memory.',
    'fleet.',
  ]
  for (const group of [...groups, 'dataflow.', 'esp32.', 'bridge.']) {
    assert.ok(
      ids.some((id) => id.startsWith(group)),
      `a ${group} row`,
    )
  }
  const markdown = readFileSync(join(dir, 'quick.md'), 'utf8')
  assert.equal(r.stdout, markdown)
  for (const row of report.rows) {
    assert.ok(isObject(row))
    assert.ok(markdown.includes(`| ${String(row.title)} |`), `table has ${String(row.id)}`)
    // a memory row says under the table where its resident memory goes
    if (String(row.id).startsWith('memory.') && row.status === 'measured') {
      const notes = markdown.split('\n').filter((l) => l.startsWith(`- \`${String(row.id)}\`: `))
      assert.ok(
        notes.some((l) =>
          /V8 heap [\d.]+ \(young [\d.]+, old [\d.]+; used [\d.]+\), native /.test(l),
        ),
        `${String(row.id)}: split under the table`,
      )
    }
  }
  assert.ok(existsSync(out))
})
