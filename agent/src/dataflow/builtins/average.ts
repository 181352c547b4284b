/**
 * @module average processor: the mean of the last `window` values of each number (per field of
 * a record). Moving by default, one output per input; `tumbling=true` emits one message per
 * `window` inputs (the last one's timestamp and tags) and drops the others, which lowers the rate.
 * Values are kept in a fixed ring per field with a running sum: O(1) per message, no allocation
 * once the fields are known. No reverse: server data passes back unchanged.
 */
import type { ProcessorFactory } from '../processor.js'
import { mapNumbers } from './numeric.js'
import { OptionReader } from './options.js'

class Window {
  readonly #values: Float64Array
  #next = 0
  #count = 0
  #sum = 0

  constructor(size: number) {
    this.#values = new Float64Array(size)
  }

  add(x: number): number {
    const size = this.#values.length
    if (this.#count === size) this.#sum -= this.#values[this.#next] as number
    else this.#count++
    this.#values[this.#next] = x
    this.#sum += x
    this.#next = (this.#next + 1) % size
    // a running sum drifts: recompute it once per lap
    if (this.#next === 0) {
      let s = 0
      for (let i = 0; i < this.#count; i++) s += this.#values[i] as number
      this.#sum = s
    }
    return this.#sum / this.#count
  }

  reset(): void {
    this.#next = 0
    this.#count = 0
    this.#sum = 0
  }
}

/** `average(window=10, tumbling=false, field=<all numbers>)`. */
export const average: ProcessorFactory = (options) => {
  const o = new OptionReader('average', options)
  const size = o.number('window', 10)
  const tumbling = o.boolean('tumbling', false)
  const field = o.optionalString('field')
  o.done()
  if (!Number.isInteger(size) || size < 1 || size > 1_000_000) {
    throw o.problem('window', 'must be an integer from 1 to 1000000')
  }
  const windows = new Map<string, Window>()
  const mean = (x: number, name: string): number => {
    let w = windows.get(name)
    if (w === undefined) {
      w = new Window(size)
      windows.set(name, w)
    }
    return w.add(x)
  }
  let seen = 0
  return {
    process(m) {
      const out = mapNumbers(m, field, mean)
      if (!tumbling) return out
      if (++seen < size) return undefined
      seen = 0
      for (const w of windows.values()) w.reset()
      return out
    },
  }
}
