/**
 * @module bench in-flight sweep: `device.send` throughput against the in-flight window
 * (`maxInflight`), one device per window in the send rows' child, raw MQTT.js (no window) in the
 * same rounds, on Mosquitto over mutual TLS, with the CPU the child and the broker spend per
 * message. What the default `maxInflight` was chosen from:
 *
 *   node --conditions=@astarte-ts/source --import tsx bench/src/inflight-sweep.ts \
 *     [--windows 10,50,100,…] [--rounds 5] [--scale 1] [--out bench/results/inflight-sweep.json]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { createContext } from './context.js'
import { describeMachine } from './machine.js'
import { interleave, median, roundRatios } from './rounds.js'
import { fleetEnv } from './rows/fleet.js'
import {
  medianCost,
  prepareCase,
  sendCases,
  sendChild,
  trialOf,
  type TrialCost,
} from './rows/send.js'

const { values } = parseArgs({
  options: {
    windows: { type: 'string', default: '10,50,100,200,500,1000,65535' },
    rounds: { type: 'string', default: '5' },
    scale: { type: 'string', default: '1' },
    out: { type: 'string' },
  },
  strict: true,
})
const windows = values.windows.split(',').map(Number)
if (windows.some((w) => !Number.isInteger(w) || w < 1 || w > 65_535)) {
  throw new Error("couldn't read --windows: integers from 1 to 65535, comma-separated")
}

interface Contender {
  readonly name: string
  readonly maxInflight?: number
  readonly msgPerSec: number
  /** device.send over raw MQTT.js, paired by round. */
  readonly ratio?: number
  readonly costPerMessage: TrialCost
}

interface SweepCase {
  readonly id: string
  readonly qos: number
  readonly messagesPerTrial: number
  readonly contenders: readonly Contender[]
  readonly rounds: readonly (readonly number[])[]
}

const tmpDir = mkdtempSync(join(tmpdir(), 'astarte-sweep-'))
const { ctx, close } = createContext({
  quick: false,
  scale: Number(values.scale),
  rounds: Number(values.rounds),
  tmpDir,
})
const startedAt = new Date()
const cases: SweepCase[] = []
try {
  const child = await sendChild(ctx)
  const brokerPid = (await fleetEnv(ctx)).mosquitto.pid
  await child.request({ type: 'devices', maxInflight: windows })
  for (const c of sendCases.filter((s) => s.id !== 'send.object')) {
    ctx.log(`${c.id} …`)
    const n = ctx.count(50_000, 1_000, 20)
    await prepareCase(child, c, n)
    const names = ['raw', ...windows.map((w) => `ours@${w}`)]
    const costs = names.map((): TrialCost[] => [])
    const result = await interleave(
      names.map((name, i) => ({ name, trial: trialOf(child, name, brokerPid, costs[i]) })),
      ctx.rounds,
    )
    const [reference = []] = result.rounds
    cases.push({
      id: c.id,
      qos: c.qos,
      messagesPerTrial: n,
      contenders: names.map((name, i) => ({
        name: i === 0 ? 'raw MQTT.js' : 'device.send',
        ...(i === 0 ? {} : { maxInflight: windows[i - 1] }),
        msgPerSec: Math.round(result.medians[i] ?? Number.NaN),
        ...(i === 0
          ? {}
          : { ratio: Number(median(roundRatios(result.rounds[i] ?? [], reference)).toFixed(3)) }),
        costPerMessage: medianCost(costs[i] ?? []),
      })),
      rounds: result.rounds,
    })
  }
} finally {
  await close()
  rmSync(tmpDir, { recursive: true, force: true })
}

const report = {
  startedAt: startedAt.toISOString(),
  commandLine: process.argv.slice(2).join(' '),
  machine: describeMachine(),
  cases,
}
const header = cases.map((c) => `QoS ${c.qos}: msg/s (ratio) µs CPU child + broker`)
const rows = (cases[0]?.contenders ?? []).map((first, i) => {
  const cells = cases.map((c) => {
    const x = c.contenders[i]
    if (x === undefined) return ''
    const ratio = x.ratio === undefined ? '' : ` (${x.ratio.toFixed(2)})`
    const cpu = `${x.costPerMessage.process.toFixed(1)} + ${x.costPerMessage.broker.toFixed(1)}`
    return `${x.msgPerSec.toLocaleString('en-US')}${ratio} ${cpu}`
  })
  return `| ${first.maxInflight ?? 'raw MQTT.js'} | ${cells.join(' | ')} |`
})
const table = [
  `| maxInflight | ${header.join(' | ')} |`,
  `|---|${header.map(() => '---').join('|')}|`,
  ...rows,
  '',
].join('\n')
if (values.out !== undefined) {
  const out = resolve(values.out)
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n')
  writeFileSync(out.replace(/\.json$/, '') + '.md', table)
}
process.stdout.write(table)
