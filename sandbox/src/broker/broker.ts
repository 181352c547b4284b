/**
 * @module broker: aedes behind node:tls with mandatory client certificates from the sandbox CA.
 * Identity comes from the certificate CN (also used as the session id, as the VerneMQ plugin
 * does); a device may only publish and subscribe below `<realm>/<device_id>` (spec §3.1).
 * Device publishes go through ingestion, in one SQLite transaction with the QoS 2 packet id, so a
 * QoS 2 message is ingested exactly once across kills and restarts (see session-persistence.ts);
 * a QoS 1 one is ingested before its PUBACK is written, so an acknowledged message is never lost.
 * A protocol error forces a disconnect and discards the session, so the next CONNACK says
 * sessionPresent=false (spec §3.10). Sessions are persistent in the sandbox's SQLite file: after
 * a restart on the same data directory a device resumes its session (sessionPresent=true).
 */
import { once } from 'node:events'
import type { AddressInfo, Socket } from 'node:net'
import { createServer, type TLSSocket } from 'node:tls'
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes'
import type { BrokerControl, SandboxContext } from '../context.js'
import type { ServerCredentials } from '../pki/ca.js'
import { ingestPublish } from '../ingest/ingest.js'
import { FrameGuard, MAX_MESSAGE_SIZE } from './frame-guard.js'
import { admittedDevice, peerIdentity, type PeerIdentity } from './identity.js'
import type { IngestOutcome } from '../ingest/outcome.js'
import type { SessionStore } from '../store/sessions.js'
import { SessionPersistence } from './session-persistence.js'
import { topicMatches } from './topic-filter.js'

export interface BrokerOptions {
  readonly host: string
  readonly port: number
  readonly server: ServerCredentials
  /** Where MQTT sessions persist (the sandbox's database). */
  readonly sessions: SessionStore
}

export interface RunningBroker {
  readonly port: number
  readonly control: BrokerControl
  stop(): Promise<void>
}

type DeviceClient = Client & { subscriptions: Record<string, { qos: number }> }

export async function startBroker(
  ctx: SandboxContext,
  options: BrokerOptions,
): Promise<RunningBroker> {
  const peers = new WeakMap<object, PeerIdentity>()
  const deviceOf = new WeakMap<Client, string>()
  const live = new Map<string, Client>()
  const persistence = new SessionPersistence(options.sessions)
  const aedes = new Aedes({ heartbeatInterval: 3_600_000, connectTimeout: 10_000, persistence })
  await aedes.listen()

  aedes.preConnect = (client, packet, callback) => {
    const peer = peers.get(client.conn)
    // The VerneMQ plugin replaces the client id with the CN: sessions are per device.
    if (peer !== undefined) packet.clientId = peer.cn
    callback(null, true)
  }

  aedes.authenticate = (client, _username, _password, callback) => {
    const peer = peers.get(client.conn)
    const deviceId = peer === undefined ? null : admittedDevice(ctx.realm, peer, ctx.devices)
    if (deviceId === null) {
      ctx.logger.log('warn', 'mqtt connection refused', { cn: peer?.cn ?? null })
      const error = new Error('not authorized') as AuthenticateError
      error.returnCode = 5
      callback(error, false)
      return
    }
    deviceOf.set(client, deviceId)
    callback(null, true)
  }

  aedes.authorizePublish = (client, packet, callback) => {
    if (client === null) return callback(null)
    const deviceId = deviceOf.get(client)
    const { topic } = packet
    if (deviceId === undefined || !underPrefix(topic, `${ctx.realm}/${deviceId}`)) {
      ctx.logger.log('warn', 'publish outside the device prefix refused', { deviceId, topic })
      return callback(new Error('publish not authorized'))
    }
    const bytes = packet.payload.length
    if (bytes > MAX_MESSAGE_SIZE) {
      ctx.logger.log('warn', 'publish above max_message_size refused', { deviceId, bytes })
      return callback(new Error('message too large'))
    }
    // QoS 1: aedes writes PUBACK before `published` runs; ingested here, the PUBACK follows the
    // commit, so a sandbox killed in between cannot lose an acknowledged message.
    callback(packet.qos === 1 ? ingest(client, deviceId, packet) : null)
  }

  aedes.authorizeSubscribe = (client, sub, callback) => {
    const allowed = underPrefix(sub.topic, `${ctx.realm}/${deviceOf.get(client)}`)
    if (!allowed) ctx.logger.log('warn', 'foreign subscription dropped', { filter: sub.topic })
    callback(null, allowed ? sub : null)
  }

  aedes.published = (packet, client, callback) => {
    const deviceId = client === null ? undefined : deviceOf.get(client)
    if (client === null || deviceId === undefined || packet.qos === 1) return callback(null)
    // The connection is gone: no PUBREC can reach the device, which sends the message again on
    // its next connection; ingesting this copy too could outlive that one's PUBREL.
    if (packet.qos === 2 && client.closed) return callback(null)
    callback(ingest(client, deviceId, packet))
  }

  /**
   * Ingests a device publish and acts on the outcome; an error (nothing committed) makes aedes
   * close the connection without acknowledging, so the device sends the message again.
   */
  function ingest(client: Client, deviceId: string, packet: PublishPacket): Error | null {
    const { topic } = packet
    const payload = new Uint8Array(packet.payload as Buffer)
    let outcome: IngestOutcome | undefined
    try {
      outcome = persistence.ingest(client, packet, () =>
        ingestPublish(ctx, deviceId, topic, payload, Date.now()),
      )
    } catch (error) {
      ctx.logger.log('error', "couldn't handle a device message", {
        deviceId,
        topic,
        error: String(error),
      })
      return error as Error
    }
    if (outcome === undefined) {
      ctx.logger.log('debug', 'duplicate QoS 2 message not ingested again', { deviceId, topic })
      return null
    }
    act(client, deviceId, topic, outcome).catch((error: unknown) => {
      ctx.logger.log('error', "couldn't answer a device message", {
        deviceId,
        topic,
        error: String(error),
      })
      client.close()
    })
    return null
  }

  async function act(
    client: Client,
    deviceId: string,
    topic: string,
    outcome: IngestOutcome,
  ): Promise<void> {
    switch (outcome.type) {
      case 'accepted':
        for (const reply of outcome.replies) await control.publish(reply.topic, reply.payload, 2)
        return
      case 'dropped':
        ctx.logger.log('warn', 'device message dropped', { deviceId, topic, error: outcome.error })
        return
      case 'disconnect':
        ctx.logger.log('warn', 'forcing disconnect and discarding session', {
          deviceId,
          topic,
          error: outcome.error,
        })
        // Closed first, so no later packet of this connection lands in the discarded session.
        client.close()
        await persistence.discardSession(client)
        return
    }
  }

  aedes.on('clientReady', (client) => {
    const deviceId = deviceOf.get(client)
    if (deviceId === undefined) return
    live.set(deviceId, client)
    ctx.devices.connected(deviceId, peers.get(client.conn)?.ip ?? null, Date.now())
    ctx.logger.log('info', 'device connected', { deviceId })
  })
  aedes.on('clientDisconnect', (client) => {
    const deviceId = deviceOf.get(client)
    if (deviceId === undefined || live.get(deviceId) !== client) return
    live.delete(deviceId)
    ctx.devices.disconnected(deviceId, Date.now())
    ctx.logger.log('info', 'device disconnected', { deviceId })
  })
  aedes.on('clientError', (client, error) => {
    const deviceId = deviceOf.get(client)
    ctx.logger.log('debug', 'mqtt client error', { deviceId, error: error.message })
  })

  const server = createServer(
    {
      cert: options.server.certPem,
      key: options.server.keyPem,
      ca: ctx.ca.certPem,
      requestCert: true,
      rejectUnauthorized: true,
      // An RSA broker also offers DHE-RSA (forward secrecy for TLS stacks without ECDHE, such
      // as Espruino's mbedTLS); without DH parameters OpenSSL would only offer RSA key exchange.
      ...(ctx.ca.pki === 'rsa' ? { dhparam: 'auto' as const } : {}),
      // Small MQTT frames: with Nagle + delayed ACKs each exchange would wait ~40 ms.
      noDelay: true,
    },
    (socket: TLSSocket) => {
      const peer = peerIdentity(socket)
      const guard = new FrameGuard(socket, (bytes) => {
        ctx.logger.log('warn', 'mqtt frame above the size limit, closed', { cn: peer?.cn, bytes })
      })
      if (peer !== null) peers.set(guard, peer)
      aedes.handle(guard)
    },
  )
  // Connections still in their TLS handshake are not aedes clients yet: tracked to close on stop.
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  server.on('tlsClientError', (error) => {
    ctx.logger.log('debug', 'tls handshake refused', { error: error.message })
  })
  server.listen(options.port, options.host)
  await once(server, 'listening')

  const control: BrokerControl = {
    isConnected: (deviceId) => live.has(deviceId),
    async hasSessionFor(deviceId, topic) {
      const client = live.get(deviceId) as DeviceClient | undefined
      const stored = async (): Promise<string[]> => {
        const subs = await persistence.subscriptionsByClient({ id: `${ctx.realm}/${deviceId}` })
        return subs.map((s) => s.topic)
      }
      const filters = client !== undefined ? Object.keys(client.subscriptions) : await stored()
      return filters.some((f) => topicMatches(f, topic))
    },
    publish: (topic, payload, qos) =>
      new Promise<void>((resolve, reject) => {
        aedes.publish(
          { cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain: false, dup: false },
          (error) => (error === undefined || error === null ? resolve() : reject(error)),
        )
      }),
  }

  return {
    port: (server.address() as AddressInfo).port,
    control,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      await closed
    },
  }
}

/** spec §3.1: a device's topics and filters are `<realm>/<device_id>` or below it. */
function underPrefix(topic: string, prefix: string): boolean {
  return topic === prefix || topic.startsWith(`${prefix}/`)
}
