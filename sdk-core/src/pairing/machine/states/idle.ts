/** @module pairing state idle: not started, or stopped; no request or timer outstanding. */

export interface Idle {
  readonly tag: 'idle'
}

export const idle: Idle = { tag: 'idle' }
