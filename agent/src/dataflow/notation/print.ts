/** @module flow notation printer: an AST back into text the parser reads as the same AST. */
import type { ArgValue, FlowAst, InterfaceRef, StageAst } from './ast.js'

const BARE = /^[A-Za-z_][A-Za-z0-9_.-]*$/
const MODE_NAMES = { push: 'Push', pull: 'Pull', demand: 'Demand' } as const

/** The canonical text of a flow: one space around arrows, `, ` between items. */
export function printFlow(flow: FlowAst): string {
  const arrow = flow.twoWay ? ' <~> ' : ' ~> '
  const source = MODE_NAMES[flow.mode] + (flow.source === undefined ? '' : `(${flow.source})`)
  const sink =
    printRef(flow.sink) + (flow.reverse === undefined ? '' : ` & ${printRef(flow.reverse)}`)
  return [source, ...flow.stages.map(printStage), sink].join(arrow)
}

export function printStage(stage: StageAst): string {
  switch (stage.type) {
    case 'sequential':
      return `[${stage.stages.map(printStage).join(', ')}]`
    case 'concurrent':
      return `{${stage.stages.map(printStage).join(', ')}}`
    case 'processor': {
      const args = Object.entries(stage.args)
      if (args.length === 0) return stage.name
      return `${stage.name}(${args.map(([k, v]) => `${k}=${printArg(v)}`).join(', ')})`
    }
  }
}

function printArg(value: ArgValue): string {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value)
  if (typeof value === 'boolean') return String(value)
  return BARE.test(value) && value !== 'true' && value !== 'false' ? value : JSON.stringify(value)
}

function printRef(ref: InterfaceRef): string {
  return ref.interfaceName + (ref.path ?? '')
}
