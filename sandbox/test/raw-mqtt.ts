/**
 * @module raw mqtt (test helper): an MQTT 3.1.1 client over mutual TLS with no session logic of
 * its own — mqtt-packet encodes and parses, the test sends every PUBLISH, PUBREC, PUBREL and DUP
 * itself, so it can stop a QoS handshake at any step and resume it after a broker restart.
 */
import { connect, type TLSSocket } from 'node:tls'
import mqttPacket from 'mqtt-packet'

/** A parsed packet (`cmd`, `messageId`, `dup`, `topic`, `payload`, …). */
export type RawPacket = mqttPacket.Packet & {
  readonly messageId?: number
  readonly qos?: number
  readonly dup?: boolean
  readonly topic?: string
  readonly payload?: Buffer
  readonly sessionPresent?: boolean
  readonly returnCode?: number
}

export interface RawClient {
  readonly sessionPresent: boolean
  send(packet: Record<string, unknown>): void
  /** The next packet received (in order); rejects if none comes within `ms`. */
  next(ms?: number): Promise<RawPacket>
  close(): Promise<void>
}

export interface RawTarget {
  readonly mqttUrl: string
  readonly caPem: string
}

/** Connects with a client certificate and waits for an accepting CONNACK. */
export async function rawConnect(
  target: RawTarget,
  tls: { readonly certPem: string; readonly keyPem: string },
  clean = false,
): Promise<RawClient> {
  const url = new URL(target.mqttUrl)
  const socket: TLSSocket = connect({
    host: url.hostname,
    port: Number(url.port),
    ca: target.caPem,
    cert: tls.certPem,
    key: tls.keyPem,
  })
  socket.setNoDelay(true)
  const inbox: RawPacket[] = []
  const waiters: Array<() => void> = []
  const parser = mqttPacket.parser()
  parser.on('packet', (p) => {
    inbox.push(p as RawPacket)
    for (const wake of waiters.splice(0)) wake()
  })
  socket.on('data', (chunk: Buffer) => parser.parse(chunk))
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  socket.on('error', () => undefined)
  closed.then(() => waiters.splice(0).forEach((wake) => wake()))

  const send = (packet: Record<string, unknown>): void => {
    socket.write(mqttPacket.generate(packet as unknown as mqttPacket.Packet))
  }
  const next = async (ms = 5000): Promise<RawPacket> => {
    const end = Date.now() + ms
    while (inbox.length === 0) {
      if (socket.destroyed) throw new Error('connection closed')
      const left = end - Date.now()
      if (left <= 0) throw new Error('no packet in time')
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
    return inbox.shift() as RawPacket
  }

  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve())
    socket.once('error', reject)
  })
  // The broker takes the certificate CN as the client id, whatever is sent here.
  send({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clientId: 'raw',
    clean,
    keepalive: 0,
  })
  const connack = await next()
  if (connack.cmd !== 'connack' || connack.returnCode !== 0) {
    socket.destroy()
    throw new Error(`refused: ${JSON.stringify(connack)}`)
  }
  return {
    sessionPresent: connack.sessionPresent === true,
    send,
    next,
    async close() {
      socket.destroy()
      await closed
    },
  }
}
