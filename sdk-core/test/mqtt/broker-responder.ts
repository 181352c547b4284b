/**
 * A small in-memory MQTT 3.1.1 broker side for session tests, built on mqtt-packet (the oracle)
 * rather than our codec. It records what it receives, checks that no packet id is reused while in
 * flight, and acknowledges when the test says so (a slow peer acks a few at a time, in order).
 */
import assert from 'node:assert/strict'
import mqttPacket from 'mqtt-packet'
import type { MqttSession, SessionAction, SessionEvent, SessionInput } from '@astarte-ts/sdk-core'

type Parsed = mqttPacket.Packet & Record<string, unknown>

export class BrokerResponder {
  /** Every packet received, in order. */
  readonly received: Parsed[] = []
  /** Application messages accepted (QoS 2: on first receipt of an id, as a broker stores them). */
  readonly accepted: Buffer[] = []
  /** Ids of client publishes awaiting our PUBACK / PUBREC / PUBCOMP, in arrival order. */
  readonly unacked = new Map<number, 'puback' | 'pubrec' | 'pubcomp'>()
  #parser = this.#newParser()
  readonly #qos2Seen = new Set<number>()

  #newParser(): ReturnType<typeof mqttPacket.parser> {
    const parser = mqttPacket.parser({ protocolVersion: 4 })
    parser.on('packet', (p) => this.#onPacket(p as Parsed))
    parser.on('error', (e) => assert.fail(`broker could not parse the client: ${e.message}`))
    return parser
  }

  /** A new network connection (the session state above is kept, as `clean: false` asks). */
  reconnect(): void {
    this.#parser = this.#newParser()
  }

  /** A broker that lost the session (restart without persistence): no QoS state is left. */
  forgetSession(): void {
    this.reconnect()
    this.unacked.clear()
    this.#qos2Seen.clear()
  }

  feed(bytes: Uint8Array): void {
    this.#parser.parse(Buffer.from(bytes))
  }

  #onPacket(p: Parsed): void {
    this.received.push(p)
    if (p.cmd !== 'publish') {
      if (p.cmd === 'pubrel') this.unacked.set(p.messageId as number, 'pubcomp')
      return
    }
    if (p.qos === 0) {
      this.accepted.push(p['payload'] as Buffer)
      return
    }
    const id = p.messageId as number
    // [MQTT-2.3.1-2] a new PUBLISH never reuses an id still in flight; only a DUP resend may.
    if (!p.dup) assert.equal(this.unacked.has(id), false, `packet id ${id} reused while in flight`)
    if (p.qos === 1) {
      this.unacked.set(id, 'puback')
      this.accepted.push(p['payload'] as Buffer)
      return
    }
    if (!this.#qos2Seen.has(id)) this.accepted.push(p['payload'] as Buffer)
    this.#qos2Seen.add(id)
    this.unacked.set(id, 'pubrec')
  }

  /** Acks up to `n` of the oldest unacked packets, in order, as bytes for the client. */
  ack(n: number = Infinity): Uint8Array {
    const out: Buffer[] = []
    for (const [id, cmd] of this.unacked) {
      if (out.length >= n) break
      this.unacked.delete(id)
      if (cmd === 'pubcomp') this.#qos2Seen.delete(id)
      out.push(mqttPacket.generate({ cmd, messageId: id }))
    }
    return new Uint8Array(Buffer.concat(out))
  }
}

/** Generates server packets as bytes with mqtt-packet. */
export function serverBytes(...packets: Record<string, unknown>[]): Uint8Array {
  const parts = packets.map((p) => mqttPacket.generate(p as unknown as mqttPacket.Packet))
  return new Uint8Array(Buffer.concat(parts))
}

/** Splits actions into written bytes, events and timer deadlines. */
export function split(actions: readonly SessionAction[]): {
  writes: Uint8Array[]
  events: SessionEvent[]
  timers: number[]
} {
  const writes: Uint8Array[] = []
  const events: SessionEvent[] = []
  const timers: number[] = []
  for (const a of actions) {
    if (a.type === 'write') writes.push(a.bytes)
    else if (a.type === 'event') events.push(a.event)
    else timers.push(a.atMs)
  }
  return { writes, events, timers }
}

/** Runs a session and a broker back to back; the clock is the test's. */
export class Loopback {
  readonly events: SessionEvent[] = []
  readonly timers: number[] = []
  constructor(
    readonly session: MqttSession,
    readonly broker: BrokerResponder,
  ) {}

  /** Feeds `input` and passes what the session writes to the broker. */
  run(input: SessionInput, nowMs: number): void {
    const { writes, events, timers } = split(this.session.handle(input, nowMs))
    for (const w of writes) this.broker.feed(w)
    this.events.push(...events)
    this.timers.push(...timers)
  }

  /** Connects and answers CONNACK. */
  connect(nowMs: number, sessionPresent = false, keepaliveSec = 0): void {
    const options = { clientId: 'realm/device', keepaliveSec, clean: false }
    this.run({ type: 'connect', options }, nowMs)
    const connack = serverBytes({ cmd: 'connack', sessionPresent, returnCode: 0 })
    this.run({ type: 'bytes', data: connack }, nowMs)
  }
}
