/**
 * @module fleet latency histogram: publish-to-ack latencies in fixed 0.1 ms buckets up to 10 s
 * (one overflow bucket above), so percentiles are exact to 0.1 ms at any message count.
 */
const BUCKET_MS = 0.1
const BUCKETS = 100_000

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS + 1)
  private total = 0
  private maxMs = 0

  record(ms: number): void {
    const i = Math.min(BUCKETS, Math.max(0, Math.floor(ms / BUCKET_MS)))
    this.counts[i] = (this.counts[i] ?? 0) + 1
    this.total++
    if (ms > this.maxMs) this.maxMs = ms
  }

  get count(): number {
    return this.total
  }

  get max(): number {
    return this.maxMs
  }

  /** The latency at quantile `q` (0..1), as the upper edge of its bucket; 0 when empty. */
  quantile(q: number): number {
    if (this.total === 0) return 0
    const rank = Math.max(1, Math.ceil(q * this.total))
    let seen = 0
    for (let i = 0; i <= BUCKETS; i++) {
      seen += this.counts[i] ?? 0
      if (seen >= rank) return i === BUCKETS ? this.maxMs : (i + 1) * BUCKET_MS
    }
    return this.maxMs
  }
}
