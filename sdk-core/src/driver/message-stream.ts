/**
 * @module message stream: an async iterator over pushed items with a bounded buffer; it ends
 * when its signal aborts or the consumer breaks out (buffered items dropped), or when the
 * producer closes it (buffered items still delivered first).
 */
import type { MessageStreamOptions } from './device-api.js'

/** The producer side of one `for await` consumer. */
export interface MessageSink<T> {
  push(item: T): void
  close(): void
}

/** `createMessageStream`'s shape: what a runtime hands the driver for `messages()`. */
export type MessageStreamFactory = <T>(
  options: MessageStreamOptions,
  onEnd: () => void,
  onDrop: () => void,
) => { readonly iterable: AsyncIterableIterator<T>; readonly sink: MessageSink<T> }

/**
 * Creates an iterable plus its sink. `onEnd` runs once, however the stream ended (abort,
 * `close()`, `break`), so the producer can forget the sink; `onDrop` counts overflow.
 */
export function createMessageStream<T>(
  options: MessageStreamOptions,
  onEnd: () => void,
  onDrop: () => void,
): { readonly iterable: AsyncIterableIterator<T>; readonly sink: MessageSink<T> } {
  const maxBuffered = options.maxBuffered ?? 10_000
  const buffer: T[] = []
  let waiting: ((r: IteratorResult<T, undefined>) => void) | undefined
  let ended = false

  const finish = (): void => {
    if (ended) return
    ended = true
    options.signal?.removeEventListener('abort', end)
    onEnd()
    waiting?.({ done: true, value: undefined })
    waiting = undefined
  }
  const end = (): void => {
    // splice, not `length = 0`: Espruino refuses to shrink an array that way
    buffer.splice(0)
    finish()
  }
  if (options.signal?.aborted === true) end()
  else options.signal?.addEventListener('abort', end, { once: true })

  const sink: MessageSink<T> = {
    push(item) {
      if (ended) return
      if (waiting !== undefined) {
        const resolve = waiting
        waiting = undefined
        resolve({ done: false, value: item })
        return
      }
      buffer.push(item)
      if (buffer.length > maxBuffered) {
        buffer.shift()
        onDrop()
      }
    },
    close: finish,
  }

  const iterable: AsyncIterableIterator<T> = {
    next() {
      const item = buffer.shift()
      if (item !== undefined) return Promise.resolve({ done: false, value: item })
      if (ended) return Promise.resolve({ done: true, value: undefined })
      return new Promise((resolve) => {
        waiting = resolve
      })
    },
    return() {
      end()
      return Promise.resolve({ done: true, value: undefined })
    },
    [Symbol.asyncIterator]() {
      return this
    },
  }
  return { iterable, sink }
}
