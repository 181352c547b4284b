/**
 * @module flow builder: the notation's equivalent in TypeScript, checked by the compiler.
 *
 *   flow('kitchen')
 *     .push(bme280)
 *     .through(calibrate({ offset: -0.4 }), average({ window: 10 }))
 *     .to(Environment, '/%{room}')
 *
 * is `Push(bme280) ~> [calibrate(offset=-0.4), average(window=10)] ~> org.astarte-ts.examples.Environment/%{room}`;
 * `.twoWay(Setpoint, '/%{output}')` turns it into `<~>` with `& …Setpoint/%{output}`.
 */
import type { Interface } from '@astarte-ts/sdk-core'
import * as builtins from './builtins/index.js'
import type { FlowLimits } from './flow.js'
import type { FlowMode } from './notation/ast.js'
import type { Processor, ProcessorFactory, ProcessorOptions } from './processor.js'
import type { FlowEndpoint } from './source-sink.js'
import type { FlowSpec, StageSpec, TargetSpec } from './spec.js'

/** A processor by name with its factory and options (a user processor, or a built-in). */
export function use(
  name: string,
  factory: ProcessorFactory | Processor,
  options: ProcessorOptions = {},
): StageSpec {
  const make: ProcessorFactory = typeof factory === 'function' ? factory : () => factory
  return { type: 'processor', name, factory: make, options }
}

/** `[a, b, …]`: each takes the previous one's outputs. */
export const sequential = (...stages: StageSpec[]): StageSpec => ({ type: 'sequential', stages })
/** `{a, b, …}`: each takes the identical input; outputs concatenated in order. */
export const concurrent = (...stages: StageSpec[]): StageSpec => ({ type: 'concurrent', stages })

type Options<T> = { readonly [K in keyof T]: T[K] }
const builtin =
  <T extends object>(name: string, factory: ProcessorFactory) =>
  (options?: Options<T>): StageSpec =>
    use(name, factory, (options ?? {}) as ProcessorOptions)

export const calibrate = builtin<{ gain?: number; offset?: number; field?: string }>(
  'calibrate',
  builtins.calibrate,
)
export const scale = builtin<{
  from_min: number
  from_max: number
  to_min: number
  to_max: number
  clamp?: boolean
  field?: string
}>('scale', builtins.scale)
export const average = builtin<{ window?: number; tumbling?: boolean; field?: string }>(
  'average',
  builtins.average,
)
export const filter = builtin<{ min?: number; max?: number; field?: string }>(
  'filter',
  builtins.filter,
)
export const deadband = builtin<{ delta: number; field?: string }>('deadband', builtins.deadband)
export const threshold = builtin<{ level: number; hysteresis?: number; field?: string }>(
  'threshold',
  builtins.threshold,
)
export const split = builtin<{ fields?: string }>('split', builtins.split)
export const pick = builtin<{ fields: string }>('pick', builtins.pick)

/** Starts a flow named `name`; pick its mode and endpoint next. */
export function flow(name: string): FlowStart {
  return new FlowStart(name)
}

export class FlowStart {
  constructor(readonly name: string) {}
  /** `Push(endpoint)`: the endpoint emits at its own pace. */
  push(endpoint: FlowEndpoint): FlowStages {
    return new FlowStages(this.name, 'push', endpoint, [])
  }
  /** `Demand(endpoint)`: the flow reads when it has credits. */
  demand(endpoint: FlowEndpoint): FlowStages {
    return new FlowStages(this.name, 'demand', endpoint, [])
  }
  /** `Pull(endpoint)`: a server request on the `requests` interface reads; two-way by nature. */
  pull(endpoint: FlowEndpoint, requests: Interface, path: string): FlowStages {
    return new FlowStages(this.name, 'pull', endpoint, [], { iface: requests, path })
  }
}

export class FlowStages {
  constructor(
    readonly name: string,
    readonly mode: FlowMode,
    readonly endpoint: FlowEndpoint,
    readonly stages: readonly StageSpec[],
    readonly requests?: TargetSpec,
  ) {}

  /** Appends stages, run in order (as `~> a ~> b` or `~> [a, b]`). */
  through(...stages: StageSpec[]): FlowStages {
    return new FlowStages(
      this.name,
      this.mode,
      this.endpoint,
      [...this.stages, ...stages],
      this.requests,
    )
  }

  /** The device-owned interface and path template outputs go to. */
  to(iface: Interface, path: string): FlowSink {
    return new FlowSink({
      name: this.name,
      mode: this.mode,
      twoWay: this.requests !== undefined,
      endpoint: this.endpoint,
      stages: this.stages,
      sink: { iface, path },
      ...(this.requests === undefined ? {} : { reverse: this.requests }),
    })
  }
}

export class FlowSink {
  constructor(readonly spec: FlowSpec) {}

  /** Makes the flow two-way: server data on `iface` at `path` travels back to the actuator. */
  twoWay(iface: Interface, path: string): FlowSink {
    return new FlowSink({ ...this.spec, twoWay: true, reverse: { iface, path } })
  }

  /** The flow's bounds (defaults in `DEFAULT_LIMITS`). */
  limits(limits: Partial<FlowLimits>): FlowSink {
    return new FlowSink({ ...this.spec, limits: { ...this.spec.limits, ...limits } })
  }

  build(): FlowSpec {
    return this.spec
  }
}
