/**
 * Fault: a broker that accepts TCP and never answers (no TLS handshake, no CONNACK), as a
 * half-dead load balancer or a firewall that swallows the traffic does. Stopping the device
 * then (`close()`, `disconnect()`, a `connect()` whose signal aborts) ends the attempt at once:
 * the socket is closed by the stop, not by the connect timeout, which is set far beyond the
 * test here so that only the stop can close it. Real sandbox (Pairing only), both Node
 * transports (MQTT.js, and sdk-core's session transport over `node:tls`, the ESP32 runtimes' code
 * path), a real listening socket.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSandbox, type Sandbox } from '@astarte-ts/sandbox'
import { SdkError, type MqttTransport } from '@astarte-ts/sdk-core'
import { Device, MqttJsTransport, sessionTransport } from '../../src/index.js'
import { deviceOptions, quiet, waitFor } from './sandbox-env.js'

/** Far past any test's end: the attempt can only end by the stop. */
const CONNECT_TIMEOUT_MS = 10 * 60_000

interface Silent {
  readonly port: number
  /** Every connection accepted, and whether the device closed it. */
  readonly sockets: { readonly socket: Socket; ended: boolean }[]
}

const transports: [string, () => MqttTransport][] = [
  ['MQTT.js', () => new MqttJsTransport({ connectTimeoutMs: CONNECT_TIMEOUT_MS })],
  ['MqttSession over node:tls', () => sessionTransport({ connectTimeoutMs: CONNECT_TIMEOUT_MS })],
]

for (const [transportName, transport] of transports)
  describe(`a broker that never answers (${transportName})`, () => {
    let silent: Silent
    let server: Server
    let sandbox: Sandbox
    let tmp: string

    before(async () => {
      const sockets: Silent['sockets'] = []
      // reads what the device sends (its TLS ClientHello) and never writes
      server = createServer((socket) => {
        const entry = { socket, ended: false }
        sockets.push(entry)
        socket.on('data', () => undefined)
        socket.on('error', () => undefined)
        socket.on('end', () => (entry.ended = true))
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      silent = { port: (server.address() as { port: number }).port, sockets }
      tmp = await mkdtemp(join(tmpdir(), 'astarte-silent-broker-'))
      sandbox = await startSandbox({
        logger: quiet,
        dataDir: join(tmp, 'sandbox'),
        broker: false,
        brokerUrl: `mqtts://127.0.0.1:${silent.port}/`,
      })
    })
    after(async () => {
      await sandbox.stop()
      for (const { socket } of silent.sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
      await rm(tmp, { recursive: true, force: true })
    })

    /** A registered device whose connect() has reached the silent socket. */
    async function connecting(name: string, signal?: AbortSignal) {
      const device = await Device.open({
        ...deviceOptions(sandbox, join(tmp, name)),
        ports: { transport: transport() },
      })
      const accepted = silent.sockets.length
      const connect = device.connect(signal === undefined ? {} : { signal })
      // the outcome is checked by each test; handled now so that an early one is never unhandled
      connect.catch(() => undefined)
      await waitFor(
        'the connection to the broker',
        () => silent.sockets.length,
        (n) => n > accepted,
        60_000,
      )
      return { device, connect, sockets: () => silent.sockets.slice(accepted) }
    }

    async function assertClosedByTheStop(sockets: () => Silent['sockets']): Promise<void> {
      await waitFor(
        'the device to close its sockets',
        () => sockets().map((s) => s.ended),
        (ended) => ended.every(Boolean),
        60_000,
      )
    }

    test('close() while connecting: the socket closed, connect() rejects with local.closed', async () => {
      const { device, connect, sockets } = await connecting('close')
      await device.close()
      assert.equal(device.state, 'closed')
      await assert.rejects(connect, (e: SdkError) => e.code === 'local.closed')
      await assertClosedByTheStop(sockets)
    })

    test('disconnect() while connecting: the socket closed, the device idle and reusable', async () => {
      const { device, connect, sockets } = await connecting('disconnect')
      await device.disconnect()
      assert.equal(device.state, 'idle')
      await assert.rejects(connect, (e: SdkError) => e.code === 'local.disconnected')
      await assertClosedByTheStop(sockets)
      await device.close()
    })

    test("connect()'s signal aborted while connecting: rejects with its reason, the socket closed", async () => {
      const controller = new AbortController()
      const { device, connect, sockets } = await connecting('abort', controller.signal)
      const reason = new Error('stopped by the test')
      controller.abort(reason)
      await assert.rejects(connect, (e) => e === reason)
      await assertClosedByTheStop(sockets)
      await device.close()
      assert.equal(device.state, 'closed')
    })
  })
