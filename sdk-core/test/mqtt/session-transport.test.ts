/**
 * `SessionTransport` against a scripted broker (mqtt-packet) behind an in-memory byte stream:
 * connect failures coded as the transport contract says, and what a connection carries over —
 * resumed oldest first and re-sent before `connect` resolves on a present session, nothing sent
 * again on a lost one but what the broker owns. The real-broker proof is the transport contract
 * suite in runtime-node.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import mqttPacket from 'mqtt-packet'
import {
  SessionTransport,
  SdkError,
  type ByteStreamConnector,
  type ByteStreamEvents,
  type MqttConnectOptions,
  type MqttSessionStore,
  type MqttTransportEvents,
  type TimerHandle,
} from '@astarte-ts/sdk-core'

type Parsed = mqttPacket.Packet & Record<string, unknown>

/** One scripted broker connection: what the client wrote, and a way to answer or drop it. */
interface Link {
  readonly received: Parsed[]
  readonly events: ByteStreamEvents
  send(packet: Record<string, unknown>): void
  ended: boolean
}

function harness(sessionStore?: MqttSessionStore) {
  const links: Link[] = []
  let now = 0
  const timers = new Map<number, { at: number; fn: () => void }>()
  let nextTimer = 1
  const connector: ByteStreamConnector = {
    connect(_options, events) {
      const parser = mqttPacket.parser({ protocolVersion: 4 })
      const link: Link = {
        received: [],
        events,
        send: (p) =>
          events.data(new Uint8Array(mqttPacket.generate(p as unknown as mqttPacket.Packet))),
        ended: false,
      }
      parser.on('packet', (p) => link.received.push(p as Parsed))
      links.push(link)
      return {
        write: (bytes) => void parser.parse(Buffer.from(bytes)),
        end: () => {
          link.ended = true
        },
      }
    },
  }
  const transport = new SessionTransport({
    connector,
    clock: { now: () => now },
    timers: {
      set: (fn, delayMs): TimerHandle => {
        const id = nextTimer++
        timers.set(id, { at: now + delayMs, fn })
        return id
      },
      clear: (h) => void timers.delete(h as number),
    },
    connectTimeoutMs: 1000,
    ...(sessionStore === undefined ? {} : { sessionStore }),
  })
  const advance = (ms: number): void => {
    now += ms
    for (const [id, t] of [...timers]) {
      if (t.at > now) continue
      timers.delete(id)
      t.fn()
    }
  }
  const published: number[] = []
  const closes: unknown[] = []
  const events: MqttTransportEvents = {
    message: () => undefined,
    published: (id, error) => {
      assert.equal(error, undefined)
      published.push(id)
    },
    close: (error) => void closes.push(error),
  }
  return { transport, links, advance, published, closes, events, last: () => links.at(-1) as Link }
}

const options: MqttConnectOptions = {
  host: 'broker.test',
  port: 8883,
  clientId: 'realm/device',
  keepaliveSec: 30,
  clean: false,
  certificatePem: 'cert',
  privateKeyPem: 'key',
  ignoreTlsErrors: false,
}

/** Starts a connect, opens the stream and answers CONNACK with `returnCode`. */
function connackWith(h: ReturnType<typeof harness>, returnCode: number, sessionPresent = false) {
  const connected = h.transport.connect(options, h.events)
  h.last().events.open()
  assert.equal(h.last().received[0]?.cmd, 'connect')
  h.last().send({ cmd: 'connack', returnCode, sessionPresent })
  return connected
}

for (const [returnCode, code] of [
  [4, 'remote.certificate_rejected'],
  [5, 'remote.certificate_rejected'],
  [3, 'remote.connect_failed'],
  [2, 'remote.connect_failed'],
] as const) {
  test(`CONNACK ${returnCode} rejects connect with ${code}`, async () => {
    const h = harness()
    await assert.rejects(connackWith(h, returnCode), (e: SdkError) => {
      assert.equal(e.code, code)
      assert.equal(e.ctx['returnCode'], returnCode)
      return true
    })
    assert.equal(h.last().ended, true)
    assert.deepEqual(h.closes, [], 'a connect that rejects reports no close')
  })
}

test('the stream closing before open rejects with its own error; no CONNACK in time is a timeout', async () => {
  const h = harness()
  const alert = new SdkError('remote.certificate_rejected', "couldn't connect: refused")
  const first = h.transport.connect(options, h.events)
  h.last().events.close(alert)
  await assert.rejects(first, (e) => e === alert)
  const second = h.transport.connect(options, h.events)
  h.last().events.open()
  h.advance(1000)
  await assert.rejects(second, { code: 'remote.connect_timeout' })
  assert.equal(h.last().ended, true)
})

test('a present session: carried publishes resumed oldest first, re-sent before connect resolves', async () => {
  const h = harness()
  await connackWith(h, 0)
  for (const id of [11, 12, 13]) h.transport.publish('realm/device/t', Uint8Array.of(id), 2, id)
  const ids = h
    .last()
    .received.filter((p) => p.cmd === 'publish')
    .map((p) => p.messageId)
  // 12 gets its PUBREC, then the connection drops
  h.last().send({ cmd: 'pubrec', messageId: ids[1] })
  h.last().events.close(new SdkError('remote.connection_lost', 'gone'))
  assert.equal((h.closes[0] as SdkError).code, 'remote.connection_lost')
  assert.throws(() => h.transport.publish('t', Uint8Array.of(0), 1, 99), {
    code: 'local.not_connected',
  })

  const again = connackWith(h, 0, true)
  const resent = h.last().received.slice(1)
  assert.deepEqual(
    resent.map((p) => [p.cmd, p.messageId, p.cmd === 'publish' ? p.dup : undefined]),
    [
      ['publish', ids[0], true],
      ['pubrel', ids[1], undefined],
      ['publish', ids[2], true],
    ],
  )
  const { sessionPresent, resumed = [] } = await again
  assert.equal(sessionPresent, true)
  assert.deepEqual(
    resumed.map((r) => r.publishId),
    [11, 12, 13],
  )
  h.last().send({ cmd: 'pubcomp', messageId: ids[1] })
  await resumed[1]?.completed
  assert.deepEqual(h.published, [], 'resumed publishes complete through `completed`')
})

test('a lost session: nothing carried is sent again; what the broker took with PUBREC completes', async () => {
  const h = harness()
  await connackWith(h, 0)
  h.transport.publish('realm/device/t', Uint8Array.of(1), 1, 1)
  h.transport.publish('realm/device/t', Uint8Array.of(2), 2, 2)
  const ids = h
    .last()
    .received.filter((p) => p.cmd === 'publish')
    .map((p) => p.messageId)
  h.last().send({ cmd: 'pubrec', messageId: ids[1] })
  h.last().events.close(new SdkError('remote.connection_lost', 'gone'))

  const again = connackWith(h, 0, false)
  assert.deepEqual(h.last().received.slice(1), [], 'no DUP, no PUBREL')
  const { resumed = [] } = await again
  assert.deepEqual(
    resumed.map((r) => r.publishId),
    [2],
  )
  await resumed[0]?.completed
  // the caller publishes 1 again, as a new message
  h.transport.publish('realm/device/t', Uint8Array.of(1), 1, 3)
  const fresh = h.last().received.at(-1)
  assert.equal(fresh?.cmd === 'publish' && fresh.dup, false)
  h.last().send({ cmd: 'puback', messageId: fresh?.messageId })
  assert.deepEqual(h.published, [3])
})

test('end() says goodbye with DISCONNECT and reports a close without error', async () => {
  const h = harness()
  await connackWith(h, 0)
  const ended = h.transport.end()
  assert.equal(h.last().received.at(-1)?.cmd, 'disconnect')
  assert.equal(h.last().ended, true)
  h.last().events.close()
  await ended
  assert.deepEqual(h.closes, [undefined])
})

test('end() from a message handler: the messages of that read are reported and acknowledged first', async () => {
  const h = harness()
  await connackWith(h, 0)
  const reported: string[] = []
  let ended: Promise<void> | undefined
  h.events.message = (topic) => {
    reported.push(topic)
    ended ??= h.transport.end()
  }
  const publish = (messageId: number, topic: string) =>
    mqttPacket.generate({
      cmd: 'publish',
      topic,
      payload: Buffer.from('v'),
      qos: 1,
      messageId,
      dup: false,
      retain: false,
    })
  // two messages in one read
  h.last().events.data(new Uint8Array(Buffer.concat([publish(1, 'a'), publish(2, 'b')])))
  assert.deepEqual(reported, ['a', 'b'])
  assert.deepEqual(
    h
      .last()
      .received.slice(1)
      .map((p) => [p.cmd, p.messageId]),
    [
      ['puback', 1],
      ['puback', 2],
      ['disconnect', undefined],
    ],
  )
  h.last().events.close()
  await ended
  assert.deepEqual(h.closes, [undefined])
})

test('publish from a published handler: its bytes follow those already decided', async () => {
  const h = harness()
  await connackWith(h, 0)
  h.events.published = (publishId) => {
    if (publishId === 1) h.transport.publish('realm/device/t', Uint8Array.of(3), 0, 3)
  }
  h.transport.publish('realm/device/t', Uint8Array.of(1), 0, 1)
  h.transport.publish('realm/device/t', Uint8Array.of(2), 0, 2)
  const payloads = h
    .last()
    .received.filter((p) => p.cmd === 'publish')
    .map((p) => (p['payload'] as Buffer)[0])
  assert.deepEqual(payloads, [1, 3, 2])
})

test('a session that throws something not ours (a store port breaking its contract) ends the connection with local.session_failed; the next connect works and resumes', async () => {
  let broken = false
  const records = new Map<number, Uint8Array>()
  const flash: MqttSessionStore = {
    load: () => [...records],
    put: (key, record) => {
      // a flash driver's own exception, not an SdkError
      if (broken) throw new TypeError('flash write failed')
      records.set(key, record.slice())
    },
    delete: (key) => {
      if (broken) throw new TypeError('flash erase failed')
      records.delete(key)
    },
  }
  const h = harness(flash)
  await connackWith(h, 0)
  h.transport.publish('realm/device/t', Uint8Array.of(7), 2, 7)
  const [sent] = h.last().received.filter((p) => p.cmd === 'publish')
  broken = true
  // the PUBREC makes the session save the release: the store throws inside the session
  h.last().send({ cmd: 'pubrec', messageId: sent?.messageId })
  assert.equal(h.closes.length, 1)
  assert.equal((h.closes[0] as SdkError).code, 'local.session_failed')
  assert.match(String(((h.closes[0] as SdkError).cause as Error).message), /flash write failed/)
  assert.equal(h.last().ended, true)

  broken = false
  const again = connackWith(h, 0, true)
  const { resumed = [] } = await again
  assert.deepEqual(
    resumed.map((r) => r.publishId),
    [7],
  )
  const resent = h.last().received.slice(1)
  assert.equal(resent.length, 1)
  h.last().send({
    cmd: resent[0]?.cmd === 'pubrel' ? 'pubcomp' : 'pubrec',
    messageId: sent?.messageId,
  })
  if (resent[0]?.cmd === 'publish') h.last().send({ cmd: 'pubcomp', messageId: sent?.messageId })
  await resumed[0]?.completed
})
