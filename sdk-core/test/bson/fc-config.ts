/** Shared fast-check settings: fixed seed, runs from `FC_NUM_RUNS` (default 10 000). */
export const numRuns = Number(process.env['FC_NUM_RUNS'] ?? 10000)
export const fcOptions = { seed: 0x5eed_a57a, numRuns } as const
/** Fuzz properties run ten times more (100 000 by default). */
export const fuzzOptions = { seed: 0x5eed_f022, numRuns: numRuns * 10 } as const
