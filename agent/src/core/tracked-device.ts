/**
 * @module tracked device: the device as the features see it. Every publication a feature makes
 * (send, sendObject, setProperty, unsetProperty) is counted until it settles, so the agent's
 * shutdown can wait for what is in flight before it closes the device; everything else is the
 * device's own. Features can't close or disconnect the device: the agent owns its lifecycle.
 */
import {
  SdkError,
  type AstarteDevice,
  type DeviceApiMetrics,
  type DeviceEventName,
  type DeviceEvents,
  type DeviceStateName,
  type DeviceValue,
  type Interface,
  type InterfacePaths,
  type InterfaceRef,
  type InterfaceValue,
  type IsDeviceOwned,
  type MessageStreamOptions,
  type ObjectPaths,
  type ObjectValue,
  type Ownership,
  type PropertyEntry,
  type SendOptions,
  type ServerMessage,
  type SignalOptions,
} from '@astarte-ts/sdk-core'

/** The device handed to features, with the count of their unsettled publications. */
export class TrackedDevice implements AstarteDevice {
  readonly #device: AstarteDevice
  readonly #inFlight = new Set<Promise<unknown>>()

  constructor(device: AstarteDevice) {
    this.#device = device
  }

  get realm(): string {
    return this.#device.realm
  }
  get deviceId(): string {
    return this.#device.deviceId
  }
  get state(): DeviceStateName {
    return this.#device.state
  }

  /** Publications handed to the device whose outcome is not known yet. */
  get inFlight(): number {
    return this.#inFlight.size
  }

  /** Resolves once every publication made so far has settled (either way). */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight])
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#inFlight.add(promise)
    const done = (): void => void this.#inFlight.delete(promise)
    promise.then(done, done)
    return promise
  }

  interfaces(): Interface[] {
    return this.#device.interfaces()
  }
  metrics(): DeviceApiMetrics {
    return this.#device.metrics()
  }
  connect(options?: SignalOptions): Promise<void> {
    return this.#device.connect(options)
  }
  disconnect(): Promise<void> {
    return Promise.reject(
      new SdkError('local.agent_owns_device', "couldn't disconnect: the agent owns the connection"),
    )
  }
  close(): Promise<void> {
    return Promise.reject(
      new SdkError('local.agent_owns_device', "couldn't close the device: the agent owns it"),
    )
  }
  send<T extends Interface, P extends InterfacePaths<T>>(
    iface: T | string,
    path: P,
    value: DeviceValue<T, P>,
    options?: SendOptions,
  ): Promise<void> {
    return this.#track(this.#device.send(iface, path, value, options))
  }
  sendObject<T extends Interface, P extends ObjectPaths<T>>(
    iface: T | string,
    path: P,
    value: IsDeviceOwned<T> extends false ? never : ObjectValue<T>,
    options?: SendOptions,
  ): Promise<void> {
    return this.#track(this.#device.sendObject(iface, path, value, options))
  }
  setProperty<T extends Interface, P extends InterfacePaths<T>>(
    iface: T | string,
    path: P,
    value: DeviceValue<T, P>,
    options?: SignalOptions,
  ): Promise<void> {
    return this.#track(this.#device.setProperty(iface, path, value, options))
  }
  unsetProperty<T extends Interface, P extends InterfacePaths<T>>(
    iface: T | string,
    path: P,
    options?: SignalOptions,
  ): Promise<void> {
    return this.#track(this.#device.unsetProperty(iface, path, options))
  }
  getProperty<T extends Interface, P extends InterfacePaths<T>>(
    iface: T | string,
    path: P,
  ): InterfaceValue<T, P> | undefined {
    return this.#device.getProperty(iface, path)
  }
  properties(filter?: {
    readonly ownership?: Ownership
    readonly interfaceName?: string
  }): PropertyEntry[] {
    return this.#device.properties(filter)
  }
  messages(options?: MessageStreamOptions): AsyncIterableIterator<ServerMessage> {
    return this.#device.messages(options)
  }
  addInterface(iface: Interface): Promise<void> {
    return this.#device.addInterface(iface)
  }
  removeInterface(ref: InterfaceRef): Promise<void> {
    return this.#device.removeInterface(ref)
  }
  on<K extends DeviceEventName>(event: K, listener: (payload: DeviceEvents[K]) => void): unknown {
    return this.#device.on(event, listener)
  }
  off<K extends DeviceEventName>(event: K, listener: (payload: DeviceEvents[K]) => void): unknown {
    return this.#device.off(event, listener)
  }
}
