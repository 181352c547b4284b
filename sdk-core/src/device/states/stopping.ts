/** @module device state stopping: `stop` asked the transport to disconnect; waiting for close. */
export interface Stopping {
  readonly tag: 'stopping'
  /** Whether a connection was up (CONNACK received), so that its end is reported. */
  readonly wasUp: boolean
}
