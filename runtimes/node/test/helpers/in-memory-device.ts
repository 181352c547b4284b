/**
 * @module in-memory device (test helper): a real `Device` (façade + sdk-core driver) on in-memory
 * ports, for what needs no broker: the façade's event rules, cancellation. Its transport
 * acknowledges publishes at once (or holds them); its Pairing API answers 403 once released, and
 * after `dropConnection()` the "broker" refuses the device's certificate, so the device ends in
 * an error it can't recover from.
 */
import {
  DeviceMachine,
  SdkError,
  ascendingIdTable,
  directPaths,
  interfaceChanges,
  type CertificateInfo,
  type HttpResponse,
  type Interface,
  type MqttConnected,
  type MqttTransport,
  type MqttTransportEvents,
} from '@astarte-ts/sdk-core'
import { MemoryStore, zlibInflater } from '@astarte-ts/runtime-testing'
import { Device, nodeScheduler, nodeTimers } from '../../src/index.js'

export interface InMemoryDevice {
  readonly device: Device
  /** From now on QoS 1 and 2 publishes wait for `releaseAcks`. */
  holdAcks(): void
  /** Publishes not yet acknowledged (see `holdAcks`), by publish id. */
  readonly held: number[]
  /** Acknowledges the held publishes. */
  releaseAcks(): void
  /** The connection drops; every later connect is refused for the device's certificate. */
  dropConnection(): void
  /** From now on the Pairing API answers 403 (a refused credentials secret). */
  refusePairing(): void
  /** What listeners threw, as the device reported it. */
  readonly listenerErrors: unknown[]
}

export function inMemoryDevice(
  options: {
    readonly interfaces?: readonly Interface[]
    /** A message the connection reports while it ends (read before the goodbye went out). */
    readonly messageOnEnd?: { readonly topic: string; readonly payload: Uint8Array }
  } = {},
): InMemoryDevice {
  const realm = 'test'
  const deviceId = 'AJInS0w3VpWpuOqkXhgZdA'
  let refuse: () => void = () => undefined
  const refused = new Promise<void>((resolve) => (refuse = resolve))
  let events: MqttTransportEvents | undefined
  let dropped = false
  const held: number[] = []
  let holding = false
  const transport: MqttTransport = {
    connect: (_options, e): Promise<MqttConnected> => {
      if (dropped) {
        return Promise.reject(new SdkError('remote.certificate_rejected', "couldn't connect"))
      }
      events = e
      return Promise.resolve({ sessionPresent: true })
    },
    subscribe: () => Promise.resolve(),
    unsubscribe: () => Promise.resolve(),
    publish: (_topic, _payload, qos, publishId) => {
      if (holding && qos > 0) held.push(publishId)
      else queueMicrotask(() => events?.published(publishId))
    },
    end: () => {
      const late = options.messageOnEnd
      if (late !== undefined) events?.message(late.topic, late.payload, 2)
      return Promise.resolve()
    },
  }
  const forbidden = async (): Promise<HttpResponse> => {
    await refused
    return { status: 403, body: '{"errors":{"detail":"Forbidden"}}' }
  }
  const certificate: CertificateInfo = {
    subjectCommonName: `${realm}/${deviceId}`,
    notBeforeMs: Date.now() - 1000,
    notAfterMs: Date.now() + 365 * 86_400_000,
    serialNumber: '01',
  }
  const store = new MemoryStore()
  // the broker a previous run learnt from Pairing: a restart connects first, Pairing alongside
  store.meta.set('astarte.pairing.broker', JSON.stringify({ host: '127.0.0.1', port: 8883 }))
  const interfaces = options.interfaces ?? []
  const tls = { certificatePem: 'CERT', privateKeyPem: 'KEY' }
  const machine = new DeviceMachine({
    realm,
    deviceId,
    interfaces,
    store,
    inflater: zlibInflater,
    interfaceChanges,
    idTable: ascendingIdTable,
    directPaths,
    random: () => 0.5,
    pairing: {
      pairingUrl: 'http://127.0.0.1:9/pairing',
      credentialsSecret: 'c2VjcmV0',
      keyAlgorithm: 'ec-p256',
      retry: { initialDelayMs: 10, maxDelayMs: 20 },
      existing: tls,
      parseCertificate: () => certificate,
    },
  })
  const listenerErrors: unknown[] = []
  const device = new Device({
    realm,
    deviceId,
    interfaces,
    machine,
    store,
    closeStore: () => undefined,
    clock: { now: () => Date.now() },
    scheduler: nodeScheduler,
    timers: nodeTimers,
    ports: {
      transport,
      http: { request: forbidden },
      crypto: {
        createKeyAndCsr: () => Promise.reject(new Error('no key generation in this test')),
        parseCertificate: () => certificate,
      },
      logger: { log: () => undefined },
      saveCredentials: () => Promise.resolve(),
      ignoreTlsErrors: false,
    },
    tls,
    onListenerError: (error) => listenerErrors.push(error),
  })
  return {
    device,
    held,
    holdAcks: () => {
      holding = true
    },
    releaseAcks: () => {
      for (const publishId of held.splice(0)) events?.published(publishId)
    },
    dropConnection: () => {
      dropped = true
      events?.close(new SdkError('remote.connection_reset', "couldn't keep the connection"))
    },
    refusePairing: refuse,
    listenerErrors,
  }
}
