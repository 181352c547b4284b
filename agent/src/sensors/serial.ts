/** @module serial: runs async jobs one after another, a failed job not stopping the next. */

/** A queue of one: `run(job)` starts `job` once every job queued before it has settled. */
export class Serial {
  #last: Promise<unknown> = Promise.resolve()

  run<T>(job: () => Promise<T>): Promise<T> {
    const next = this.#last.then(job, job)
    this.#last = next.catch(() => undefined)
    return next
  }

  /** Settles once every job queued so far has. */
  idle(): Promise<void> {
    return this.#last.then(() => undefined)
  }
}
