/**
 * @module slow proxy (test helper): a TCP relay on loopback between a device and its broker that
 * can stall the broker→device direction (the broker "slow to acknowledge") and cut every
 * connection at once. Bytes are never reordered, dropped or altered: TLS runs end to end through
 * it, so the device still authenticates the broker and the broker the device.
 */
import { createServer, connect, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import type { MqttTransport } from '@astarte-ts/sdk-core'
import { MqttJsTransport } from '../../src/index.js'

export interface ProxyTarget {
  readonly host: string
  readonly port: number
}

export interface SlowProxyOptions {
  /** Where connections are relayed; may be set later with `setTarget` (then refused until set). */
  readonly target?: ProxyTarget
  /**
   * Broker→device bytes are held during stalls of `stallMs` separated by flowing periods of
   * `flowMs` (each drawn uniformly in `[min, max]`), so the acknowledgements of a whole window
   * arrive late, in bursts. Absent: bytes flow freely.
   */
  readonly stalls?: {
    readonly stallMs: readonly [number, number]
    readonly flowMs: readonly [number, number]
  }
}

export interface SlowProxy {
  readonly host: string
  readonly port: number
  setTarget(target: ProxyTarget): void
  /** Holds every broker→device byte from now until `hold(false)` (then they flow, in order). */
  hold(on: boolean): void
  /** The same for device→broker bytes. */
  holdUpstream(on: boolean): void
  /** Destroys every relayed connection (both sides), as a network failure would. */
  cutAll(): void
  /** Connections accepted so far. */
  readonly accepted: number
  /** Stalls that held back at least one chunk. */
  readonly stallsHit: number
  close(): Promise<void>
}

const HOST = '127.0.0.1'

const uniform = ([min, max]: readonly [number, number]): number => min + Math.random() * (max - min)

/** Starts a proxy on a free loopback port. */
export async function startSlowProxy(options: SlowProxyOptions = {}): Promise<SlowProxy> {
  let target = options.target
  const pairs = new Set<Socket>()
  let accepted = 0
  let stallsHit = 0
  let stalled = false
  let holding = false
  let stallUsed = false
  const held: Array<() => void> = []
  let holdingUp = false
  const heldUp: Array<() => void> = []
  let timer: NodeJS.Timeout | undefined

  const flush = (): void => {
    for (const write of held.splice(0)) write()
  }
  const cycle = (): void => {
    const stalls = options.stalls
    if (stalls === undefined) return
    stalled = !stalled
    if (stalled) stallUsed = false
    else if (!holding) flush()
    timer = setTimeout(cycle, uniform(stalled ? stalls.stallMs : stalls.flowMs))
  }
  cycle()

  const server = createServer((device) => {
    accepted++
    if (target === undefined) {
      device.destroy()
      return
    }
    device.setNoDelay(true)
    const broker = connect(target.port, target.host)
    broker.setNoDelay(true)
    pairs.add(device)
    pairs.add(broker)
    const end = (): void => {
      device.destroy()
      broker.destroy()
      pairs.delete(device)
      pairs.delete(broker)
    }
    device.on('error', end).on('close', end)
    broker.on('error', end).on('close', end)
    device.on('data', (chunk: Buffer) => {
      const write = (): void => {
        if (!broker.destroyed) broker.write(chunk)
      }
      if (holdingUp) heldUp.push(write)
      else write()
    })
    broker.on('data', (chunk: Buffer) => {
      const write = (): void => {
        if (!device.destroyed) device.write(chunk)
      }
      // a chunk behind held ones waits too: order is what TLS and MQTT rely on
      if (stalled || holding || held.length > 0) {
        if (!stallUsed) stallsHit++
        stallUsed = true
        held.push(write)
      } else write()
    })
  })
  const cutAll = (): void => {
    held.length = 0
    heldUp.length = 0
    for (const socket of pairs) socket.destroy()
    pairs.clear()
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, HOST, () => resolve())
  })

  return {
    host: HOST,
    port: (server.address() as AddressInfo).port,
    setTarget(t) {
      target = t
    },
    hold(on) {
      holding = on
      if (!on && !stalled) flush()
    },
    holdUpstream(on) {
      holdingUp = on
      if (!on) for (const write of heldUp.splice(0)) write()
    },
    cutAll,
    get accepted() {
      return accepted
    },
    get stallsHit() {
      return stallsHit
    },
    async close() {
      clearTimeout(timer)
      cutAll()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** MQTT.js, but every connection goes through `proxy` whatever broker the device was told. */
export class ProxiedTransport implements MqttTransport {
  readonly #inner = new MqttJsTransport()
  readonly #proxy: SlowProxy
  constructor(proxy: SlowProxy) {
    this.#proxy = proxy
  }
  connect: MqttTransport['connect'] = (options, events) =>
    this.#inner.connect({ ...options, host: this.#proxy.host, port: this.#proxy.port }, events)
  subscribe: MqttTransport['subscribe'] = (filters, qos) => this.#inner.subscribe(filters, qos)
  unsubscribe: MqttTransport['unsubscribe'] = (filters) => this.#inner.unsubscribe(filters)
  publish: MqttTransport['publish'] = (topic, payload, qos, publishId) =>
    this.#inner.publish(topic, payload, qos, publishId)
  end: MqttTransport['end'] = () => this.#inner.end()
}
