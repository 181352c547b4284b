/** @module bench run-row: measures one row and turns the outcome into a report row. */
import type { BenchContext, RowSpec } from './context.js'
import { meets, type Row } from './report.js'

export async function runRow(ctx: BenchContext, spec: RowSpec): Promise<Row> {
  if (!('measure' in spec)) {
    const { id, title, unit, needs } = spec
    return { id, title, unit, goal: null, status: 'not yet built', needs }
  }
  const base = { id: spec.id, title: spec.title, unit: spec.unit, goal: spec.goal }
  ctx.log(`${spec.id} …`)
  const started = Date.now()
  try {
    const m = await spec.measure(ctx)
    const ratio = m.reference === undefined ? undefined : m.ratio
    const judged = spec.goal.on === 'ratio' ? ratio : m.measured
    ctx.log(`${spec.id}: ${m.measured.toFixed(2)} ${spec.unit} (${Date.now() - started} ms)`)
    return {
      ...base,
      status: 'measured',
      measured: m.measured,
      ...(m.reference === undefined ? {} : { reference: m.reference }),
      ...(ratio === undefined ? {} : { ratio }),
      met: judged !== undefined && meets(spec.goal, judged),
      details: m.details,
      ...(m.notes === undefined ? {} : { notes: m.notes }),
    }
  } catch (e) {
    ctx.log(`${spec.id} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
    return { ...base, status: 'failed', error: e instanceof Error ? e.message : String(e) }
  }
}
