/** @module fleet args: the `astarte-fleet` command line, parsed into `FleetOptions`. */
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { FleetOptions } from '../run-fleet.js'

/** Bad flags or arguments: `main` prints it and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

export const usage = `usage: astarte-fleet --devices N --interfaces DIR
    --pairing-url URL --realm R --jwt TOKEN   (or env ASTARTE_PAIRING_JWT)
    [--rate MSG_PER_S=1] [--duration S=10] [--ramp S=devices/500]
    [--interface NAME [--path P]] [--cache DIR] [--prefix HWID_PREFIX=fleet]
    [--ca FILE] [--ignore-tls-errors] [--concurrency N=16] [--keepalive S=30] [--drain S=10]
    [--connect-within S=60+devices/50]
       astarte-fleet --help | --version
Sending lasts --duration once every device is connected (or --connect-within after the ramp).
The JWT needs an a_pa claim for agent registration (spec §6). Credentials are cached in one
0600 file per pairing URL + realm under --cache (default: <tmpdir>/astarte-fleet-cache), so a
re-run skips pairing. With --ca, the broker's chain is checked against that CA once per
connection (not loaded into every device's TLS context).
`

function number(text: string | undefined, name: string, fallback: number, min: number): number {
  if (text === undefined) return fallback
  const n = Number(text)
  if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number ≥ ${min}`)
  return n
}

function required(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new UsageError(`--${name} is required\n${usage}`)
  return value
}

export function parseFleetArgs(args: string[], env: NodeJS.ProcessEnv): FleetOptions {
  let values
  try {
    values = parseArgs({
      args,
      strict: true,
      options: {
        devices: { type: 'string' },
        rate: { type: 'string' },
        duration: { type: 'string' },
        ramp: { type: 'string' },
        interfaces: { type: 'string' },
        'pairing-url': { type: 'string' },
        realm: { type: 'string' },
        jwt: { type: 'string' },
        interface: { type: 'string' },
        path: { type: 'string' },
        cache: { type: 'string' },
        prefix: { type: 'string' },
        ca: { type: 'string' },
        'ignore-tls-errors': { type: 'boolean', default: false },
        concurrency: { type: 'string' },
        keepalive: { type: 'string' },
        drain: { type: 'string' },
        'connect-within': { type: 'string' },
      },
    }).values
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${usage}`)
  }
  const devices = Math.floor(number(required(values.devices, 'devices'), 'devices', 1, 1))
  if (values.path !== undefined && values.interface === undefined) {
    throw new UsageError('--path needs --interface')
  }
  const caFile = values.ca
  return {
    devices,
    rate: number(values.rate, 'rate', 1, 0.001),
    durationSec: number(values.duration, 'duration', 10, 0),
    rampSec: number(values.ramp, 'ramp', devices / 500, 0),
    interfacesDir: required(values.interfaces, 'interfaces'),
    pairingUrl: required(values['pairing-url'], 'pairing-url'),
    realm: required(values.realm, 'realm'),
    jwt: required(values.jwt ?? env['ASTARTE_PAIRING_JWT'], 'jwt'),
    cacheDir: values.cache ?? join(tmpdir(), 'astarte-fleet-cache'),
    prefix: values.prefix ?? 'fleet',
    ...(values.interface === undefined ? {} : { interfaceName: values.interface }),
    ...(values.path === undefined ? {} : { path: values.path }),
    ...(caFile === undefined ? {} : { caPem: readFileSync(caFile, 'utf8') }),
    ignoreTlsErrors: values['ignore-tls-errors'] === true,
    concurrency: Math.floor(number(values.concurrency, 'concurrency', 16, 1)),
    keepaliveSec: Math.floor(number(values.keepalive, 'keepalive', 30, 1)),
    drainSec: number(values.drain, 'drain', 10, 0),
    connectWithinSec: number(values['connect-within'], 'connect-within', 60 + devices / 50, 0),
  }
}
