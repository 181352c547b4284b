/** @module mqtt session wait-connack: CONNECT sent; [MQTT-3.2.0-1] the first packet is CONNACK. */
import type { Connection } from '../connection.js'

export interface WaitConnack {
  readonly tag: 'wait-connack'
  readonly conn: Connection
}
