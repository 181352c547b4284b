// The windowed loop of the plain-node bench children and aids (`send-child.mjs`,
// `device-send-micro.mjs`): the same at-most-N-in-flight pacing for every contender, with one
// closure per operation and no async frame, so the loop itself costs next to nothing.

/** Starts op(0)…op(n - 1), at most `window` awaiting at once; resolves once all settled. */
export function inWindow(n, window, op) {
  return new Promise((resolve, reject) => {
    let started = 0
    let settled = 0
    const next = () => {
      if (settled === n) return resolve()
      if (started < n) op(started++).then(done, reject)
    }
    const done = () => {
      settled++
      next()
    }
    for (let i = 0; i < Math.min(n, window); i++) next()
    if (n === 0) resolve()
  })
}
