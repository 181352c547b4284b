/** @module mqtt session connected: CONNACK accepted; ops flow within the in-flight window. */
import type { Connection } from '../connection.js'

export interface Connected {
  readonly tag: 'connected'
  readonly conn: Connection
}
