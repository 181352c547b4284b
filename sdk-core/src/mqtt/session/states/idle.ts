/** @module mqtt session idle: no connection; ops are queued for the next one. */
export interface Idle {
  readonly tag: 'idle'
}

export const idle: Idle = { tag: 'idle' }
