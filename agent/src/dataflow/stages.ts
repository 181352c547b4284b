/**
 * @module dataflow stages: a flow's processor tree compiled into one function per direction.
 * Each stage calls the next one directly (continuation passing), so a message goes from the
 * source to the SDK call with no queue, array or promise of the engine's own in between.
 * Semantics:
 * - sequential `[A, B]`: B takes each output of A, in order;
 * - concurrent `{A, B}`: A and B each take the identical input (frozen, see `freeze.ts`); their
 *   outputs are concatenated — A's, then B's — and go on downstream;
 * - a processor returning `undefined` or `[]` drops the message (counted as filtered), an array
 *   splits it; a throw drops it at that processor (counted per processor), siblings still run.
 * Backwards (server data to the actuator) the tree is walked in reverse order through `reverse`
 * functions; a processor without one passes the message on; in a concurrent group, only the
 * members with a reverse take part (none: the group passes the message on).
 */
import { freezeMessage, frozenCopy } from './freeze.js'
import type { Processor, ProcessorOutput } from './processor.js'
import type { FlowMessage } from './source-sink.js'

/** A processor tree with its processors instantiated. */
export type ResolvedStage =
  | { readonly type: 'processor'; readonly name: string; readonly processor: Processor }
  | { readonly type: 'sequential'; readonly stages: readonly ResolvedStage[] }
  | { readonly type: 'concurrent'; readonly stages: readonly ResolvedStage[] }

/** Takes one message. */
export type Step = (message: FlowMessage) => void

/** What the compiled stages report to their flow. */
export interface StageHooks {
  filtered(processor: string): void
  failed(processor: string, error: unknown, direction: 'forward' | 'reverse'): void
}

/** The forward function: `stages` in order, then `next`. */
export function compileForward(
  stages: readonly ResolvedStage[],
  next: Step,
  hooks: StageHooks,
): Step {
  let step = next
  for (let i = stages.length - 1; i >= 0; i--)
    step = forwardOne(stages[i] as ResolvedStage, step, hooks)
  return step
}

function forwardOne(stage: ResolvedStage, next: Step, hooks: StageHooks): Step {
  switch (stage.type) {
    case 'sequential':
      return compileForward(stage.stages, next, hooks)
    case 'concurrent':
      return concurrently(stage.stages.map((s) => forwardOne(s, next, hooks)))
    case 'processor': {
      const { name, processor } = stage
      return (m) => {
        let out: ProcessorOutput
        try {
          out = processor.process(m)
        } catch (error) {
          hooks.failed(name, error, 'forward')
          return
        }
        dispatch(out, next, name, hooks)
      }
    }
  }
}

/** The reverse function: `stages` backwards through their `reverse` functions, then `next`. */
export function compileReverse(
  stages: readonly ResolvedStage[],
  next: Step,
  hooks: StageHooks,
): Step {
  let step = next
  for (const stage of stages) step = reverseOne(stage, step, hooks)
  return step
}

function reverseOne(stage: ResolvedStage, next: Step, hooks: StageHooks): Step {
  switch (stage.type) {
    case 'sequential':
      return compileReverse(stage.stages, next, hooks)
    case 'concurrent': {
      const members = stage.stages.filter(hasReverse).map((s) => reverseOne(s, next, hooks))
      return members.length === 0 ? next : concurrently(members)
    }
    case 'processor': {
      const { name, processor } = stage
      const reverse = processor.reverse?.bind(processor)
      if (reverse === undefined) return next
      return (m) => {
        let out: ProcessorOutput
        try {
          out = reverse(m)
        } catch (error) {
          hooks.failed(name, error, 'reverse')
          return
        }
        dispatch(out, next, name, hooks)
      }
    }
  }
}

function hasReverse(stage: ResolvedStage): boolean {
  return stage.type === 'processor'
    ? stage.processor.reverse !== undefined
    : stage.stages.some(hasReverse)
}

function concurrently(members: readonly Step[]): Step {
  return (m) => {
    const copies = freezeMessage(m)
    for (const member of members) member(copies ? frozenCopy(m) : m)
  }
}

function dispatch(out: ProcessorOutput, next: Step, name: string, hooks: StageHooks): void {
  if (out === undefined) return hooks.filtered(name)
  if (!Array.isArray(out)) return next(out as FlowMessage)
  const many = out as readonly FlowMessage[]
  if (many.length === 0) return hooks.filtered(name)
  for (const m of many) next(m)
}

/** Calls `close` on every processor of the tree; a throw is reported, the others still close. */
export function closeStages(
  stages: readonly ResolvedStage[],
  onError: (name: string, e: unknown) => void,
): void {
  for (const stage of stages) {
    if (stage.type !== 'processor') closeStages(stage.stages, onError)
    else {
      try {
        stage.processor.close?.()
      } catch (e) {
        onError(stage.name, e)
      }
    }
  }
}
