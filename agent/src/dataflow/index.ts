/** @module dataflow: declarative flows from sources through processors to Astarte and back. */
export * from './source-sink.js'
export type {
  ArgValue,
  FlowAst,
  FlowMode,
  InterfaceRef,
  Position,
  StageAst,
} from './notation/ast.js'
export { FlowSyntaxError } from './notation/errors.js'
export { parseFlow } from './notation/parser.js'
export { printFlow } from './notation/print.js'
export type {
  Processor,
  ProcessorContext,
  ProcessorFactory,
  ProcessorOptions,
  ProcessorOutput,
  ProcessorRegistry,
} from './processor.js'
export { builtinProcessors } from './builtins/index.js'
export * as processors from './builder.js'
export { flow, use, sequential, concurrent, FlowStart, FlowStages, FlowSink } from './builder.js'
export { Flow, DEFAULT_LIMITS, type FlowLimits, type FlowPlan, type FlowRuntime } from './flow.js'
export type { FlowMetrics, DropReason } from './metrics.js'
export { planFlow, type FlowSpec, type StageSpec, type TargetSpec } from './spec.js'
export {
  specFromEntry,
  interfacesOfEntry,
  type FlowEntry,
  type NotationScope,
} from './from-notation.js'
export { loadProcessorModules } from './processor-modules.js'
export {
  DataflowFeature,
  dataflowFeature,
  shippedExamplesDirectory,
  type DataflowFeatureOptions,
} from './dataflow-feature.js'
