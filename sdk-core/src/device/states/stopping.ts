/** @module device state stopping: `stop` asked the transport to disconnect; waiting for close. */
export interface Stopping {
  readonly tag: 'stopping'
}
export const stopping: Stopping = { tag: 'stopping' }
