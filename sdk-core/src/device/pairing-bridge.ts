/**
 * @module device pairing bridge: runs the pairing sub-machine inside the device machine. Its
 * I/O actions are forwarded verbatim; its outcomes (`pairing.ready`, `.retrying`, `.failed`)
 * move the device: connect once ready (after a backoff when the broker refused certificates twice
 * in a row), reconnect at once after a renewal (the old certificate is revoked, spec §4.3.4),
 * or when the broker moved, stop in `error` when pairing can't succeed. The broker of the last
 * device info is kept in the store, so that a restart with stored credentials connects at once
 * and Pairing checks them once the broker answered: the device info and verify requests wait for
 * the end of that connect attempt, so that they don't compete with it for the CPU (on a
 * single-core board, two TLS handshakes at once nearly double the time to connect) nor for the
 * link. A refused certificate or an invalid verdict is renewed all the same, only a round trip
 * later.
 */
import { assertNever } from '../errors.js'
import type { KeyValueStore } from '../ports.js'
import type { BrokerAddress } from '../pairing/broker-url.js'
import type { PairingAction, PairingInput } from '../pairing/machine/types.js'
import { connect, enterBackoff } from './connection.js'
import type { Context } from './context.js'
import { emit, warn } from './context.js'
import { reconnectAfterDrain } from './drain.js'
import type { DeviceState } from './state.js'

type Ready = Extract<PairingAction, { type: 'pairing.ready' }>

const META_BROKER = 'astarte.pairing.broker'

/** The broker kept by {@link rememberBroker}; `undefined` when absent or unreadable. */
function knownBroker(meta: KeyValueStore): BrokerAddress | undefined {
  const text = meta.get(META_BROKER)
  if (text === undefined) return undefined
  try {
    const { host, port } = JSON.parse(text) as { host?: unknown; port?: unknown }
    const n = port as number
    // `Number.isInteger` holds for an integer number only
    const valid = typeof host === 'string' && host !== '' && Number.isInteger(n) && n >= 1
    return valid && n <= 65535 ? { host, port: n } : undefined
  } catch {
    return undefined
  }
}

function rememberBroker(meta: KeyValueStore, broker: BrokerAddress): void {
  const text = JSON.stringify({ host: broker.host, port: broker.port })
  if (meta.get(META_BROKER) !== text) meta.set(META_BROKER, text)
}

const sameBroker = (a: BrokerAddress, b: BrokerAddress): boolean =>
  a.host === b.host && a.port === b.port

function onReady(ctx: Context, state: DeviceState, ready: Ready, nowMs: number): DeviceState {
  // The CA dates a certificate at its issue, or earlier: a clock reading before that is behind,
  // as on a board without a battery-backed clock before SNTP answered; one reading a certificate
  // just issued as expired is ahead. Its timestamps and every expiry it computes are wrong, and
  // TLS stacks that check dates refuse the servers.
  const { notBeforeMs, notAfterMs } = ready
  const skew = nowMs < notBeforeMs ? 'behind' : nowMs >= notAfterMs ? 'ahead' : undefined
  if (skew !== undefined) {
    warn(ctx, `this device's clock is ${skew}: set it (SNTP, NTP)`, {
      nowMs,
      notBeforeMs,
      notAfterMs,
    })
  }
  const moved = ctx.broker !== undefined && !sameBroker(ctx.broker, ready.brokerUrl)
  ctx.broker = ready.brokerUrl
  rememberBroker(ctx.store.meta, ready.brokerUrl)
  switch (state.tag) {
    case 'pairing':
      // after a second refused certificate in a row, no renew/connect loop: back off (§3.4)
      return ctx.attempt > 1 ? enterBackoff(ctx, nowMs) : connect(ctx, nowMs)
    case 'connecting':
    case 'syncing':
    case 'online':
      // the close that follows reconnects without backoff; queues stay as they are
      if (ready.renewed || moved) reconnectAfterDrain(ctx, nowMs)
      return state
    case 'idle':
    case 'backoff':
    case 'stopping':
    case 'error':
      return state
    default:
      return assertNever(state)
  }
}

/** Feeds `input` to the pairing sub-machine and applies what it returns. */
export function runPairing(
  ctx: Context,
  input: PairingInput,
  nowMs: number,
  state: DeviceState,
): DeviceState {
  if (ctx.pairing === undefined) return state
  const fed =
    input.type === 'pairing.start' ? { ...input, knownBroker: knownBroker(ctx.store.meta) } : input
  let next = state
  for (const action of ctx.pairing.handle(fed, nowMs)) {
    switch (action.type) {
      case 'http':
        // an early start made `ready` come first: the connect it started is under way
        if (input.type === 'pairing.start' && next.tag === 'connecting') {
          ctx.pairingAfterConnect.push(action)
        } else ctx.out.push(action)
        break
      case 'pairing.ready':
        next = onReady(ctx, next, action, nowMs)
        break
      case 'pairing.retrying':
        ctx.lastError = action.error
        // a reader wants the wait and the reason, not a clock reading and a code alone
        warn(ctx, "couldn't complete pairing, retrying", {
          step: action.step,
          attempt: action.attempt,
          inMs: action.atMs - nowMs,
          code: action.error.code,
          error: action.error.message,
        })
        break
      case 'pairing.failed':
        ctx.lastError = action.error
        if (next.tag === 'pairing') {
          emit(ctx, { type: 'failed', error: action.error })
          next = { tag: 'error', error: action.error }
        } else {
          // the current connection lives on until its certificate is refused
          warn(ctx, "couldn't check or renew the credentials", { code: action.error.code })
        }
        break
      default:
        // the pairing machine's I/O (crypto, credentials, timers), a `DeviceAction` as it is
        ctx.out.push(action)
    }
  }
  return next
}
