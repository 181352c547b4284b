/**
 * @module bench device env: real devices for the bench — `Device` façades paired by the sandbox
 * (Pairing only) and connected to Mosquitto over mutual TLS, plus a raw MQTT.js client with the
 * same certificate for the baseline. Bench interfaces live in `bench/interfaces/`.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Device } from '@astarte-ts/runtime-node'
import type { Logger } from '@astarte-ts/sdk-core'
import mqtt, { type MqttClient } from 'mqtt'
import type { BenchContext } from './context.js'
import type { FleetEnv } from './fleet/fleet-env.js'
import { repoRoot } from './fleet/fleet-env.js'
import { fleetEnv } from './rows/fleet.js'

export const benchInterfaces = join(repoRoot, 'bench', 'interfaces')

const quiet: Logger = { log: () => undefined }

/** Options of a bench device; `hardwareId` names it (first boot registers it with the JWT). */
export function deviceOptions(env: FleetEnv, storeDir: string, hardwareId: string) {
  return {
    realm: env.sandbox.realm,
    pairingUrl: env.sandbox.pairingUrl,
    hardwareId,
    pairingJwt: env.sandbox.jwt,
    interfaces: [benchInterfaces],
    storeDir,
    caPem: env.sandbox.caPem,
  }
}

/** An opened (not connected) device with its own store under the run's scratch directory. */
export async function openBenchDevice(ctx: BenchContext, hardwareId: string): Promise<Device> {
  const env = await fleetEnv(ctx)
  const device = await Device.open({
    ...deviceOptions(env, join(ctx.tmpDir, 'devices'), hardwareId),
    logger: quiet,
  })
  ctx.defer(() => device.close())
  return device
}

/** A raw MQTT.js client with `device`'s certificate, another client id, same broker. */
export async function rawClient(ctx: BenchContext, device: Device): Promise<MqttClient> {
  const env = await fleetEnv(ctx)
  const dir = join(ctx.tmpDir, 'devices', device.deviceId)
  const client = await mqtt.connectAsync({
    protocol: 'mqtts',
    host: env.mosquitto.host,
    port: env.mosquitto.port,
    protocolVersion: 4,
    clientId: `${device.realm}/${device.deviceId}/raw`,
    clean: true,
    reconnectPeriod: 0,
    key: readFileSync(join(dir, 'device.key')),
    cert: readFileSync(join(dir, 'device.crt')),
    ca: env.sandbox.caPem,
  })
  ctx.defer(() => client.endAsync())
  return client
}
