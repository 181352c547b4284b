/**
 * @module bench device env: real devices for the bench — `Device` façades paired by the sandbox
 * (Pairing only) and connected to Mosquitto over mutual TLS. Bench interfaces live in
 * `bench/interfaces/`.
 */
import { join } from 'node:path'
import { Device } from '@astarte-ts/runtime-node'
import type { Logger } from '@astarte-ts/sdk-core'
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
