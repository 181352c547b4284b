/**
 * @module flow from notation: a parsed flow text and its configuration entry into a `FlowSpec`.
 * Names resolve here — the endpoint, each processor (built-ins, then user modules), the
 * interfaces — and a name that doesn't resolve is a `FlowSyntaxError` (`local.flow_reference`)
 * at its position in the text, as precise as a syntax error.
 */
import { SdkError, type Interface } from '@astarte-ts/sdk-core'
import type { FlowLimits } from './flow.js'
import type { InterfaceRef, Position, StageAst } from './notation/ast.js'
import { FlowSyntaxError } from './notation/errors.js'
import { parseFlow } from './notation/parser.js'
import type { ProcessorFactory, ProcessorOptions, ProcessorRegistry } from './processor.js'
import type { EndpointRegistry } from './source-sink.js'
import type { FlowSpec, StageSpec, TargetSpec } from './spec.js'

/** One `[[flows]]` entry of the configuration, validated. */
export interface FlowEntry {
  readonly name: string
  /** The notation, e.g. `Push(kitchen) ~> [calibrate(offset=-0.4), average] ~> org.example.Environment/%{room}`. */
  readonly flow: string
  /** The endpoint, when the notation doesn't name it (`Push` rather than `Push(kitchen)`). */
  readonly source?: string
  /** The sink's path template, when the notation doesn't give it. */
  readonly path?: string
  /** `interface/path` of the reverse direction, when the notation doesn't give it (`& …`). */
  readonly reverse?: string
  /** `[flows.processors.<name>]`: options of every use of `<name>` in this flow, under the notation's arguments. */
  readonly processors: Readonly<Record<string, ProcessorOptions>>
  readonly limits: Partial<FlowLimits>
}

/** What names in a flow resolve against. */
export interface NotationScope {
  readonly endpoints: EndpointRegistry
  readonly processors: ProcessorRegistry
  /** Interfaces by name (the ones `interfacesOfEntry` listed, loaded). */
  readonly interfaces: ReadonlyMap<string, Interface>
}

const START: Position = { offset: 0, line: 1, column: 1 }

/** The interface names an entry uses (to load before the device opens). Throws on bad syntax. */
export function interfacesOfEntry(entry: FlowEntry): string[] {
  const ast = parseFlow(entry.flow)
  const reverse = ast.reverse?.interfaceName ?? splitRef(entry.reverse)?.interfaceName
  return reverse === undefined ? [ast.sink.interfaceName] : [ast.sink.interfaceName, reverse]
}

/** Resolves an entry into a spec. Throws `FlowSyntaxError` or `SdkError('local.invalid_config')`. */
export function specFromEntry(entry: FlowEntry, scope: NotationScope): FlowSpec {
  const ast = parseFlow(entry.flow)
  const problem = (message: string): SdkError =>
    new SdkError('local.invalid_config', `couldn't build flow ${entry.name}: ${message}`, {
      ctx: { flow: entry.name },
    })
  if (ast.source !== undefined && entry.source !== undefined && ast.source !== entry.source) {
    throw problem(`the flow names endpoint ${ast.source}, source names ${entry.source}`)
  }
  const sourceName = ast.source ?? entry.source
  if (sourceName === undefined)
    throw problem('no endpoint: name it in the flow (Push(name)) or with source')
  const endpoint = scope.endpoints.get(sourceName)
  if (endpoint === undefined) {
    const known = [...scope.endpoints.keys()]
    throw new FlowSyntaxError(
      'local.flow_reference',
      START,
      known.length === 0 ? ['an endpoint (none is configured)'] : known.map((k) => `'${k}'`),
      `'${sourceName}'`,
      'unknown endpoint',
    )
  }
  const sink = target(ast.sink, entry.path, 'path', scope)
  const reverseRef = ast.reverse ?? refFromConfig(entry.reverse)
  if (ast.reverse !== undefined && entry.reverse !== undefined) {
    throw problem('the reverse interface is given twice: in the flow (&) and with reverse')
  }
  return {
    name: entry.name,
    mode: ast.mode,
    twoWay: ast.twoWay,
    endpoint,
    stages: ast.stages.map((s) => stageSpec(s, entry, scope)),
    sink,
    ...(reverseRef === undefined
      ? {}
      : { reverse: target(reverseRef, undefined, 'reverse', scope) }),
    limits: entry.limits,
  }

  function target(
    ref: InterfaceRef,
    fallback: string | undefined,
    key: string,
    s: NotationScope,
  ): TargetSpec {
    const iface = s.interfaces.get(ref.interfaceName)
    if (iface === undefined) {
      throw new FlowSyntaxError(
        'local.flow_reference',
        ref.at,
        ['a known interface'],
        `'${ref.interfaceName}'`,
      )
    }
    if (ref.path !== undefined && fallback !== undefined) {
      throw problem(`the path of ${ref.interfaceName} is given twice: in the flow and with ${key}`)
    }
    const path = ref.path ?? fallback
    if (path === undefined)
      throw problem(`no path template for ${ref.interfaceName}: add it to the flow or set ${key}`)
    return { iface, path }
  }
}

function stageSpec(stage: StageAst, entry: FlowEntry, scope: NotationScope): StageSpec {
  if (stage.type !== 'processor') {
    return { type: stage.type, stages: stage.stages.map((s) => stageSpec(s, entry, scope)) }
  }
  const factory = scope.processors.get(stage.name)
  if (factory === undefined) {
    throw new FlowSyntaxError(
      'local.flow_reference',
      stage.at,
      [...scope.processors.keys()].map((k) => `'${k}'`),
      `'${stage.name}'`,
      'unknown processor',
    )
  }
  const options = { ...entry.processors[stage.name], ...stage.args }
  const at = stage.at
  const located: ProcessorFactory = (o, context) => {
    try {
      return factory(o, context)
    } catch (e) {
      throw new FlowSyntaxError(
        'local.flow_reference',
        at,
        [],
        `'${stage.name}'`,
        (e as Error).message,
      )
    }
  }
  return { type: 'processor', name: stage.name, factory: located, options }
}

function splitRef(text: string | undefined): { interfaceName: string; path?: string } | undefined {
  if (text === undefined) return undefined
  const slash = text.indexOf('/')
  return slash < 0
    ? { interfaceName: text }
    : { interfaceName: text.slice(0, slash), path: text.slice(slash) }
}

function refFromConfig(text: string | undefined): InterfaceRef | undefined {
  const ref = splitRef(text)
  return ref === undefined ? undefined : { ...ref, at: START }
}
