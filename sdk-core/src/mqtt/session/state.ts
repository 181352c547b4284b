/** @module mqtt session state: the connection states of an `MqttSession`. */
import type { Connected } from './states/connected.js'
import type { Idle } from './states/idle.js'
import type { WaitConnack } from './states/wait-connack.js'

export type SessionState = Idle | WaitConnack | Connected

/** A state with a live connection. */
export type Online = WaitConnack | Connected
