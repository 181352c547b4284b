/**
 * @module bench rounds: measures contenders side by side in alternating order, so a machine
 * that gets noisier during the run penalizes both equally; reports the median of rounds, and
 * ratios paired by round.
 */

/** What a trial that timed itself returns (one run in another process, say). */
export interface SelfTimed {
  readonly units: number
  readonly seconds: number
}

/** One timed run: does some units of work and returns how many (or how many in how long). */
export type Trial = () => Promise<number | SelfTimed> | number | SelfTimed

/** A trial calling `op` `n` times; the result is kept alive so the call can't be optimized out. */
export function repeat(n: number, op: () => unknown): Trial {
  return () => {
    let last: unknown
    for (let i = 0; i < n; i++) last = op()
    sink = last
    return n
  }
}

/**
 * Runs `op(0)`…`op(n - 1)` with at most `window` in flight (Astarte's brokers allow a device
 * 100 in-flight messages, spec §3.1); resolves with `n` once all have settled.
 */
export async function windowed(
  n: number,
  window: number,
  op: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < n) await op(next++)
  }
  await Promise.all(Array.from({ length: Math.min(n, window) }, lane))
  return n
}

/** Written by `repeat`, read by nobody: keeps the last result observable. */
export let sink: unknown

export interface Contender {
  readonly name: string
  readonly trial: Trial
}

export interface RoundsResult {
  /** Units per second, median over rounds, per contender in the order given. */
  readonly medians: readonly number[]
  /** Units per second of every round, per contender. */
  readonly rounds: readonly (readonly number[])[]
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  if (sorted.length === 0) return Number.NaN
  if (sorted.length % 2 === 1) return sorted[mid] ?? Number.NaN
  return ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2
}

/**
 * Ours over the reference, paired by round: the median of `ours[r] / reference[r]`. The two ran
 * back to back in round `r`, so a machine whose speed drifts during the run moves both values of
 * a pair together; the ratio of the two medians would pair values from different moments.
 */
export function pairedRatio(ours: readonly number[], reference: readonly number[]): number {
  return median(roundRatios(ours, reference))
}

/** `ours[r] / reference[r]` for every round `r`. */
export function roundRatios(ours: readonly number[], reference: readonly number[]): number[] {
  return ours.map((value, r) => value / (reference[r] ?? Number.NaN))
}

async function timed(trial: Trial): Promise<number> {
  const start = process.hrtime.bigint()
  const result = await trial()
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  return typeof result === 'number' ? result / seconds : result.units / result.seconds
}

/** Runs `rounds` rounds; odd rounds reverse the order of the contenders. */
export async function interleave(
  contenders: readonly Contender[],
  rounds: number,
  warmup = 1,
): Promise<RoundsResult> {
  for (let w = 0; w < warmup; w++) for (const c of contenders) await c.trial()
  const perContender: number[][] = contenders.map(() => [])
  for (let r = 0; r < rounds; r++) {
    const order = contenders.map((_, i) => i)
    if (r % 2 === 1) order.reverse()
    for (const i of order) {
      const c = contenders[i]
      if (c !== undefined) perContender[i]?.push(await timed(c.trial))
    }
  }
  return { medians: perContender.map(median), rounds: perContender }
}
