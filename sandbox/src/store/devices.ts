/**
 * @module store devices: Pairing and connection state per device. A row outlives
 * unregistration (`registered = 0`): Astarte keeps a device's data (spec §4.3.2).
 */
import type { Db } from './db.js'

/** Versions of one interface as a device declared them (introspection, spec §3.3). */
export type IntrospectionMap = Readonly<
  Record<string, { readonly major: number; readonly minor: number }>
>

/** Messages and bytes a device exchanged on one interface. */
export type ExchangedMap = Readonly<
  Record<string, { readonly msgs: number; readonly bytes: number }>
>

export interface DeviceRow {
  readonly deviceId: string
  readonly registered: boolean
  readonly secretHash: string | null
  readonly firstCredentialsRequest: number | null
  readonly credentialsInhibited: boolean
  readonly certSerial: string | null
  readonly initialIntrospection: IntrospectionMap
  readonly introspection: IntrospectionMap
  readonly lastConnection: number | null
  readonly lastDisconnection: number | null
  readonly lastSeenIp: string | null
  readonly totalReceivedMsgs: number
  readonly totalReceivedBytes: number
  readonly exchanged: ExchangedMap
  readonly purgeFormat: 'zlib' | 'plaintext'
}

interface RawRow {
  device_id: string
  registered: number
  secret_hash: string | null
  first_credentials_request: number | null
  credentials_inhibited: number
  cert_serial: string | null
  initial_introspection: string
  introspection: string
  last_connection: number | null
  last_disconnection: number | null
  last_seen_ip: string | null
  total_received_msgs: number
  total_received_bytes: number
  exchanged: string
  purge_format: string
}

/** Device repository over the sandbox database. */
export class DeviceStore {
  constructor(private readonly db: Db) {}

  get(deviceId: string): DeviceRow | undefined {
    const raw = this.db.prepare('SELECT * FROM devices WHERE device_id = ?').get(deviceId) as
      RawRow | undefined
    return raw === undefined ? undefined : fromRaw(raw)
  }

  /** Registers (or re-registers) a device with a new secret hash and initial introspection. */
  register(deviceId: string, secretHash: string, initialIntrospection: IntrospectionMap): void {
    this.db
      .prepare(
        `INSERT INTO devices
           (device_id, registered, secret_hash, initial_introspection, introspection)
         VALUES (@id, 1, @hash, @ii, @ii)
         ON CONFLICT (device_id) DO UPDATE SET registered = 1, secret_hash = @hash,
           first_credentials_request = NULL, cert_serial = NULL, initial_introspection = @ii`,
      )
      .run({ id: deviceId, hash: secretHash, ii: JSON.stringify(initialIntrospection) })
  }

  unregister(deviceId: string): void {
    this.db
      .prepare(
        `UPDATE devices SET registered = 0, secret_hash = NULL, first_credentials_request = NULL,
           cert_serial = NULL WHERE device_id = ?`,
      )
      .run(deviceId)
  }

  /** Forgets the current certificate: the broker refuses it from now on (spec §4.3.4). */
  revokeCertificate(deviceId: string): void {
    this.db.prepare('UPDATE devices SET cert_serial = NULL WHERE device_id = ?').run(deviceId)
  }

  /** Records a newly issued certificate; the device becomes `confirmed` on its first one. */
  setCertificate(deviceId: string, serial: string, ip: string | null, nowMs: number): void {
    this.db
      .prepare(
        `UPDATE devices SET cert_serial = ?, cert_request_ip = ?,
           first_credentials_request = COALESCE(first_credentials_request, ?) WHERE device_id = ?`,
      )
      .run(serial, ip, nowMs, deviceId)
  }

  setInhibited(deviceId: string, inhibited: boolean): void {
    this.db
      .prepare('UPDATE devices SET credentials_inhibited = ? WHERE device_id = ?')
      .run(inhibited ? 1 : 0, deviceId)
  }

  setIntrospection(deviceId: string, introspection: IntrospectionMap): void {
    this.db
      .prepare('UPDATE devices SET introspection = ? WHERE device_id = ?')
      .run(JSON.stringify(introspection), deviceId)
  }

  setPurgeFormat(deviceId: string, format: 'zlib' | 'plaintext'): void {
    this.db.prepare('UPDATE devices SET purge_format = ? WHERE device_id = ?').run(format, deviceId)
  }

  connected(deviceId: string, ip: string | null, nowMs: number): void {
    this.db
      .prepare('UPDATE devices SET last_connection = ?, last_seen_ip = ? WHERE device_id = ?')
      .run(nowMs, ip, deviceId)
  }

  disconnected(deviceId: string, nowMs: number): void {
    this.db
      .prepare('UPDATE devices SET last_disconnection = ? WHERE device_id = ?')
      .run(nowMs, deviceId)
  }

  /** Counts one received message of `bytes` bytes, per interface when it names one. */
  countReceived(deviceId: string, bytes: number, interfaceName: string | null): void {
    const row = this.get(deviceId)
    if (row === undefined) return
    const exchanged = { ...row.exchanged }
    if (interfaceName !== null) {
      const prev = exchanged[interfaceName] ?? { msgs: 0, bytes: 0 }
      exchanged[interfaceName] = { msgs: prev.msgs + 1, bytes: prev.bytes + bytes }
    }
    this.db
      .prepare(
        `UPDATE devices SET total_received_msgs = total_received_msgs + 1,
           total_received_bytes = total_received_bytes + ?, exchanged = ? WHERE device_id = ?`,
      )
      .run(bytes, JSON.stringify(exchanged), deviceId)
  }
}

function fromRaw(r: RawRow): DeviceRow {
  return {
    deviceId: r.device_id,
    registered: r.registered === 1,
    secretHash: r.secret_hash,
    firstCredentialsRequest: r.first_credentials_request,
    credentialsInhibited: r.credentials_inhibited === 1,
    certSerial: r.cert_serial,
    initialIntrospection: JSON.parse(r.initial_introspection) as IntrospectionMap,
    introspection: JSON.parse(r.introspection) as IntrospectionMap,
    lastConnection: r.last_connection,
    lastDisconnection: r.last_disconnection,
    lastSeenIp: r.last_seen_ip,
    totalReceivedMsgs: r.total_received_msgs,
    totalReceivedBytes: r.total_received_bytes,
    exchanged: JSON.parse(r.exchanged) as ExchangedMap,
    purgeFormat: r.purge_format === 'plaintext' ? 'plaintext' : 'zlib',
  }
}
