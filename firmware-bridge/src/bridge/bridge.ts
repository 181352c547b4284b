/**
 * @module the bridge: one serial port per MCU, one Astarte device per MCU (runtime-node), the
 * session between them, the boot counters kept beside each device's store.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SerialPort } from 'serialport'
import type { AstarteDevice, Interface, Logger } from '@astarte-ts/sdk-core'
import { Device, loadInterfaces } from '@astarte-ts/runtime-node'
import type { Hello } from '../codec/messages.js'
import type { BridgeConfig, PortConfig } from './config.js'
import { type PortMetrics, Session } from './session.js'

export interface BridgeOptions {
  readonly config: BridgeConfig
  readonly logger: Logger
  /** CA certificate (PEM) instead of `config.caFile`. */
  readonly caPem?: string
  readonly backoff?: { readonly minMs: number; readonly maxMs: number }
}

interface Port {
  readonly config: PortConfig
  readonly serial: SerialPort
  readonly session: Session
  device?: Device | undefined
  interfacesKey?: string
}

/** A running bridge. */
export class Bridge {
  private readonly ports: Port[] = []
  private metricsTimer: ReturnType<typeof setInterval> | undefined

  private constructor(
    private readonly options: BridgeOptions,
    private readonly interfaces: ReadonlyMap<string, Interface>,
  ) {}

  /** Loads the interfaces, opens every port; devices open on each MCU's first HELLO. */
  static async start(options: BridgeOptions): Promise<Bridge> {
    const loaded = await loadInterfaces([options.config.interfacesDir])
    const byName = new Map(loaded.map((i) => [`${i.name}:${i.major}:${i.minor}`, i]))
    const bridge = new Bridge(options, byName)
    await mkdir(options.config.storeDir, { recursive: true, mode: 0o700 })
    for (const p of options.config.ports) await bridge.open(p)
    const every = options.config.metricsIntervalSeconds
    if (every > 0) {
      bridge.metricsTimer = setInterval(() => {
        for (const [path, m] of Object.entries(bridge.metrics()))
          options.logger.log('info', 'bridge: port metrics', { port: path, ...m })
      }, every * 1000)
      bridge.metricsTimer.unref()
    }
    return bridge
  }

  /** Counters per port path. */
  metrics(): Record<string, PortMetrics> {
    return Object.fromEntries(this.ports.map((p) => [p.config.path, { ...p.session.metrics }]))
  }

  /** The device of the MCU on `path`, once it said HELLO. */
  device(path: string): AstarteDevice | undefined {
    return this.ports.find((p) => p.config.path === path)?.device
  }

  /** Closes ports and devices (queued data stays in each device's store). */
  async stop(): Promise<void> {
    if (this.metricsTimer !== undefined) clearInterval(this.metricsTimer)
    for (const p of this.ports) {
      p.session.close()
      await new Promise<void>((r) => (p.serial.isOpen ? p.serial.close(() => r()) : r()))
      await p.device?.close()
    }
  }

  private async open(config: PortConfig): Promise<void> {
    const { logger } = this.options
    const serial = new SerialPort({
      path: config.path,
      baudRate: config.baudRate,
      autoOpen: false,
      hupcl: false,
    })
    await new Promise<void>((resolve, reject) => serial.open((e) => (e ? reject(e) : resolve())))
    const port: Port = {
      config,
      serial,
      session: new Session({
        write: (b) => serial.write(Buffer.from(b)),
        findInterface: (n) => this.interfaces.get(n),
        device: (hello, interfaces) => this.deviceFor(port, hello, interfaces),
        lastBoot: async (id) => {
          try {
            return (JSON.parse(await readFile(this.bootFile(id), 'utf8')) as { boot?: number }).boot
          } catch {
            return undefined
          }
        },
        saveBoot: async (id, boot) => {
          const file = this.bootFile(id)
          await writeFile(`${file}.tmp`, JSON.stringify({ boot }), { mode: 0o600 })
          await rename(`${file}.tmp`, file)
        },
        logger,
      }),
    }
    serial.on('data', (chunk: Buffer) => port.session.receive(chunk))
    serial.on('error', (e) =>
      logger.log('error', 'bridge: serial port error', { port: config.path, error: e.message }),
    )
    this.ports.push(port)
    logger.log('info', 'bridge: port open', { port: config.path, baudRate: config.baudRate })
  }

  private bootFile(deviceId: string): string {
    return join(this.options.config.storeDir, deviceId, 'bridge-boot.json')
  }

  private async deviceFor(
    port: Port,
    hello: Hello,
    interfaces: readonly Interface[],
  ): Promise<Device> {
    // Without a configured device id or an identity hint, the port is the MCU's identity.
    const identity = hello.identity ?? port.config.path
    const key = hello.interfaces.join(',') + '|' + identity
    if (port.device !== undefined && port.interfacesKey === key) return port.device
    await port.device?.close()
    port.device = undefined
    const { config, logger, caPem, backoff } = { ...this.options, config: this.options.config }
    const device = await Device.open({
      realm: config.realm,
      pairingUrl: config.pairingUrl,
      ...(port.config.deviceId === undefined
        ? { hardwareId: identity }
        : { deviceId: port.config.deviceId }),
      ...(port.config.credentialsSecret === undefined
        ? {}
        : { credentialsSecret: port.config.credentialsSecret }),
      ...(config.pairingJwt === undefined ? {} : { pairingJwt: config.pairingJwt }),
      interfaces,
      storeDir: config.storeDir,
      ...(caPem !== undefined
        ? { caPem }
        : config.caFile !== undefined
          ? { caFile: config.caFile }
          : {}),
      logger,
      ...(backoff === undefined ? {} : { backoff }),
    })
    device.on('error', (e) =>
      logger.log('error', 'bridge: device error', { deviceId: device.deviceId, error: e.message }),
    )
    // Connects in the background: data is stored and acknowledged to the MCU meanwhile.
    device
      .connect()
      .catch((e: unknown) =>
        logger.log('warn', 'bridge: device stopped connecting', {
          deviceId: device.deviceId,
          error: e instanceof Error ? e.message : String(e),
        }),
      )
    port.device = device
    port.interfacesKey = key
    logger.log('info', 'bridge: MCU attached', {
      port: port.config.path,
      deviceId: device.deviceId,
      identity,
      boot: hello.bootCounter,
    })
    return device
  }
}
