/**
 * @module dataflow feature: the agent's flows as one feature. It declares the interfaces the
 * flows name (loaded from `interfaces_directory`, else the examples `@astarte-ts/interfaces`
 * ships; builder flows carry theirs), starts every flow, routes server data to the two-way
 * flows whose reverse interface and path it matches, and stops them with their messages
 * handed to the SDK. A flow that can't be built is logged with its position and left out;
 * the others run.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { SdkError, type Interface, type Logger, type ServerMessage } from '@astarte-ts/sdk-core'
import type { Feature, FeatureContext } from '../core/feature.js'
import { loadEdgehogInterface } from '../device-info/edgehog-interfaces.js'
import { builtinProcessors } from './builtins/index.js'
import { Flow, type FlowRuntime } from './flow.js'
import { interfacesOfEntry, specFromEntry, type FlowEntry } from './from-notation.js'
import type { FlowMetrics } from './metrics.js'
import { FlowSyntaxError } from './notation/errors.js'
import { loadProcessorModules } from './processor-modules.js'
import type { EndpointRegistry, FlowMessage } from './source-sink.js'
import { planFlow, type FlowSpec } from './spec.js'

export interface DataflowFeatureOptions {
  /** `[[flows]]` entries of the configuration. */
  readonly entries?: readonly FlowEntry[]
  /** Flows built in TypeScript. */
  readonly specs?: readonly FlowSpec[]
  /** The endpoints entries can name, or how to build them when the feature starts. */
  readonly endpoints?: EndpointRegistry | ((context: FeatureContext) => EndpointRegistry)
  /** JavaScript modules of user processors (`[dataflow] processor_modules`). */
  readonly processorModules?: readonly string[]
  /** Where interface files are looked for first; then the shipped examples. */
  readonly interfacesDirectory?: string
  /** Told of each output the SDK accepted (the bench's latency). */
  readonly onAccepted?: (flow: string, message: FlowMessage) => void
}

/** The directory of example interfaces shipped with `@astarte-ts/interfaces`. */
export function shippedExamplesDirectory(): string {
  const require = createRequire(import.meta.url)
  return join(dirname(require.resolve('@astarte-ts/interfaces/package.json')), 'examples')
}

export class DataflowFeature implements Feature {
  readonly name = 'dataflow'
  readonly #options: DataflowFeatureOptions
  readonly #interfaces = new Map<string, Interface>()
  #flows: Flow[] = []
  #logger: Logger | undefined

  constructor(options: DataflowFeatureOptions) {
    this.#options = options
  }

  async interfaces(): Promise<readonly Interface[]> {
    for (const spec of this.#options.specs ?? []) {
      for (const target of [spec.sink, spec.reverse]) {
        if (target !== undefined) this.#interfaces.set(target.iface.name, target.iface)
      }
    }
    for (const entry of this.#options.entries ?? []) {
      let names: string[]
      try {
        names = interfacesOfEntry(entry)
      } catch {
        continue // reported with its position when the flow is built
      }
      for (const name of names) {
        if (!this.#interfaces.has(name)) this.#interfaces.set(name, await this.#load(name))
      }
    }
    return [...this.#interfaces.values()]
  }

  async #load(name: string): Promise<Interface> {
    const directory = this.#options.interfacesDirectory
    if (directory !== undefined) {
      try {
        return await loadEdgehogInterface(name, directory)
      } catch {
        // not there: the shipped examples may have it
      }
    }
    return loadEdgehogInterface(name, shippedExamplesDirectory())
  }

  async start(context: FeatureContext): Promise<void> {
    this.#logger = context.logger
    const processors = await loadProcessorModules(
      this.#options.processorModules ?? [],
      builtinProcessors,
    )
    const specs: FlowSpec[] = [...(this.#options.specs ?? [])]
    const given = this.#options.endpoints ?? new Map()
    const endpoints = typeof given === 'function' ? given(context) : given
    const scope = { endpoints, processors, interfaces: this.#interfaces }
    for (const entry of this.#options.entries ?? []) {
      const spec = this.#attempt(entry.name, () => specFromEntry(entry, scope))
      if (spec !== undefined) specs.push(spec)
    }
    const { device, clock, timers, logger } = context
    const onAccepted = this.#options.onAccepted
    for (const spec of specs) {
      const runtime: FlowRuntime = {
        device,
        clock,
        timers,
        logger,
        ...(onAccepted === undefined
          ? {}
          : { onAccepted: (m: FlowMessage) => onAccepted(spec.name, m) }),
      }
      const flow = this.#attempt(
        spec.name,
        () => new Flow(planFlow(spec, { clock, timers, logger }), runtime),
      )
      if (flow === undefined) continue
      try {
        await flow.start()
        this.#flows.push(flow)
      } catch (error) {
        logger.log('error', "couldn't start the flow", { flow: spec.name, ...describe(error) })
        await flow.stop()
      }
    }
  }

  #attempt<T>(flow: string, build: () => T): T | undefined {
    try {
      return build()
    } catch (error) {
      this.#logger?.log('error', "couldn't build the flow: it doesn't run", {
        flow,
        ...describe(error),
      })
      return undefined
    }
  }

  onServerMessage(message: ServerMessage): void {
    let taken = false
    for (const flow of this.#flows) taken = flow.takes(message) || taken
    if (!taken) {
      this.#logger?.log('warn', 'ignored server data: no flow takes its path', {
        interfaceName: message.interfaceName,
        path: message.path,
      })
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.#flows.map((f) => f.stop()))
  }

  /** Every started flow's counters (kept after the stop, for its last figures). */
  metrics(): FlowMetrics[] {
    return this.#flows.map((f) => f.metrics())
  }
}

/** The dataflow feature. */
export function dataflowFeature(options: DataflowFeatureOptions): DataflowFeature {
  return new DataflowFeature(options)
}

function describe(error: unknown): Record<string, unknown> {
  if (error instanceof FlowSyntaxError) {
    return {
      code: error.code,
      message: error.message,
      line: error.position.line,
      column: error.position.column,
    }
  }
  if (error instanceof SdkError) return { code: error.code, message: error.message }
  if (error instanceof Error) return { message: error.message }
  return { message: String(error) }
}
