/** @module device test harness: a `DeviceMachine` on a loopback with interfaces of every kind. */
import {
  DeviceMachine,
  ascendingIdTable,
  directPaths,
  interfaceChanges,
  storeTransactions,
  validateIndividual,
  validateObject,
  validateUnset,
} from '@astarte-ts/sdk-core'
import assert from 'node:assert/strict'
import type { DeviceConfig, DevicePairingConfig, Interface, Validated } from '@astarte-ts/sdk-core'
import {
  FakeAstarte,
  FakePairing,
  Loopback,
  ManualClock,
  MemoryStore,
  zlibInflater,
} from '@astarte-ts/runtime-testing'
import { DEVICE_ID, REALM, iface } from '../protocol/fixtures.js'

export { DEVICE_ID, REALM }
export const P = `${REALM}/${DEVICE_ID}`

const serverStream = { type: 'datastream', ownership: 'server' } as const

export const ifaces = {
  devProps: iface('org.dev.Props', { type: 'properties', ownership: 'device' }, [
    { endpoint: '/%{id}/value', allow_unset: true },
  ]),
  stored: iface('org.dev.Stored', { type: 'datastream', ownership: 'device' }, [
    { endpoint: '/%{id}/value', reliability: 'guaranteed', retention: 'stored' },
  ]),
  expiring: iface('org.dev.Expiring', { type: 'datastream', ownership: 'device' }, [
    { endpoint: '/%{id}/value', reliability: 'unique', retention: 'stored', expiry: 10 },
  ]),
  volatile: iface('org.dev.Volatile', { type: 'datastream', ownership: 'device' }, [
    { endpoint: '/%{id}/value', reliability: 'guaranteed', retention: 'volatile', expiry: 5 },
  ]),
  guaranteed: iface('org.dev.Guaranteed', { type: 'datastream', ownership: 'device' }, [
    { endpoint: '/%{id}/value', reliability: 'guaranteed' },
  ]),
  srvProps: iface('org.srv.Props', { type: 'properties', ownership: 'server' }, [
    { endpoint: '/%{id}/value', allow_unset: true },
  ]),
  srvStream: iface('org.srv.Stream', { type: 'datastream', ownership: 'server' }, [
    { endpoint: '/%{id}/value', type: 'integer', reliability: 'guaranteed' },
  ]),
  srvObject: iface('org.srv.Object', { ...serverStream, aggregation: 'object' }, [
    { endpoint: '/%{id}/a', reliability: 'unique' },
    { endpoint: '/%{id}/b', type: 'string', reliability: 'unique' },
  ]),
} as const

export const allInterfaces: Interface[] = Object.values(ifaces)

type Configurable = Omit<DeviceConfig, 'realm' | 'deviceId' | 'inflater' | 'pairing'>

export interface HarnessOptions extends Partial<Configurable> {
  readonly store?: MemoryStore
  /** Pair through a `FakePairing` (certificates of this lifetime) instead of a fixed broker. */
  readonly pairing?: {
    readonly lifetimeMs?: number
    readonly existing?: boolean
    /** How far the device's clock is behind the Pairing API's. */
    readonly clockBehindMs?: number
  }
  /** Group commit in the store's transactions (`MemoryStore.batch`), as a runtime does. */
  readonly transactions?: boolean
  /**
   * The optional pieces Node passes (default true): `interfaceChanges`, `storeTransactions`,
   * `directPaths`, `idTable: ascendingIdTable`; false gives the machine an ESP32 build has.
   */
  readonly pieces?: boolean
}

export interface Harness {
  readonly store: MemoryStore
  readonly pairing: FakePairing | undefined
  readonly machine: DeviceMachine
  readonly astarte: FakeAstarte
  readonly lb: Loopback
  /** Feeds a `send`; returns its op id. */
  send(data: Validated): number
}

export function harness(options: HarnessOptions = {}): Harness {
  const store = options.store ?? new MemoryStore()
  const interfaces = options.interfaces ?? allInterfaces
  const clock = new ManualClock()
  const { pairing: pairingOptions, transactions, pieces = true, ...rest } = options
  const pairing =
    pairingOptions === undefined
      ? undefined
      : new FakePairing({
          realm: REALM,
          deviceId: DEVICE_ID,
          now: () => clock.now() + (pairingOptions.clockBehindMs ?? 0),
          ...pairingOptions,
        })
  const machine = new DeviceMachine({
    random: () => 0.5,
    ...(pieces
      ? { interfaceChanges, storeTransactions, directPaths, idTable: ascendingIdTable }
      : {}),
    ...rest,
    ...(pairing === undefined
      ? { broker: { host: 'broker.test', port: 8883 } }
      : { pairing: pairingConfig(pairing, pairingOptions?.existing === true) }),
    realm: REALM,
    deviceId: DEVICE_ID,
    interfaces,
    store,
    inflater: zlibInflater,
  })
  const astarte = new FakeAstarte({
    realm: REALM,
    deviceId: DEVICE_ID,
    inflater: zlibInflater,
    interfaces: allInterfaces,
  })
  const lb = new Loopback({
    machine,
    astarte,
    clock,
    ...(pairing === undefined ? {} : { pairing }),
    ...(transactions === true ? { batch: <T>(fn: () => T): T => store.batch(fn) } : {}),
  })
  let opId = 0
  return {
    store,
    pairing,
    machine,
    astarte,
    lb,
    send(data) {
      lb.feed({ type: 'send', opId: ++opId, data })
      return opId
    },
  }
}

const CREDENTIALS = '/protocols/astarte_mqtt_v1/credentials'

function pairingConfig(pairing: FakePairing, existing: boolean): DevicePairingConfig {
  const base = {
    pairingUrl: 'https://api.test/pairing',
    credentialsSecret: 'c2VjcmV0IG9mIHRoZSB0ZXN0IGRldmljZSAzMiBieXRlcyE=',
    keyAlgorithm: 'ec-p256' as const,
    parseCertificate: pairing.parseCertificate,
  }
  if (!existing) return base
  // credentials of an earlier run: the peer issues them before the machine starts
  const issued = pairing.answer({
    type: 'http',
    requestId: 'setup',
    request: {
      method: 'POST',
      url: `${base.pairingUrl}/v1/${REALM}/devices/${DEVICE_ID}${CREDENTIALS}`,
      headers: {},
      body: '{}',
    },
  })
  assert(issued.type === 'http.response')
  const body = JSON.parse(issued.response.body) as { data: { client_crt: string } }
  const certificatePem = body.data.client_crt
  return { ...base, existing: { certificatePem, privateKeyPem: 'key0' } }
}

function must<T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!r.ok) throw new Error(`invalid test value: ${JSON.stringify(r.error)}`)
  return r.value
}

export const individual = (i: Interface, path: string, value: unknown): Validated =>
  must(validateIndividual(i, path, value))
export const object = (i: Interface, path: string, value: unknown): Validated =>
  must(validateObject(i, path, value))
export const unset = (i: Interface, path: string): Validated => must(validateUnset(i, path))

/** Payloads are ASCII in these tests' control messages. */
export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)
