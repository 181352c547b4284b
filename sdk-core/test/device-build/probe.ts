/**
 * What the application reads of sdk-core by name — a device's metrics, an error's `ctx` — as the
 * entry of a probe built by the device build (`scripts/device-bundle.mjs`, which shortens
 * internal property names) and imported from the sources: `names.test.ts` compares the two.
 */
import { DeviceMachine, MqttSession } from '../../src/index.js'
import { errorFromResponse } from '../../src/pairing/response.js'
import { MemoryStore } from '../../../runtimes/testing/src/memory-store.js'

/** The keys of a new device machine's metrics. */
export function metricsKeys(): string[] {
  const machine = new DeviceMachine({
    realm: 'test',
    deviceId: 'AAAAAAAAAAAAAAAAAAAAAA',
    interfaces: [],
    store: new MemoryStore(),
    inflater: { inflate: () => new Uint8Array(), deflate: () => new Uint8Array() },
    random: () => 0.5,
    broker: { host: 'broker.test', port: 8883 },
  })
  return Object.keys(machine.metrics()).sort()
}

/** The `ctx` of a Pairing error answer. */
export function pairingErrorCtx(): Record<string, unknown> {
  return {
    ...errorFromResponse('deviceInfo', { status: 503, body: '{"errors":{"detail":"down"}}' }).ctx,
  }
}

/** The `ctx` of the error a session closes with on a PUBACK nobody waits for. */
export function unsolicitedAckCtx(): Record<string, unknown> {
  const session = new MqttSession()
  session.handle(
    { type: 'connect', options: { clientId: 'probe', keepaliveSec: 0, clean: false } },
    0,
  )
  session.handle({ type: 'bytes', data: new Uint8Array([0x20, 2, 0, 0]) }, 1)
  for (const action of session.handle(
    { type: 'bytes', data: new Uint8Array([0x40, 2, 0, 7]) },
    2,
  )) {
    if (action.type === 'event' && action.event.type === 'closed') {
      return { ...action.event.error?.ctx }
    }
  }
  return {}
}
