/** @module device state connecting: `mqtt.connect` was requested; waiting for CONNACK. */
export interface Connecting {
  readonly tag: 'connecting'
}
export const connecting: Connecting = { tag: 'connecting' }
