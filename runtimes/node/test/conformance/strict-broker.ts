/**
 * @module strict broker (test helper): a recording MQTT 3.1.1 broker on mutual TLS, written on
 * `node:tls` + mqtt-packet (the oracle, not our codec) to observe exactly what a device puts on
 * the wire: every packet with its flags, in order, plus the TLS facts (SNI, client certificate
 * CN). It plays Astarte's broker side of spec §3: persistent sessions by client id, CONNACK
 * `sessionPresent` told truthfully (or forced by the test), SUBACK per filter, the QoS 1/2
 * handshakes, and publishes to the device on demand. Nothing is validated here: tests assert.
 * With `redeliver`, it also keeps its own side of the session: what it published at QoS 1/2 and
 * was not acknowledged goes out again on the resumed session ([MQTT-4.4.0-1]).
 */
import { createServer } from 'node:tls'
import type { Server, TLSSocket } from 'node:tls'
import type { AddressInfo } from 'node:net'
import mqttPacket from 'mqtt-packet'
import type { IssuedCertificate } from '../helpers/pki.js'

/** A parsed packet as mqtt-packet gives it (`cmd`, `qos`, `retain`, `dup`, `topic`, …). */
export type WirePacket = mqttPacket.Packet & Record<string, unknown>

/** One packet the device sent, with the connection it came on (1, 2, … per device). */
export interface Received {
  readonly connection: number
  readonly packet: WirePacket
}

/** What the TLS layer saw of one connection. */
export interface TlsFacts {
  /** The SNI host name the client sent, or `false` without SNI. */
  readonly servername: string | false
  /** Subject CN of the client certificate. */
  readonly clientCn: string | undefined
  readonly protocol: string | null
}

export interface StrictBrokerOptions {
  /** The broker's certificate and key (its SAN decides which host names verify). */
  readonly server: IssuedCertificate
  /** CA whose client certificates are accepted. */
  readonly clientCaPem: string
  /**
   * CONNACK's session-present flag; default: true exactly when a `clean=false` session of the
   * same client id was seen before, as a persistent broker reports it.
   */
  readonly sessionPresent?: (clientId: string, clean: boolean) => boolean
  /**
   * Keeps the broker's outgoing QoS 1/2 messages until their PUBACK / PUBCOMP and, after a
   * CONNACK with session present, sends them again in its write: PUBLISH with DUP and the same
   * packet id when unacknowledged, PUBREL when the device had answered PUBREC [MQTT-4.4.0-1].
   */
  readonly redeliver?: boolean
}

export interface StrictBroker {
  readonly port: number
  /** Every packet received from devices, in arrival order. */
  readonly received: Received[]
  readonly tls: TlsFacts[]
  /** For each SUBACK sent: how many packets had been received by then (an index into `received`). */
  readonly subacksSentAt: number[]
  /** Holds SUBACKs until `releaseSubacks` (to observe what the device does meanwhile). */
  holdSubacks(): void
  releaseSubacks(): void
  /**
   * Queues a publish the next CONNACK carries in the same write, as a broker flushing a
   * persistent session's queue right after CONNACK may (one TCP segment, one TLS record).
   */
  publishWithNextConnack(topic: string, payload: Uint8Array, qos: 1 | 2): void
  /**
   * The next PUBREC from the device drops the connection instead of being answered; the next
   * CONNACK is followed by the PUBREL [MQTT-4.4.0-1] (never the PUBLISH again [MQTT-4.3.3]).
   */
  dropOnNextPubrec(): void
  /**
   * Queues packets written on the device's connection as soon as its DISCONNECT arrives, before
   * the broker closes it: data the device receives while it is ending.
   */
  publishWithNextDisconnect(topic: string, payload: Uint8Array, qos: 1 | 2): void
  /**
   * The PUBREL answering the next PUBREC from the device is held back and written on the next
   * DISCONNECT (with the `publishWithNextDisconnect` packets) instead.
   */
  holdNextPubrel(): void
  /** Connection numbers whose socket has closed, in order. */
  readonly closed: number[]
  /** Publishes to the connected device (QoS 2 handshake handled here). */
  publish(topic: string, payload: Uint8Array, qos?: 0 | 1 | 2): void
  /**
   * Queues a publish the broker writes in the same write as its next PUBACK to a device's QoS 1
   * publish: the device reads the acknowledgement of its data and a server message at once.
   */
  publishWithNextPuback(topic: string, payload: Uint8Array, qos: 1 | 2): void
  /**
   * Writes packets exactly as given (DUP flag, packet id, odd topics) in one write: what a broker
   * retrying on the same connection, or a faulty one, sends.
   */
  sendRaw(packets: ReadonlyArray<Record<string, unknown>>): void
  /** Publishes several messages in one write (one TLS record): the device reads them at once. */
  publishTogether(
    messages: ReadonlyArray<{ topic: string; payload: Uint8Array; qos: 0 | 1 | 2 }>,
  ): void
  /** Closes the device's connection from the broker side (a forced disconnect). */
  dropConnection(): void
  /** Resolves once `cond` holds over what was received; rejects after `ms`. */
  until(what: string, cond: () => boolean, ms?: number): Promise<void>
  stop(): Promise<void>
}

interface Connection {
  readonly n: number
  readonly socket: TLSSocket
}

const write = (socket: TLSSocket, packet: Record<string, unknown>): void => {
  socket.write(mqttPacket.generate(packet as unknown as mqttPacket.Packet))
}

/** Starts the broker on 127.0.0.1 with a free port. */
export async function startStrictBroker(options: StrictBrokerOptions): Promise<StrictBroker> {
  const received: Received[] = []
  const tls: TlsFacts[] = []
  const sessions = new Set<string>()
  const heldSubacks: Array<() => void> = []
  const subacksSentAt: number[] = []
  const withConnack: Buffer[] = []
  const withDisconnect: Buffer[] = []
  const withPuback: Buffer[] = []
  const closed: number[] = []
  /** The broker's side of the session (`redeliver`): its unacknowledged messages by id. */
  const outbound = new Map<number, { packet: Record<string, unknown>; pubrec: boolean }>()
  let holdPubrel = false
  let dropOnPubrec = false
  let holding = false
  let current: Connection | undefined
  let connections = 0
  let nextId = 1
  const waiters = new Set<() => void>()
  const wake = (): void => {
    for (const w of waiters) w()
  }

  const server: Server = createServer(
    {
      cert: options.server.certificatePem,
      key: options.server.privateKeyPem,
      ca: options.clientCaPem,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (socket) => {
      const conn: Connection = { n: ++connections, socket }
      current = conn
      const cert = socket.getPeerCertificate()
      tls.push({
        servername: (socket as TLSSocket & { servername: string | false }).servername,
        clientCn: typeof cert.subject?.CN === 'string' ? cert.subject.CN : undefined,
        protocol: socket.getProtocol(),
      })
      const parser = mqttPacket.parser({ protocolVersion: 4 })
      parser.on('packet', (p) => onPacket(conn, p as WirePacket))
      parser.on('error', () => socket.destroy())
      socket.on('data', (chunk: Buffer) => parser.parse(chunk))
      socket.on('error', () => undefined)
      socket.on('close', () => {
        closed.push(conn.n)
        if (current === conn) current = undefined
        wake()
      })
      wake()
    },
  )
  server.on('tlsClientError', () => undefined)

  function onPacket(conn: Connection, p: WirePacket): void {
    received.push({ connection: conn.n, packet: p })
    const { socket } = conn
    switch (p.cmd) {
      case 'connect': {
        const clientId = p['clientId'] as string
        const clean = p['clean'] as boolean
        const present =
          options.sessionPresent?.(clientId, clean) ?? (!clean && sessions.has(clientId))
        if (clean) sessions.delete(clientId)
        else sessions.add(clientId)
        if (!present) outbound.clear()
        const connack = { cmd: 'connack', returnCode: 0, sessionPresent: present }
        const packets = [connack as unknown as mqttPacket.Packet]
        for (const [messageId, out] of outbound) {
          const again = out.pubrec ? { cmd: 'pubrel', messageId } : { ...out.packet, dup: true }
          packets.push(again as unknown as mqttPacket.Packet)
        }
        const bytes = packets.map((x) => mqttPacket.generate(x))
        socket.write(Buffer.concat([...bytes, ...withConnack.splice(0)]))
        break
      }
      case 'subscribe': {
        const subs = p['subscriptions'] as Array<{ qos: number }>
        const ack = (): void => {
          subacksSentAt.push(received.length)
          write(socket, {
            cmd: 'suback',
            messageId: p.messageId,
            granted: subs.map((s) => s.qos),
          })
        }
        if (holding) heldSubacks.push(ack)
        else ack()
        break
      }
      case 'unsubscribe':
        write(socket, { cmd: 'unsuback', messageId: p.messageId })
        break
      case 'publish':
        if (p.qos === 1) {
          const puback = { cmd: 'puback', messageId: p.messageId } as mqttPacket.Packet
          socket.write(Buffer.concat([mqttPacket.generate(puback), ...withPuback.splice(0)]))
        }
        if (p.qos === 2) write(socket, { cmd: 'pubrec', messageId: p.messageId })
        break
      case 'pubrel':
        write(socket, { cmd: 'pubcomp', messageId: p.messageId })
        break
      case 'puback':
      case 'pubcomp':
        outbound.delete(p.messageId as number)
        break
      case 'pubrec': {
        const out = outbound.get(p.messageId as number)
        if (out !== undefined) out.pubrec = true
        if (holdPubrel) {
          holdPubrel = false
          withDisconnect.push(
            mqttPacket.generate({ cmd: 'pubrel', messageId: p.messageId } as mqttPacket.Packet),
          )
          break
        }
        if (dropOnPubrec) {
          dropOnPubrec = false
          withConnack.push(
            mqttPacket.generate({ cmd: 'pubrel', messageId: p.messageId } as mqttPacket.Packet),
          )
          socket.destroy()
          break
        }
        write(socket, { cmd: 'pubrel', messageId: p.messageId })
        break
      }
      case 'pingreq':
        write(socket, { cmd: 'pingresp' })
        break
      case 'disconnect':
        if (withDisconnect.length > 0) socket.write(Buffer.concat(withDisconnect.splice(0)))
        socket.end()
        break
      default:
        break
    }
    wake()
  }

  /** A PUBLISH to the device with the next packet id, kept for redelivery with `redeliver`. */
  function outgoing(topic: string, payload: Uint8Array, qos: 0 | 1 | 2): Record<string, unknown> {
    const packet = { cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain: false }
    if (qos === 0) return { ...packet, dup: false }
    const messageId = nextId++
    const publish = { ...packet, dup: false, messageId }
    if (options.redeliver === true) outbound.set(messageId, { packet: publish, pubrec: false })
    return publish
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    port,
    received,
    tls,
    subacksSentAt,
    closed,
    holdSubacks() {
      holding = true
    },
    releaseSubacks() {
      holding = false
      for (const ack of heldSubacks.splice(0)) ack()
    },
    publishWithNextConnack(topic, payload, qos) {
      const packet = { cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain: false }
      const messageId = nextId++
      withConnack.push(
        mqttPacket.generate({ ...packet, dup: false, messageId } as mqttPacket.Packet),
      )
    },
    dropOnNextPubrec() {
      dropOnPubrec = true
    },
    publishWithNextDisconnect(topic, payload, qos) {
      withDisconnect.push(
        mqttPacket.generate(outgoing(topic, payload, qos) as unknown as mqttPacket.Packet),
      )
    },
    holdNextPubrel() {
      holdPubrel = true
    },
    publish(topic, payload, qos = 2) {
      if (current === undefined) throw new Error('no device connected')
      write(current.socket, outgoing(topic, payload, qos))
    },
    publishWithNextPuback(topic, payload, qos) {
      const packet = outgoing(topic, payload, qos)
      withPuback.push(mqttPacket.generate(packet as unknown as mqttPacket.Packet))
    },
    sendRaw(packets) {
      if (current === undefined) throw new Error('no device connected')
      const bytes = packets.map((p) => mqttPacket.generate(p as unknown as mqttPacket.Packet))
      current.socket.write(Buffer.concat(bytes))
    },
    publishTogether(messages) {
      if (current === undefined) throw new Error('no device connected')
      const packets = messages.map((m) => outgoing(m.topic, m.payload, m.qos))
      current.socket.write(
        Buffer.concat(packets.map((x) => mqttPacket.generate(x as unknown as mqttPacket.Packet))),
      )
    },
    dropConnection() {
      current?.socket.destroy()
    },
    async until(what, cond, ms = 15_000) {
      const deadline = Date.now() + ms
      while (!cond()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
        await new Promise<void>((resolve) => {
          const done = (): void => {
            waiters.delete(done)
            clearTimeout(timer)
            resolve()
          }
          const timer = setTimeout(done, 100)
          waiters.add(done)
        })
      }
    },
    stop() {
      current?.socket.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
