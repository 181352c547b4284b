/** @module device state: the union of the machine's states, each defined in its own file. */
import type { Backoff } from './states/backoff.js'
import type { Connecting } from './states/connecting.js'
import type { Failed } from './states/failed.js'
import type { Idle } from './states/idle.js'
import type { Online } from './states/online.js'
import type { Pairing } from './states/pairing.js'
import type { Stopping } from './states/stopping.js'
import type { Syncing } from './states/syncing.js'

export type DeviceState =
  Idle | Pairing | Connecting | Syncing | Online | Backoff | Stopping | Failed
