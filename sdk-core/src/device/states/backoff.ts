/** @module device state backoff: disconnected, waiting a jittered delay before reconnecting. */
export interface Backoff {
  readonly tag: 'backoff'
  readonly timerId: string
  readonly atMs: number
}
