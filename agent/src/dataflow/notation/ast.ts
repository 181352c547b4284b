/**
 * @module flow notation AST: what the parser produces and the printer reads. Positions point
 * into the flow text, so a later check (an unknown processor, a path its interface lacks) can
 * name the place as precisely as a syntax error does.
 */

/** A place in the flow text: 0-based `offset`, 1-based `line` and `column`. */
export interface Position {
  readonly offset: number
  readonly line: number
  readonly column: number
}

/** How the source is driven: `Push` paces itself, `Pull` is asked by the server, `Demand` by the flow. */
export type FlowMode = 'push' | 'pull' | 'demand'

/** A processor argument's value: `42`, `-0.5`, `"text"`, `'text'`, `true`, a bare word. */
export type ArgValue = number | string | boolean

export type StageAst =
  | {
      readonly type: 'processor'
      readonly name: string
      readonly args: Readonly<Record<string, ArgValue>>
      readonly at: Position
    }
  /** `[A, B]`: B takes A's outputs. */
  | { readonly type: 'sequential'; readonly stages: readonly StageAst[]; readonly at: Position }
  /** `{A, B}`: each takes the identical input; their outputs are concatenated in order. */
  | { readonly type: 'concurrent'; readonly stages: readonly StageAst[]; readonly at: Position }

/** An interface name with an optional path template: `org.example.Environment/%{room}`. */
export interface InterfaceRef {
  readonly interfaceName: string
  readonly path?: string
  readonly at: Position
}

/** A parsed flow. */
export interface FlowAst {
  readonly mode: FlowMode
  /** `Push(kitchen)`: the endpoint's name; absent, the configuration names it. */
  readonly source?: string
  readonly twoWay: boolean
  /** Top-level stages, run one after the other (as if in `[…]`). */
  readonly stages: readonly StageAst[]
  /** Where the flow's output goes (a device-owned interface). */
  readonly sink: InterfaceRef
  /** `… & org.example.Setpoint/%{output}`: the server-owned interface of the reverse direction. */
  readonly reverse?: InterfaceRef
}
