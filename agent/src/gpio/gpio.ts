/**
 * @module gpio: the ports through which the agent reads and drives GPIO lines — an input with
 * edge events and an output that reads back what it drives. Levels are logical: `true` is
 * active (high, or low for an active-low line), and edges follow the logical level. Real
 * adapters: `OnoffInput`/`OnoffOutput` (`onoff`, the kernel's sysfs GPIO); test adapter:
 * `SimulatedGpio`.
 */

/** Which changes of an input's level are reported. */
export type GpioEdge = 'rising' | 'falling' | 'both'

/** Told of each reported edge with the level after it; `error` when the line can't be read. */
export type GpioListener = (level: boolean) => void

/** An input line. */
export interface GpioInput {
  /** How logs name it: `gpio:17`, `simulated:17`. */
  readonly description: string
  /** Claims the line as an input. Rejects with an `SdkError` when it can't be used. */
  open(): Promise<void>
  /** Its level now. */
  read(): Promise<boolean>
  /**
   * Calls `listener` on each edge (of the kind configured) until the returned function is
   * called; `onError` gets the failures of the watch itself.
   */
  watch(listener: GpioListener, onError?: (error: Error) => void): () => void
  /** Stops every watch and releases the line. */
  close(): Promise<void>
}

/** An output line. Writes land in call order. */
export interface GpioOutput {
  readonly description: string
  /** Claims the line as an output, driven inactive. */
  open(): Promise<void>
  /** Drives it; settles once applied. */
  write(level: boolean): Promise<void>
  /** The level the line is at (read back from the line, not remembered). */
  read(): Promise<boolean>
  /** Waits for pending writes, then releases the line (it keeps its level). */
  close(): Promise<void>
}

/** Options of an input line. */
export interface GpioInputOptions {
  /** Default `both`. */
  readonly edge?: GpioEdge
  /** The line is active when low. Default false. */
  readonly activeLow?: boolean
  /** Ignore bounces shorter than this after an edge (a push button: 10–50 ms). Default 0. */
  readonly debounceMs?: number
}

/** Options of an output line. */
export interface GpioOutputOptions {
  readonly activeLow?: boolean
}
