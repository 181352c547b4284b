/**
 * @module store sessions: the broker's MQTT session state as rows (MQTT 3.1.1 [MQTT-3.1.2-4]):
 * subscriptions per client, the outgoing queue (QoS 1/2 messages for a client, then the PUBRELs
 * of the QoS 2 ones it acknowledged), and the ids of incoming QoS 2 messages already ingested,
 * awaiting their PUBREL. Every method is one synchronous statement or transaction: when it
 * returns, the change is durable. The broker's session persistence keeps the same state in memory.
 */
import type { SqliteStatement } from '@astarte-ts/sqlite'
import type { Db } from './db.js'

export interface StoredSubscription {
  readonly clientId: string
  readonly topic: string
  readonly qos: number
}

/** A queued server→client packet: a PUBLISH (maybe sent, once it has an id) or a PUBREL. */
export type OutgoingPacket =
  | {
      readonly cmd: 'publish'
      readonly topic: string
      readonly payload: Buffer
      readonly qos: number
      readonly messageId: number | undefined
      /** aedes' identity of the message across its subscribers (broker instance + counter). */
      readonly brokerId: string
      readonly brokerCounter: number
    }
  | { readonly cmd: 'pubrel'; readonly messageId: number }

export interface StoredOutgoing {
  /** Queue position, unique across clients. */
  readonly seq: number
  readonly clientId: string
  readonly packet: OutgoingPacket
}

export interface StoredIncoming {
  readonly clientId: string
  readonly messageId: number
}

interface OutgoingRow {
  seq: number
  client_id: string
  cmd: string
  topic: string | null
  payload: Buffer | null
  qos: number
  message_id: number | null
  broker_id: string | null
  broker_counter: number | null
}

/** Session repository over the sandbox database. */
export class SessionStore {
  readonly #db: Db
  readonly #putSubscription: SqliteStatement<[string, string, number]>
  readonly #deleteSubscription: SqliteStatement<[string, string]>
  readonly #clearSubscriptions: SqliteStatement<[string]>
  readonly #enqueue: SqliteStatement<unknown[]>
  readonly #update: SqliteStatement<unknown[]>
  readonly #dequeue: SqliteStatement<[number]>
  readonly #clearOutgoing: SqliteStatement<[string]>
  readonly #recordIncoming: SqliteStatement<[string, number]>
  readonly #deleteIncoming: SqliteStatement<[string, number]>
  readonly #clearIncoming: SqliteStatement<[string]>

  constructor(db: Db) {
    this.#db = db
    this.#putSubscription = db.prepare(
      `INSERT INTO mqtt_subscriptions (client_id, topic, qos) VALUES (?, ?, ?)
       ON CONFLICT (client_id, topic) DO UPDATE SET qos = excluded.qos`,
    )
    this.#deleteSubscription = db.prepare(
      'DELETE FROM mqtt_subscriptions WHERE client_id = ? AND topic = ?',
    )
    this.#clearSubscriptions = db.prepare('DELETE FROM mqtt_subscriptions WHERE client_id = ?')
    this.#enqueue = db.prepare(
      `INSERT INTO mqtt_outgoing
         (client_id, cmd, topic, payload, qos, message_id, broker_id, broker_counter)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    this.#update = db.prepare(
      `UPDATE mqtt_outgoing SET cmd = ?, topic = ?, payload = ?, qos = ?, message_id = ?,
         broker_id = ?, broker_counter = ? WHERE seq = ?`,
    )
    this.#dequeue = db.prepare('DELETE FROM mqtt_outgoing WHERE seq = ?')
    this.#clearOutgoing = db.prepare('DELETE FROM mqtt_outgoing WHERE client_id = ?')
    this.#recordIncoming = db.prepare(
      'INSERT OR IGNORE INTO mqtt_incoming (client_id, message_id) VALUES (?, ?)',
    )
    this.#deleteIncoming = db.prepare(
      'DELETE FROM mqtt_incoming WHERE client_id = ? AND message_id = ?',
    )
    this.#clearIncoming = db.prepare('DELETE FROM mqtt_incoming WHERE client_id = ?')
  }

  /** Runs `work` in one transaction (nested calls become savepoints). */
  transaction<T>(work: () => T): T {
    return this.#db.transaction(work)
  }

  subscriptions(): StoredSubscription[] {
    const rows = this.#db
      .prepare('SELECT client_id, topic, qos FROM mqtt_subscriptions ORDER BY client_id, topic')
      .all() as { client_id: string; topic: string; qos: number }[]
    return rows.map((r) => ({ clientId: r.client_id, topic: r.topic, qos: r.qos }))
  }

  putSubscriptions(clientId: string, subs: readonly { topic: string; qos: number }[]): void {
    this.transaction(() => {
      for (const s of subs) this.#putSubscription.run(clientId, s.topic, s.qos)
    })
  }

  deleteSubscriptions(clientId: string, topics: readonly string[]): void {
    this.transaction(() => {
      for (const topic of topics) this.#deleteSubscription.run(clientId, topic)
    })
  }

  /** Every client's queue, each in order. */
  outgoing(): StoredOutgoing[] {
    const rows = this.#db.prepare('SELECT * FROM mqtt_outgoing ORDER BY seq').all() as OutgoingRow[]
    return rows.map((r) => ({ seq: r.seq, clientId: r.client_id, packet: fromRow(r) }))
  }

  /** Appends to each client's queue; returns the queue positions, in the order of `clientIds`. */
  enqueueOutgoing(clientIds: readonly string[], packet: OutgoingPacket): number[] {
    return this.transaction(() =>
      clientIds.map((id) => Number(this.#enqueue.run(id, ...toColumns(packet)).lastInsertRowid)),
    )
  }

  updateOutgoing(seq: number, packet: OutgoingPacket): void {
    this.#update.run(...toColumns(packet), seq)
  }

  dequeueOutgoing(seq: number): void {
    this.#dequeue.run(seq)
  }

  incoming(): StoredIncoming[] {
    const rows = this.#db
      .prepare('SELECT client_id, message_id FROM mqtt_incoming ORDER BY client_id, message_id')
      .all() as { client_id: string; message_id: number }[]
    return rows.map((r) => ({ clientId: r.client_id, messageId: r.message_id }))
  }

  /** Records an incoming QoS 2 id; false when it was already recorded (a duplicate). */
  recordIncoming(clientId: string, messageId: number): boolean {
    return this.#recordIncoming.run(clientId, messageId).changes === 1
  }

  deleteIncoming(clientId: string, messageId: number): void {
    this.#deleteIncoming.run(clientId, messageId)
  }

  /** Forgets a client's whole session: subscriptions, queue and incoming ids. */
  discard(clientId: string): void {
    this.transaction(() => {
      this.#clearSubscriptions.run(clientId)
      this.#clearOutgoing.run(clientId)
      this.#clearIncoming.run(clientId)
    })
  }

  clearSubscriptions(clientId: string): void {
    this.#clearSubscriptions.run(clientId)
  }

  clearIncoming(clientId: string): void {
    this.#clearIncoming.run(clientId)
  }
}

function toColumns(p: OutgoingPacket): unknown[] {
  if (p.cmd === 'pubrel') return ['pubrel', null, null, 0, p.messageId, null, null]
  return ['publish', p.topic, p.payload, p.qos, p.messageId ?? null, p.brokerId, p.brokerCounter]
}

function fromRow(r: OutgoingRow): OutgoingPacket {
  if (r.cmd === 'pubrel') return { cmd: 'pubrel', messageId: r.message_id ?? 0 }
  return {
    cmd: 'publish',
    topic: r.topic ?? '',
    payload: r.payload ?? Buffer.alloc(0),
    qos: r.qos,
    messageId: r.message_id ?? undefined,
    brokerId: r.broker_id ?? '',
    brokerCounter: r.broker_counter ?? 0,
  }
}
