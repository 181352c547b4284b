/**
 * @module flow spec: a flow described in data, whichever way it was written (the notation in
 * the configuration, or the TypeScript builder), before it runs: the endpoint, the processor
 * tree with each processor's factory and options, the interfaces at their path templates.
 * `planFlow` checks it and instantiates the processors.
 */
import { SdkError, type Interface } from '@astarte-ts/sdk-core'
import { DEFAULT_LIMITS, type FlowLimits, type FlowPlan } from './flow.js'
import type { FlowMode } from './notation/ast.js'
import { PathTemplate } from './path-template.js'
import type { ProcessorContext, ProcessorFactory, ProcessorOptions } from './processor.js'
import type { FlowEndpoint } from './source-sink.js'
import type { ResolvedStage } from './stages.js'

export type StageSpec =
  | {
      readonly type: 'processor'
      readonly name: string
      readonly factory: ProcessorFactory
      readonly options: ProcessorOptions
    }
  | { readonly type: 'sequential'; readonly stages: readonly StageSpec[] }
  | { readonly type: 'concurrent'; readonly stages: readonly StageSpec[] }

/** An interface and the path template a flow uses on it. */
export interface TargetSpec {
  readonly iface: Interface
  /** `/%{room}`; for an object interface, its common prefix. */
  readonly path: string
}

export interface FlowSpec {
  readonly name: string
  readonly mode: FlowMode
  readonly twoWay: boolean
  readonly endpoint: FlowEndpoint
  readonly stages: readonly StageSpec[]
  readonly sink: TargetSpec
  readonly reverse?: TargetSpec
  readonly limits?: Partial<FlowLimits>
}

/**
 * Checks a spec and instantiates its processors (one instance per place in the flow). Throws
 * `local.invalid_config` naming the flow and what is wrong: an endpoint without the mode's side,
 * a two-way flow without a reverse interface, a path its interface lacks, bad limits, a
 * processor refusing its options.
 */
export function planFlow(spec: FlowSpec, context: Omit<ProcessorContext, 'flow'>): FlowPlan {
  const problem = (message: string): SdkError =>
    new SdkError('local.invalid_config', `couldn't build flow ${spec.name}: ${message}`, {
      ctx: { flow: spec.name },
    })
  const { endpoint, mode } = spec
  if (mode === 'push' && endpoint.push === undefined) throw problem(`${endpoint.name} can't push`)
  if (mode !== 'push' && endpoint.read === undefined)
    throw problem(`${endpoint.name} can't be read`)
  if (mode === 'pull' && !spec.twoWay) throw problem('a Pull flow is two-way (<~>)')
  if (spec.twoWay && spec.reverse === undefined) {
    throw problem('a two-way flow needs a server-owned interface for its reverse direction')
  }
  if (spec.twoWay && mode !== 'pull' && endpoint.actuator === undefined) {
    throw problem(`${endpoint.name} has no actuator for the reverse direction`)
  }
  if (!spec.twoWay && spec.reverse !== undefined)
    throw problem('a one-way flow has no reverse interface')
  if (spec.sink.iface.ownership !== 'device') {
    throw problem(
      `${spec.sink.iface.name} is server-owned: a flow's output needs a device-owned interface`,
    )
  }
  const reverse = spec.reverse
  if (reverse !== undefined && reverse.iface.ownership !== 'server') {
    throw problem(
      `${reverse.iface.name} is device-owned: the reverse direction needs a server-owned interface`,
    )
  }
  const limits = { ...DEFAULT_LIMITS, ...spec.limits }
  for (const [key, value] of Object.entries(limits)) {
    const least = key === 'readIntervalMs' ? 0 : 1
    if (!Number.isInteger(value) || value < least || value > 10_000_000) {
      throw problem(`${key} must be an integer from ${least} to 10000000`)
    }
  }
  const sinkPath = new PathTemplate(spec.sink.path)
  const reversePath = reverse === undefined ? undefined : new PathTemplate(reverse.path)
  try {
    sinkPath.checkAgainst(spec.sink.iface)
    if (reverse !== undefined) reversePath?.checkAgainst(reverse.iface)
  } catch (e) {
    throw problem((e as Error).message)
  }
  const processorContext: ProcessorContext = { ...context, flow: spec.name }
  const instantiate = (stage: StageSpec): ResolvedStage => {
    if (stage.type !== 'processor')
      return { type: stage.type, stages: stage.stages.map(instantiate) }
    return {
      type: 'processor',
      name: stage.name,
      processor: stage.factory(stage.options, processorContext),
    }
  }
  return {
    name: spec.name,
    mode,
    twoWay: spec.twoWay,
    endpoint,
    stages: spec.stages.map(instantiate),
    sink: { iface: spec.sink.iface, path: sinkPath },
    ...(reverse === undefined || reversePath === undefined
      ? {}
      : { reverse: { iface: reverse.iface, path: reversePath } }),
    limits,
  }
}
