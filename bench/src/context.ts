/**
 * @module bench context: run-wide settings and shared, lazily started fixtures. Sizes scale
 * with `--quick` and `--scale`, so a test can run every row with tiny sizes.
 */
import type { Goal, Reference } from './report.js'

export interface BenchSettings {
  readonly quick: boolean
  /** Multiplies every message count; `--scale 0.01` is what the shape test uses. */
  readonly scale: number
  readonly rounds: number
  /** Scratch directory of this run, removed at the end. */
  readonly tmpDir: string
}

export interface BenchContext extends BenchSettings {
  /** `full` or `quick` units, times `scale`, at least `min`. */
  count(full: number, quick: number, min?: number): number
  log(message: string): void
  /** Registers a cleanup to run at the end of the bench (reverse order). */
  defer(cleanup: () => Promise<void> | void): void
  /** One fixture per key for the whole run (a broker, a sandbox …), started on first use. */
  shared<T>(key: string, start: () => Promise<T>): Promise<T>
}

/** What a row's measurement returns; the runner judges `met` from it. */
export type Measurement = {
  readonly measured: number
  readonly details: Readonly<Record<string, unknown>>
  /** Printed under the Markdown table (`MeasuredRow.notes`). */
  readonly notes?: readonly string[]
} & (
  | {
      readonly reference: Reference
      /** Ours over the reference, paired by round (`pairedRatio`). */
      readonly ratio: number
    }
  | { readonly reference?: undefined; readonly ratio?: undefined }
)

interface RowSpecBase {
  readonly id: string
  readonly title: string
  readonly unit: string
}

export interface BuiltRowSpec extends RowSpecBase {
  readonly goal: Goal
  readonly measure: (ctx: BenchContext) => Promise<Measurement>
}

/** A row whose part of the project is not built yet; `needs` names it. */
export interface LaterRowSpec extends RowSpecBase {
  readonly needs: string
}

export type RowSpec = BuiltRowSpec | LaterRowSpec

export function createContext(settings: BenchSettings): {
  ctx: BenchContext
  close(): Promise<void>
} {
  const cleanups: (() => Promise<void> | void)[] = []
  const fixtures = new Map<string, Promise<unknown>>()
  const ctx: BenchContext = {
    ...settings,
    count(full, quick, min = 1) {
      return Math.max(min, Math.round((settings.quick ? quick : full) * settings.scale))
    },
    log(message) {
      process.stderr.write(`bench: ${message}\n`)
    },
    defer(cleanup) {
      cleanups.push(cleanup)
    },
    shared<T>(key: string, start: () => Promise<T>): Promise<T> {
      let fixture = fixtures.get(key) as Promise<T> | undefined
      if (fixture === undefined) {
        fixture = start()
        fixtures.set(key, fixture)
      }
      return fixture
    },
  }
  return {
    ctx,
    async close() {
      for (const cleanup of cleanups.reverse()) {
        try {
          await cleanup()
        } catch (e) {
          process.stderr.write(`bench: cleanup failed: ${String(e)}\n`)
        }
      }
    },
  }
}
