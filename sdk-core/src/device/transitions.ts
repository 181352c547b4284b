/**
 * @module device transitions: the whole device machine as one table, state × input → step.
 * A pair that is absent is ignored (a stale ack, a timer of a state already left). Pairing
 * answers never reach this table: the machine hands them to the pairing sub-machine first.
 */
import { SdkError } from '../errors.js'
import { connect, connectionEnded, connectionLost, enterBackoff } from './connection.js'
import type { Context } from './context.js'
import { cancelTimer, warn } from './context.js'
import { drainTimeout } from './drain.js'
import { handleMessage } from './incoming.js'
import { runPairing } from './pairing-bridge.js'
import { handleSend } from './send.js'
import type { DeviceState } from './state.js'
import { idle } from './states/idle.js'
import { pairing } from './states/pairing.js'
import { onConnected, onPublished, onPublishFailed, onSyncSubscribed } from './sync.js'
import type { DeviceInput } from './types.js'

export type Step<S extends DeviceState, I extends DeviceInput> = (
  ctx: Context,
  state: S,
  input: I,
  nowMs: number,
) => DeviceState

export type In<K extends DeviceInput['type']> = Extract<DeviceInput, { type: K }>

type Table = {
  readonly [T in DeviceState['tag']]: {
    readonly [K in DeviceInput['type']]?: Step<Extract<DeviceState, { tag: T }>, In<K>>
  }
}

const begin = (ctx: Context, _state: DeviceState, _input: In<'start'>, nowMs: number) => {
  ctx.attempt = 0
  return connect(ctx, nowMs)
}
const disconnect = (ctx: Context, state: DeviceState): DeviceState => {
  // the stable timer of `online` dies with its connection
  if (state.tag === 'online') cancelTimer(ctx, state.stableTimerId)
  ctx.out.push({ type: 'mqtt.disconnect' })
  return { tag: 'stopping', wasUp: state.tag !== 'connecting' }
}

/**
 * Inputs every state accepts the same way (and `addInterface`, `removeInterface`, through the
 * optional `DeviceConfig.interfaceChanges`).
 */
const always = { send: handleSend }
/** Syncing or online: a connection is up. */
const connected: Table['syncing'] & Table['online'] = {
  ...always,
  stop: disconnect,
  'mqtt.message': handleMessage,
  'mqtt.published': onPublished,
  'mqtt.publishFailed': onPublishFailed,
  'mqtt.closed': (ctx, state, input, nowMs) => {
    if (state.tag === 'online') cancelTimer(ctx, state.stableTimerId)
    return connectionLost(ctx, nowMs, input.error, true)
  },
  timer: (ctx, state, input) => {
    // a connection that lasted resets the backoff
    if (state.tag === 'online' && input.timerId === state.stableTimerId) ctx.attempt = 0
    drainTimeout(ctx, input.timerId)
    return state
  },
}

export const transitions: Table = {
  idle: { ...always, start: begin },
  error: { ...always, start: begin, stop: () => idle },
  pairing: {
    ...always,
    stop: (ctx, state, _input, nowMs) => {
      runPairing(ctx, { type: 'pairing.stop' }, nowMs, state)
      return idle
    },
  },
  connecting: {
    ...always,
    stop: disconnect,
    // a resumed session's queue may come in the CONNACK's own TLS record, before `mqtt.connected`
    'mqtt.message': handleMessage,
    'mqtt.connected': onConnected,
    'mqtt.connectFailed': (ctx, _state, input, nowMs) => {
      ctx.lastError = input.error
      // the error's own "couldn't connect to …" says where, why and what to do (the CA to
      // trust, say); `renewing` only when the certificate was refused
      warn(ctx, input.error.message, {
        code: input.error.code,
        ...(input.certificateRejected ? { renewing: ctx.pairing !== undefined } : {}),
      })
      // spec §4.5: a refused certificate is renewed before the next attempt
      if (input.certificateRejected && ctx.pairing !== undefined) {
        // counted: a renewed certificate refused again waits a backoff (see pairing-bridge)
        ctx.attempt += 1
        return runPairing(ctx, { type: 'pairing.renew' }, nowMs, pairing)
      }
      return enterBackoff(ctx, nowMs)
    },
    'mqtt.closed': (ctx, _state, input, nowMs) => connectionLost(ctx, nowMs, input.error, false),
  },
  syncing: { ...connected, 'mqtt.subscribed': onSyncSubscribed },
  online: connected,
  backoff: {
    ...always,
    stop: (ctx, state) => {
      cancelTimer(ctx, state.timerId)
      return idle
    },
    timer: (ctx, state, input, nowMs) =>
      input.timerId === state.timerId ? connect(ctx, nowMs) : state,
  },
  stopping: {
    ...always,
    // a transport may report (and acknowledge) messages read before its goodbye went out
    'mqtt.message': handleMessage,
    'mqtt.closed': (ctx, state, input) => {
      ctx.reconnectNow = false
      const lost = new SdkError('local.connection_lost', "couldn't deliver: the device was stopped")
      connectionEnded(ctx, input.error, state.wasUp, lost)
      return idle
    },
  },
}
