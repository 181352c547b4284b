// Moddable's `timer` module: `Timer.set(fn, ms)` (immediate without a delay), `Timer.repeat`,
// `Timer.clear`; the host keeps time.
import { host, register, unregister } from './host.js'

function start(callback, ms, repeat) {
  const id = register(() => {
    if (!repeat) unregister(id)
    callback(id)
  })
  host({ op: 'timer', id, ms: ms ?? 0, repeat })
  return id
}

export default {
  set: (callback, ms) => start(callback, ms, false),
  repeat: (callback, ms) => start(callback, ms, true),
  clear(id) {
    if (id === undefined) return
    unregister(id)
    host({ op: 'clearTimer', id })
  },
}
