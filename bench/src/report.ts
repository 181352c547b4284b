/**
 * @module bench report: the JSON shape of a bench run and its Markdown table. A row is measured,
 * not yet built (its part of the project doesn't exist), or failed (with the reason).
 */
import type { Machine } from './machine.js'

/** What a row must reach; `on` says whether the goal applies to the measure or the ratio. */
export interface Goal {
  readonly op: '>=' | '<='
  readonly value: number
  readonly on: 'measured' | 'ratio'
}

interface RowBase {
  readonly id: string
  readonly title: string
  readonly unit: string
}

/** The baseline a ratio row is compared against, measured in the same rounds. */
export interface Reference {
  readonly name: string
  readonly measured: number
}

export interface MeasuredRow extends RowBase {
  readonly status: 'measured'
  readonly goal: Goal
  readonly measured: number
  readonly reference?: Reference
  /**
   * Ours over the reference, present when there is a reference: the median over rounds of the
   * two values measured in the same round (`pairedRatio`), not the ratio of the two medians.
   */
  readonly ratio?: number
  readonly met: boolean
  /** Per-round values (`[ours, reference]`), sizes and anything that helps read the number. */
  readonly details: Readonly<Record<string, unknown>>
  /** Lines printed under the Markdown table: where the number comes from, for the next reader. */
  readonly notes?: readonly string[]
}

export interface NotBuiltRow extends RowBase {
  readonly status: 'not yet built'
  /** Set once the part exists and its goal is agreed. */
  readonly goal: null
  readonly needs: string
}

export interface FailedRow extends RowBase {
  readonly status: 'failed'
  readonly goal: Goal
  readonly error: string
}

export type Row = MeasuredRow | NotBuiltRow | FailedRow

export interface Report {
  readonly schema: 'astarte-ts-bench/1'
  readonly startedAt: string
  readonly durationMs: number
  readonly quick: boolean
  readonly commandLine: string
  readonly machine: Machine
  readonly rows: readonly Row[]
}

/** Whether `value` reaches `goal`. */
export function meets(goal: Goal, value: number): boolean {
  return goal.op === '>=' ? value >= goal.value : value <= goal.value
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n)
  const abs = Math.abs(n)
  if (abs >= 1000) return Math.round(n).toLocaleString('en-US')
  if (abs >= 10) return n.toFixed(1)
  return n.toFixed(2)
}

function goalText(goal: Goal | null, unit: string): string {
  if (goal === null) return ''
  if (goal.on === 'ratio') return `ratio ${goal.op} ${goal.value}`
  return `${goal.op} ${formatNumber(goal.value)} ${unit}`
}

function cells(row: Row): string[] {
  const goal = goalText(row.goal, row.unit)
  switch (row.status) {
    case 'measured':
      return [
        row.title,
        `${formatNumber(row.measured)} ${row.unit}`,
        row.reference === undefined
          ? ''
          : `${row.reference.name}: ${formatNumber(row.reference.measured)}`,
        row.ratio === undefined ? '' : row.ratio.toFixed(2),
        goal,
        row.met ? 'yes' : 'no',
      ]
    case 'not yet built':
      return [row.title, 'not yet built', '', '', goal, '']
    case 'failed':
      const error = row.error.replace(/\|/g, '/').slice(0, 80)
      return [row.title, `failed: ${error}`, '', '', goal, 'no']
  }
}

/** The run as a Markdown table (plus one line naming the machine). */
export function toMarkdown(report: Report): string {
  const m = report.machine
  const header = ['row', 'measured', 'reference', 'ratio', 'goal', 'met']
  const lines = [
    `astarte-ts bench (${report.quick ? 'quick' : 'full'}) — ${m.cpuCount}× ${m.cpuModel}, ` +
      `${Math.round(m.memoryBytes / 2 ** 30)} GiB, node ${m.node}, ${m.os}, load ` +
      `${m.loadAverage.join('/')}; ${report.startedAt}`,
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...report.rows.map((r) => `| ${cells(r).join(' | ')} |`),
    '',
  ]
  const notes = report.rows.flatMap((r) =>
    r.status === 'measured' && r.notes !== undefined
      ? r.notes.map((note) => `- \`${r.id}\`: ${note}`)
      : [],
  )
  if (notes.length > 0) lines.push(...notes, '')
  return lines.join('\n')
}
