/**
 * @module action runner: performs the device machine's actions through the host's ports (MQTT,
 * HTTP, crypto, credential files, timers) and turns each outcome into the machine's next input.
 * Outcomes of a connection that has since been replaced are ignored (connection epochs), so a
 * late callback of a dead socket can never confuse the core.
 */
import { assertNever, SdkError } from '../errors.js'
import type { DeviceAction, DeviceEvent, DeviceInput } from '../device/types.js'
import type { Clock, CryptoProvider, HttpClient, Logger, MqttTransport, Timers } from '../ports.js'
import { toSdkError } from './sdk-error-of.js'
import { TimerTable } from './timer-table.js'

/** How long a disconnect may take before the core is told the connection is gone anyway. */
const END_GRACE_MS = 3000

/** The TLS material the runner adds to the core's connect options. */
export interface TlsMaterial {
  certificatePem: string
  privateKeyPem: string
}

export interface ActionRunnerPorts {
  readonly transport: MqttTransport
  readonly http: HttpClient
  readonly crypto: CryptoProvider
  readonly logger: Logger
  /** Persists renewed credentials atomically (0600); resolves once they are on disk. */
  readonly saveCredentials: (tls: TlsMaterial) => Promise<void>
  readonly clock: Clock
  readonly timers: Timers
  readonly caPem?: string
  readonly ignoreTlsErrors: boolean
}

const closed = (error: unknown): DeviceInput =>
  error === undefined ? { type: 'mqtt.closed' } : { type: 'mqtt.closed', error: toSdkError(error) }

export class ActionRunner {
  readonly #ports: ActionRunnerPorts
  // a no-op once closed: later outcomes are ignored
  #feed: (input: DeviceInput) => void
  readonly #onEvent: (event: DeviceEvent) => void
  readonly #timers: TimerTable<string>
  #tls: TlsMaterial | undefined
  #epoch = 0
  // the connection being ended by `mqtt.disconnect`, until it closed
  #ending: number | undefined
  #connected = false

  constructor(
    ports: ActionRunnerPorts,
    tls: TlsMaterial | undefined,
    feed: (input: DeviceInput) => void,
    onEvent: (event: DeviceEvent) => void,
  ) {
    this.#ports = ports
    this.#timers = new TimerTable(ports.timers, ports.clock)
    this.#tls = tls
    this.#feed = feed
    this.#onEvent = onEvent
  }

  /** Feeds `input` only while `epoch` is still the live connection. */
  #onConnection(epoch: number, input: DeviceInput): void {
    if (epoch === this.#epoch) this.#feed(input)
  }

  run(action: DeviceAction): void {
    switch (action.type) {
      case 'mqtt.connect':
        this.#connect(action.options)
        return
      case 'mqtt.subscribe': {
        const epoch = this.#epoch
        this.#ports.transport.subscribe(action.filters, action.qos).then(
          () => this.#onConnection(epoch, { type: 'mqtt.subscribed', requestId: action.requestId }),
          (error: unknown) => this.#connectionLost(epoch, error),
        )
        return
      }
      case 'mqtt.unsubscribe': {
        const epoch = this.#epoch
        this.#ports.transport
          .unsubscribe(action.filters)
          .catch((error: unknown) => this.#connectionLost(epoch, error))
        return
      }
      case 'mqtt.publish':
        // once per message sent: allocates nothing that lives until the ack (the outcome comes
        // through the connection's `published` event, within this call for a QoS 0 write: the
        // device's input FIFO keeps that from re-entering the machine)
        try {
          this.#ports.transport.publish(action.topic, action.payload, action.qos, action.publishId)
        } catch (error) {
          this.#published(this.#epoch, action.publishId, toSdkError(error))
        }
        return
      case 'mqtt.disconnect':
        // outcomes of the ended connection are void from here on, but for the messages it may
        // still report (and so acknowledge) until it closed: those are the device's
        this.#ending = this.#epoch
        this.#epoch++
        this.#connected = false
        this.#disconnect()
        return
      case 'timer.set':
        this.#timers.set(action.timerId, action.atMs, () =>
          this.#feed({ type: 'timer', timerId: action.timerId }),
        )
        return
      case 'timer.cancel':
        this.#timers.cancel(action.timerId)
        return
      case 'http':
        this.#answer(
          this.#ports.http.request(action.request),
          action.requestId,
          'http.failed',
          (response) => ({ type: 'http.response', requestId: action.requestId, response }),
        )
        return
      case 'crypto.createKeyAndCsr':
        this.#answer(
          this.#ports.crypto.createKeyAndCsr(action.algorithm, action.commonName),
          action.requestId,
          'crypto.failed',
          ({ privateKeyPem, csrPem }) => ({
            type: 'crypto.keyAndCsr',
            requestId: action.requestId,
            privateKeyPem,
            csrPem,
          }),
        )
        return
      case 'credentials.save': {
        const tls = { certificatePem: action.certificatePem, privateKeyPem: action.privateKeyPem }
        this.#answer(
          this.#ports.saveCredentials(tls),
          action.requestId,
          'credentials.saveFailed',
          () => {
            this.#tls = tls
            return { type: 'credentials.saved', requestId: action.requestId }
          },
        )
        return
      }
      case 'event':
        this.#onEvent(action.event)
        return
      default:
        assertNever(action)
    }
  }

  /** Feeds the pairing answer of `work`'s outcome: `answer`'s input, or `failed` with the error. */
  #answer<T>(
    work: Promise<T>,
    requestId: string,
    failed: 'http.failed' | 'crypto.failed' | 'credentials.saveFailed',
    answer: (value: T) => DeviceInput,
  ): void {
    work.then(
      (value) => this.#feed(answer(value)),
      (error: unknown) => this.#feed({ type: failed, requestId, error: toSdkError(error) }),
    )
  }

  #published(epoch: number, publishId: number, error?: SdkError): void {
    this.#onConnection(
      epoch,
      error === undefined
        ? { type: 'mqtt.published', publishId }
        : { type: 'mqtt.publishFailed', publishId, error },
    )
  }

  #connect(options: {
    host: string
    port: number
    clientId: string
    keepaliveSec: number
    clean: boolean
  }): void {
    const epoch = ++this.#epoch
    const tls = this.#tls
    if (tls === undefined) {
      this.#feed({
        type: 'mqtt.connectFailed',
        error: new SdkError(
          'local.no_credentials',
          "couldn't connect without a device certificate",
        ),
        certificateRejected: true,
      })
      return
    }
    this.#ports.transport
      .connect(
        {
          ...options,
          certificatePem: tls.certificatePem,
          privateKeyPem: tls.privateKeyPem,
          ...(this.#ports.caPem === undefined ? {} : { caPem: this.#ports.caPem }),
          ignoreTlsErrors: this.#ports.ignoreTlsErrors,
        },
        {
          message: (topic, payload) => {
            if (epoch === this.#ending || epoch === this.#epoch) {
              this.#feed({ type: 'mqtt.message', topic, payload })
            }
          },
          published: (publishId, error) => this.#published(epoch, publishId, error),
          close: (error) => this.#connectionLost(epoch, error),
        },
      )
      .then(
        ({ sessionPresent, resumed = [] }) => {
          // a connection that completed after it was given up on is closed, never used
          if (epoch !== this.#epoch) {
            this.#ports.transport.end().catch(() => undefined)
            return
          }
          this.#connected = true
          const publishIds = resumed.map((r) => r.publishId)
          this.#feed({ type: 'mqtt.connected', sessionPresent, resumed: publishIds })
          // publishes of earlier connections that the transport completes on this one, queued
          // after the CONNACK, which puts them back in flight
          for (const { publishId, completed } of resumed) {
            completed.then(
              () => this.#published(epoch, publishId),
              (error: unknown) => this.#published(epoch, publishId, toSdkError(error)),
            )
          }
        },
        (error: unknown) => {
          const e = toSdkError(error)
          this.#onConnection(epoch, {
            type: 'mqtt.connectFailed',
            error: e,
            certificateRejected: e.code === 'remote.certificate_rejected',
          })
        },
      )
  }

  /**
   * Ends the connection; reports `mqtt.closed` once it closed, or after `END_GRACE_MS` at the
   * latest: a transport still waiting for its CONNACK may not close before it gets one.
   */
  #disconnect(): void {
    let reported = false
    const report = (error?: unknown): void => {
      if (reported) return
      reported = true
      this.#ending = undefined
      this.#ports.timers.clear(timer)
      this.#feed(closed(error))
    }
    const timer = this.#ports.timers.set(() => report(), END_GRACE_MS)
    this.#ports.transport.end().then(() => report(), report)
  }

  /** A live connection ended: report it once, then forget the epoch. */
  #connectionLost(epoch: number, error: unknown): void {
    if (epoch !== this.#epoch || !this.#connected) return
    this.#connected = false
    this.#epoch++
    this.#feed(closed(error))
  }

  /** Stops every timer and ignores all later outcomes. */
  close(): void {
    this.#feed = () => undefined
    this.#epoch++
    this.#timers.clear()
  }
}
