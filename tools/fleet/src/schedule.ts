/**
 * @module fleet schedule: a binary min-heap of (time, device index) in typed arrays, the one
 * timer of the whole fleet: the ticker pops what is due instead of arming a timer per device.
 */
export class Schedule {
  private times: Float64Array
  private ids: Int32Array
  private size = 0

  constructor(capacity: number) {
    this.times = new Float64Array(Math.max(16, capacity))
    this.ids = new Int32Array(Math.max(16, capacity))
  }

  get length(): number {
    return this.size
  }

  push(atMs: number, id: number): void {
    if (this.size === this.times.length) this.grow()
    let i = this.size++
    while (i > 0) {
      const parent = (i - 1) >> 1
      if ((this.times[parent] as number) <= atMs) break
      this.times[i] = this.times[parent] as number
      this.ids[i] = this.ids[parent] as number
      i = parent
    }
    this.times[i] = atMs
    this.ids[i] = id
  }

  /** The id of the earliest entry due at `nowMs`, removed; -1 when none is due. */
  popDue(nowMs: number): number {
    if (this.size === 0 || (this.times[0] as number) > nowMs) return -1
    const id = this.ids[0] as number
    const lastTime = this.times[--this.size] as number
    const lastId = this.ids[this.size] as number
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      if (left >= this.size) break
      const right = left + 1
      const rightFirst =
        right < this.size && (this.times[right] as number) < (this.times[left] as number)
      const child = rightFirst ? right : left
      if ((this.times[child] as number) >= lastTime) break
      this.times[i] = this.times[child] as number
      this.ids[i] = this.ids[child] as number
      i = child
    }
    this.times[i] = lastTime
    this.ids[i] = lastId
    return id
  }

  private grow(): void {
    const times = new Float64Array(this.times.length * 2)
    const ids = new Int32Array(this.ids.length * 2)
    times.set(this.times)
    ids.set(this.ids)
    this.times = times
    this.ids = ids
  }
}
