/** @module device state idle: not started, or stopped; queues keep accepting stored data. */
export interface Idle {
  readonly tag: 'idle'
}
export const idle: Idle = { tag: 'idle' }
