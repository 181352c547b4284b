/**
 * @module transport contract: the behaviour every `MqttTransport` must show (style rule 13), as
 * `ports.ts` writes it, proven against a real broker over mutual TLS. Each runtime runs it on its
 * transports (runtime-node: MQTT.js's, and sdk-core's `SessionTransport` over `node:tls`). What
 * the broker received is read from its other side (an observer subscribed at QoS 2), never from
 * the transport under test.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { SdkError } from '@astarte-ts/sdk-core'
import type {
  MqttConnected,
  MqttConnectOptions,
  MqttTransport,
  MqttTransportEvents,
} from '@astarte-ts/sdk-core'

/** A message as the broker's other side received it. */
export interface ObservedMessage {
  readonly topic: string
  readonly payload: Uint8Array
  readonly qos: 0 | 1 | 2
}

/** The broker's other side (Astarte's, in the field), on a connection of its own. */
export interface TransportObserver {
  /** What arrived on the filter it watches, in order. */
  readonly messages: readonly ObservedMessage[]
  /** Publishes as the server would (a server-to-device message). */
  publish(topic: string, payload: Uint8Array, qos: 1 | 2): Promise<void>
  close(): Promise<void>
}

/** A real broker over mutual TLS and the means to break connections to it. */
export interface TransportContractEnv {
  /** A fresh transport under test. */
  transport(): MqttTransport
  /**
   * Options of a fresh device identity (`clean: false`); its topics are those under its
   * `clientId`. Its connections go through a relay that `holdAcks` and `cutAll` act on.
   */
  device(): Promise<MqttConnectOptions>
  /** Subscribes at QoS 2 to `filter` as the broker's other side; resolves once subscribed. */
  observe(filter: string): Promise<TransportObserver>
  /** Options whose client certificate the broker refuses in the TLS handshake. */
  refusedCertificate(): Promise<MqttConnectOptions>
  /** Options that a broker answers with CONNACK 5 (not authorized). */
  refusedIdentity(): Promise<MqttConnectOptions>
  /** Options whose broker certificate we must not trust. */
  untrustedBroker(): Promise<MqttConnectOptions>
  /** Options of an address where nothing listens. */
  nobodyListening(): Promise<MqttConnectOptions>
  /** Holds every broker→device byte of the relayed connections until `holdAcks(false)`. */
  holdAcks(on: boolean): void
  /** Breaks every relayed connection at once, as a network failure; held bytes are lost. */
  cutAll(): void
  dispose(): Promise<void>
}

const WAIT_MS = 15_000

/** Polls `cond` until it holds; fails naming `what` after a generous deadline. */
async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

interface Outcome {
  readonly publishId: number
  readonly error: SdkError | undefined
  /** Closes seen before it was reported. */
  readonly closesBefore: number
}

/**
 * The caller side of a transport, as the device uses it: every publish is named by an id, and
 * the publishes a dead connection left unreported are the caller's again unless the next CONNACK
 * resumes them.
 */
class Caller {
  readonly messages: ObservedMessage[] = []
  readonly closes: unknown[] = []
  readonly outcomes: Outcome[] = []
  /** Published and neither reported nor resumed, by publish id. */
  readonly unreported = new Map<number, { topic: string; payload: Uint8Array; qos: 0 | 1 | 2 }>()
  /** The `resumed` ids of each CONNACK, in the order given. */
  readonly resumedLists: number[][] = []
  readonly completed: number[] = []
  #nextId = 1

  constructor(readonly transport: MqttTransport) {}

  readonly events: MqttTransportEvents = {
    message: (topic, payload, qos) => void this.messages.push({ topic, payload, qos }),
    published: (publishId, error) => {
      this.outcomes.push({ publishId, error, closesBefore: this.closes.length })
      this.unreported.delete(publishId)
    },
    close: (error) => void this.closes.push(error),
  }

  async connect(options: MqttConnectOptions): Promise<MqttConnected> {
    const connected = await this.transport.connect(options, this.events)
    const resumed = connected.resumed ?? []
    this.resumedLists.push(resumed.map((r) => r.publishId))
    for (const r of resumed) {
      r.completed.then(
        () => {
          this.completed.push(r.publishId)
          this.unreported.delete(r.publishId)
        },
        () => undefined,
      )
    }
    return connected
  }

  publish(topic: string, payload: Uint8Array, qos: 0 | 1 | 2): number {
    const publishId = this.#nextId++
    this.unreported.set(publishId, { topic, payload, qos })
    this.transport.publish(topic, payload, qos, publishId)
    return publishId
  }

  /** Publishes anew, oldest first, what the last connection lost and the CONNACK did not resume. */
  republishLost(): void {
    const resumed = new Set(this.resumedLists.at(-1))
    for (const [id, m] of [...this.unreported]) {
      if (resumed.has(id)) continue
      this.unreported.delete(id)
      this.publish(m.topic, m.payload, m.qos)
    }
  }

  reported(publishId: number): boolean {
    return (
      this.outcomes.some((o) => o.publishId === publishId) || this.completed.includes(publishId)
    )
  }
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

/** Counts of each payload text; `[missing, repeated]` against `expected`. */
function tally(messages: readonly ObservedMessage[], expected: readonly string[]) {
  const seen = new Map<string, number>()
  for (const m of messages) seen.set(text(m.payload), (seen.get(text(m.payload)) ?? 0) + 1)
  return {
    missing: expected.filter((e) => !seen.has(e)),
    repeated: [...seen].filter(([, n]) => n > 1).map(([e]) => e),
  }
}

const assertNotCertificateRejected = (e: unknown): true => {
  assert.ok(e instanceof SdkError, `an SdkError, got ${String(e)}`)
  assert.match(e.code, /^remote\./)
  assert.notEqual(e.code, 'remote.certificate_rejected', 'a new certificate would not help')
  return true
}

/**
 * Runs the `MqttTransport` contract against the transports `makeEnv` gives, on its broker.
 *
 * ```ts
 * describeTransportContract('session transport', () => mosquittoEnv(() => sessionTransport()))
 * ```
 */
export function describeTransportContract(
  name: string,
  makeEnv: () => Promise<TransportContractEnv>,
): void {
  describe(`MqttTransport contract: ${name}`, () => {
    let env: TransportContractEnv
    const ended: MqttTransport[] = []
    before(async () => {
      env = await makeEnv()
    })
    after(async () => {
      for (const t of ended) await t.end()
      await env.dispose()
    })
    /** A caller on a fresh transport, ended after the suite. */
    const caller = (): Caller => {
      const transport = env.transport()
      ended.push(transport)
      return new Caller(transport)
    }

    test('sessionPresent follows the broker session; end() closes without error', async () => {
      const options = await env.device()
      const c = caller()
      const first = await c.connect(options)
      assert.equal(first.sessionPresent, false)
      assert.deepEqual(first.resumed ?? [], [])
      await assert.rejects(c.transport.connect(options, c.events), {
        code: 'local.already_connected',
      })
      await c.transport.end()
      assert.deepEqual(c.closes, [undefined])
      assert.throws(() => c.publish(`${options.clientId}/a`, bytes('x'), 1), {
        code: 'local.not_connected',
      })
      assert.equal((await c.connect(options)).sessionPresent, true)
      await c.transport.end()
      assert.equal((await c.connect({ ...options, clean: true })).sessionPresent, false)
      await c.transport.end()
    })

    test('publishes of every QoS are reported once and reach the broker with their QoS', async () => {
      const options = await env.device()
      const observer = await env.observe(`${options.clientId}/#`)
      const c = caller()
      await c.connect(options)
      const ids = ([0, 1, 2] as const).map((qos) =>
        c.publish(`${options.clientId}/q${qos}`, bytes(`qos ${qos}`), qos),
      )
      await until('three outcomes', () => c.outcomes.length === 3)
      assert.deepEqual(
        c.outcomes.map((o) => [o.publishId, o.error]),
        ids.map((id) => [id, undefined]),
      )
      await until('three messages at the broker', () => observer.messages.length === 3)
      assert.deepEqual(
        observer.messages.map((m) => [m.topic, text(m.payload), m.qos]),
        [0, 1, 2].map((q) => [`${options.clientId}/q${q}`, `qos ${q}`, q]),
      )
      await observer.close()
      await c.transport.end()
    })

    test('subscribe receives server messages once each; unsubscribe resolves', async () => {
      const options = await env.device()
      const observer = await env.observe(`${options.clientId}/nothing`)
      const c = caller()
      await c.connect(options)
      await c.transport.subscribe([`${options.clientId}/server/#`], 2)
      await observer.publish(`${options.clientId}/server/a`, Uint8Array.of(0, 1, 255), 2)
      await observer.publish(`${options.clientId}/server/b`, bytes('b'), 1)
      await until('two server messages', () => c.messages.length === 2)
      // no order between QoS levels [MQTT-4.6.0-6]: QoS 2 may be handed over at its PUBREL
      const byTopic = [...c.messages].sort((a, b) => a.topic.localeCompare(b.topic))
      assert.deepEqual(byTopic, [
        { topic: `${options.clientId}/server/a`, payload: Uint8Array.of(0, 1, 255), qos: 2 },
        { topic: `${options.clientId}/server/b`, payload: bytes('b'), qos: 1 },
      ])
      await c.transport.unsubscribe([`${options.clientId}/server/#`])
      await observer.close()
      await c.transport.end()
    })

    test('the broker refusing our certificate in TLS: remote.certificate_rejected', async () => {
      const c = caller()
      await assert.rejects(c.connect(await env.refusedCertificate()), {
        code: 'remote.certificate_rejected',
      })
      assert.deepEqual(c.closes, [], 'a connect that rejects reports no close')
    })

    test('CONNACK 5 (not authorized): remote.certificate_rejected', async () => {
      await assert.rejects(caller().connect(await env.refusedIdentity()), {
        code: 'remote.certificate_rejected',
      })
    })

    test('a broker we do not trust, or nobody listening: a remote.* code, never certificate_rejected', async () => {
      await assert.rejects(caller().connect(await env.untrustedBroker()), (e: unknown) => {
        assertNotCertificateRejected(e)
        assert.equal((e as SdkError).code, 'remote.tls_untrusted')
        return true
      })
      await assert.rejects(caller().connect(await env.nobodyListening()), (e: unknown) =>
        assertNotCertificateRejected(e),
      )
    })

    test('a dead connection: close with a remote.* error, nothing reported after it, pending calls reject', async () => {
      const options = await env.device()
      const c = caller()
      await c.connect(options)
      env.holdAcks(true)
      const ids = [1, 2, 3].map((n) => c.publish(`${options.clientId}/held`, bytes(`${n}`), 1))
      const subscribing = c.transport.subscribe([`${options.clientId}/server/#`], 2)
      subscribing.catch(() => undefined)
      env.cutAll()
      env.holdAcks(false)
      await until('the close', () => c.closes.length === 1)
      const lost = c.closes[0]
      assert.ok(lost instanceof SdkError && lost.code.startsWith('remote.'), String(lost))
      await assert.rejects(subscribing)
      assert.deepEqual(
        c.outcomes.filter((o) => o.closesBefore > 0),
        [],
      )
      assert.ok(
        ids.every((id) => !c.reported(id)),
        'acknowledgements held: nothing reported',
      )
    })

    test('a broker gone silent: the keepalive ends the connection with a remote.* error', async () => {
      const options = await env.device()
      const c = caller()
      await c.connect({ ...options, keepaliveSec: 1 })
      env.holdAcks(true)
      try {
        await until('the close', () => c.closes.length === 1)
      } finally {
        env.holdAcks(false)
      }
      const lost = c.closes[0]
      assert.ok(lost instanceof SdkError && lost.code.startsWith('remote.'), String(lost))
      env.cutAll()
    })

    test('a resumed session completes the QoS 2 exchanges of the dead connection exactly once', async () => {
      const options = await env.device()
      const observer = await env.observe(`${options.clientId}/#`)
      const c = caller()
      await c.connect(options)
      env.holdAcks(true)
      const expected = Array.from({ length: 10 }, (_, n) => `${n}`)
      for (const n of expected) c.publish(`${options.clientId}/unique`, bytes(n), 2)
      env.cutAll()
      env.holdAcks(false)
      await until('the close', () => c.closes.length === 1)
      const again = await c.connect(options)
      assert.equal(again.sessionPresent, true)
      c.republishLost()
      await until('every exchange completed', () => c.unreported.size === 0)
      await until(
        'every value at the broker',
        () => tally(observer.messages, expected).missing.length === 0,
      )
      // a last message behind them: what would repeat has arrived before it
      const last = c.publish(`${options.clientId}/unique`, bytes('last'), 2)
      await until('the last one', () => c.reported(last))
      await until('the last one at the broker', () =>
        observer.messages.some((m) => text(m.payload) === 'last'),
      )
      assert.deepEqual(tally(observer.messages, expected), { missing: [], repeated: [] })
      await observer.close()
      await c.transport.end()
    })

    test('order: exchanges resumed after two losses, the second right after a resume, complete oldest first', async () => {
      const options = await env.device()
      const topic = `${options.clientId}/unique`
      const observer = await env.observe(`${options.clientId}/#`)
      const c = caller()
      await c.connect(options)
      env.holdAcks(true)
      const older = Array.from({ length: 8 }, (_, n) => `${n}`)
      for (const n of older) c.publish(topic, bytes(n), 2)
      env.cutAll()
      env.holdAcks(false)
      await until('the first close', () => c.closes.length === 1)
      await c.connect(options)
      // right after the resume, before any acknowledgement of its re-sends is read
      env.holdAcks(true)
      c.republishLost()
      const newer = Array.from({ length: 8 }, (_, n) => `${n + 8}`)
      for (const n of newer) c.publish(topic, bytes(n), 2)
      env.cutAll()
      env.holdAcks(false)
      await until('the second close', () => c.closes.length === 2)
      const third = await c.connect(options)
      assert.equal(third.sessionPresent, true)
      const resumed = c.resumedLists.at(-1) ?? []
      assert.deepEqual(
        resumed,
        [...resumed].sort((a, b) => a - b),
        'resumed oldest first',
      )
      c.republishLost()
      await until('every exchange completed', () => c.unreported.size === 0)
      const all = [...older, ...newer]
      await until(
        'every value at the broker',
        () => tally(observer.messages, all).missing.length === 0,
      )
      const last = c.publish(topic, bytes('last'), 2)
      await until('the last one', () => c.reported(last))
      await until('the last one at the broker', () =>
        observer.messages.some((m) => text(m.payload) === 'last'),
      )
      assert.deepEqual(tally(observer.messages, all), { missing: [], repeated: [] })
      assert.deepEqual(
        observer.messages.map((m) => text(m.payload)),
        [...all, 'last'],
        'the broker got them in publish order',
      )
      await observer.close()
      await c.transport.end()
    })

    test('a lost session: nothing of the dead connection is sent again', async () => {
      const options = await env.device()
      const topic = `${options.clientId}/guaranteed`
      const observer = await env.observe(`${options.clientId}/#`)
      const c = caller()
      await c.connect(options)
      env.holdAcks(true)
      const sent = ['a', 'b', 'c']
      for (const v of sent) c.publish(topic, bytes(v), 1)
      await until('the broker has them', () => tally(observer.messages, sent).missing.length === 0)
      env.cutAll()
      env.holdAcks(false)
      await until('the close', () => c.closes.length === 1)
      const again = await c.connect({ ...options, clean: true })
      assert.equal(again.sessionPresent, false)
      assert.deepEqual(again.resumed ?? [], [], 'no QoS 2 exchange reached PUBREC')
      // same topic and QoS: a re-send written at the CONNACK would arrive before this one
      const marker = c.publish(topic, bytes('marker'), 1)
      await until('the marker', () => c.reported(marker))
      await until('the marker at the broker', () =>
        observer.messages.some((m) => text(m.payload) === 'marker'),
      )
      assert.deepEqual(
        observer.messages.map((m) => text(m.payload)),
        [...sent, 'marker'],
      )
      await observer.close()
      await c.transport.end()
    })
  })
}
