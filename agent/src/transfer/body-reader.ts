/**
 * @module body reader: the chunks of a response body, each one that arrived delivered before
 * the error that followed it. An async iterator over the stream itself would drop the chunks
 * still buffered when a connection closes early, and the next attempt would download them
 * again; here every chunk goes into our own bounded queue as it arrives.
 */
import type { Readable } from 'node:stream'

const PAUSE_ABOVE_BYTES = 1 << 20
const RESUME_BELOW_BYTES = 256 << 10

/**
 * Starts reading `body` at once (call it as soon as the response head is there) and yields
 * its chunks in order, then throws its error if it ended badly.
 */
export function bodyChunks(body: Readable): AsyncGenerator<Buffer> {
  const queue: Buffer[] = []
  let queued = 0
  let ended = false
  let failure: { error: unknown } | undefined
  let wake: (() => void) | undefined
  const notify = (): void => {
    wake?.()
    wake = undefined
  }
  const onData = (chunk: Buffer): void => {
    queue.push(chunk)
    queued += chunk.length
    if (queued > PAUSE_ABOVE_BYTES) body.pause()
    notify()
  }
  body.on('data', onData)
  body.once('end', () => {
    ended = true
    notify()
  })
  body.once('error', (error: unknown) => {
    failure ??= { error }
    notify()
  })
  // A body destroyed without an error ends with neither 'end' nor 'error'.
  const onClose = (): void => {
    if (!ended) failure ??= { error: new Error('the connection closed before the body ended') }
    notify()
  }
  if (body.destroyed) onClose()
  else body.once('close', onClose)

  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        const chunk = queue.shift()
        if (chunk !== undefined) {
          queued -= chunk.length
          if (body.isPaused() && queued < RESUME_BELOW_BYTES) body.resume()
          yield chunk
          continue
        }
        if (failure !== undefined) throw failure.error
        if (ended) return
        await new Promise<void>((resolve) => {
          wake = resolve
        })
      }
    } finally {
      body.off('data', onData)
    }
  }
  return chunks()
}
