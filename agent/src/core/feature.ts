/**
 * @module feature: the contract between the agent and each of its feature modules (device
 * information, telemetry, commands, LEDs, later OTA and dataflows). A feature owns its Edgehog
 * interfaces: it says which it declares (only those the hardware really has), publishes through
 * the device API, and gets the server data addressed to them. Features never import a runtime.
 */
import type {
  AstarteDevice,
  Clock,
  Interface,
  Logger,
  ServerMessage,
  Timers,
} from '@astarte-ts/sdk-core'

/** What the agent hands every feature when it starts. */
export interface FeatureContext {
  /** The device, already opened with every feature's interfaces; connected or connecting. */
  readonly device: AstarteDevice
  readonly clock: Clock
  readonly timers: Timers
  /** Structured, never given secrets. */
  readonly logger: Logger
  /** A directory of the feature's own (under the agent's `store_directory`, 0700). */
  readonly stateDir: string
}

/** One feature module of the agent. */
export interface Feature {
  /** Short, stable, used in logs and state paths (`device-info`, `telemetry`, `commands`, …). */
  readonly name: string
  /**
   * The interfaces the feature declares, decided before the device opens (from the
   * configuration and the hardware present: absent hardware, no interface).
   */
  interfaces(): Promise<readonly Interface[]>
  /** Starts publishing; resolves once the feature's first publications were handed over. */
  start(context: FeatureContext): Promise<void>
  /**
   * Server data on one of the feature's interfaces. Bad data is logged with its path and
   * ignored: the feature, and the agent, keep running.
   */
  onServerMessage?(message: ServerMessage): void
  /** Stops timers and finishes (or persists) in-flight work; the device closes after. */
  stop(): Promise<void>
}
