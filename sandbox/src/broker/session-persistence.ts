/**
 * @module broker session persistence: aedes' in-memory persistence, written through to the
 * sandbox's SQLite file and reloaded at start, so MQTT sessions survive a restart or a SIGKILL:
 * subscriptions (the next CONNACK says sessionPresent=true), each client's outgoing queue (QoS 1/2
 * messages to deliver or re-deliver, PUBRELs of QoS 2 ones past PUBREC) and incoming QoS 2 ids.
 * Every change is durable before aedes acknowledges anything that depends on it (SUBACK, PUBREC,
 * PUBCOMP). Retained messages and wills stay in memory: no sandbox device can observe them.
 *
 * Incoming QoS 2, exactly once. aedes 1.2 handles a QoS 2 PUBLISH as: `incomingGetPacket` (id
 * known → PUBREC only, a duplicate) else `incomingStorePacket`, publish (our ingestion runs in the
 * `published` hook), PUBREC; then PUBREL → `incomingDelPacket` → PUBCOMP. Were the id stored by
 * `incomingStorePacket` and the data by ingestion, a kill between the two would either lose the
 * message (id durable, data not: the re-sent PUBLISH passes for a duplicate) or ingest it twice
 * (data durable, id not). So `incomingStorePacket` records nothing; `ingest` records the id and
 * runs the ingestion in ONE SQLite transaction, and only ids recorded that way are known to
 * `incomingGetPacket`. Killed before the commit: neither is there, the device re-sends, it is
 * ingested. Killed after: both are there, the re-sent PUBLISH gets PUBREC without ingestion. The
 * id check inside the transaction also settles two deliveries of one id racing through aedes.
 *
 * Outgoing PUBRELs are matched by packet id (aedes-persistence 11 matches them by
 * brokerId/brokerCounter, which a PUBREL lacks, and with two in flight overwrites one with the
 * other); a re-delivered PUBLISH carries DUP [MQTT-3.3.1-1].
 */
import { Readable } from 'node:stream'
import type { OutgoingPacket, SessionStore } from '../store/sessions.js'
import { MemoryPersistence, type AedesSubscription } from './memory-persistence.js'

interface ClientRef {
  readonly id: string
}

/** The packet fields aedes hands to and reads from the outgoing queue. */
interface AedesPacket {
  readonly cmd?: string | undefined
  readonly topic?: string | undefined
  readonly payload?: Buffer | string | undefined
  readonly qos?: number | undefined
  readonly messageId?: number | undefined
  readonly brokerId?: string | undefined
  readonly brokerCounter?: number | undefined
}

interface QueueEntry {
  readonly seq: number
  packet: OutgoingPacket
}

const noSuchPacket = (): Error => new Error('no such packet')

export class SessionPersistence extends MemoryPersistence {
  readonly #store: SessionStore
  readonly #outgoing = new Map<string, QueueEntry[]>()
  /** Per client: ids of incoming QoS 2 messages ingested and not yet released (PUBREL). */
  readonly #incoming = new Map<string, Set<number>>()

  constructor(store: SessionStore) {
    super()
    this.#store = store
  }

  override async setup(broker: unknown): Promise<void> {
    await super.setup(broker)
    const byClient = new Map<string, AedesSubscription[]>()
    for (const s of this.#store.subscriptions()) {
      const subs = byClient.get(s.clientId) ?? []
      subs.push({ topic: s.topic, qos: s.qos })
      byClient.set(s.clientId, subs)
    }
    for (const [id, subs] of byClient) await super.addSubscriptions({ id }, subs)
    for (const o of this.#store.outgoing()) {
      this.#queue(o.clientId).push({ seq: o.seq, packet: o.packet })
    }
    for (const i of this.#store.incoming()) this.#ids(i.clientId).add(i.messageId)
  }

  override async addSubscriptions(
    client: ClientRef,
    subs: readonly AedesSubscription[],
  ): Promise<void> {
    this.#store.putSubscriptions(client.id, subs)
    await super.addSubscriptions(client, subs)
  }

  override async removeSubscriptions(client: ClientRef, topics: readonly string[]): Promise<void> {
    this.#store.deleteSubscriptions(client.id, topics)
    await super.removeSubscriptions(client, topics)
  }

  override async cleanSubscriptions(client: ClientRef): Promise<void> {
    this.#store.clearSubscriptions(client.id)
    await super.cleanSubscriptions(client)
  }

  /**
   * Forgets the client's whole session (spec §3.10): subscriptions, queue and incoming ids, in
   * one transaction. The stored state is gone when this returns, before its promise settles.
   */
  async discardSession(client: ClientRef): Promise<void> {
    this.#store.discard(client.id)
    this.#outgoing.delete(client.id)
    this.#incoming.delete(client.id)
    await super.cleanSubscriptions(client)
  }

  /**
   * Runs `ingestion` in one SQLite transaction; for a QoS 2 PUBLISH the transaction first records
   * its packet id, and an id already recorded skips the ingestion (returns undefined): the
   * message was ingested before. See the module comment.
   */
  ingest<T>(
    client: ClientRef,
    packet: { readonly qos: number; readonly messageId?: number | undefined },
    ingestion: () => T,
  ): T | undefined {
    const id = packet.messageId
    if (packet.qos !== 2 || id === undefined) return this.#store.transaction(ingestion)
    const done = this.#store.transaction(() =>
      this.#store.recordIncoming(client.id, id) ? { value: ingestion() } : undefined,
    )
    this.#ids(client.id).add(id)
    return done?.value
  }

  async outgoingEnqueue(sub: { readonly clientId: string }, packet: AedesPacket): Promise<void> {
    this.#enqueue([sub], packet)
  }

  async outgoingEnqueueCombi(
    subs: readonly { readonly clientId: string }[],
    packet: AedesPacket,
  ): Promise<void> {
    this.#enqueue(subs, packet)
  }

  /**
   * A PUBLISH gets the packet id it is sent with (found by its broker id and counter); a PUBREL
   * replaces the message with its packet id.
   */
  async outgoingUpdate(client: ClientRef, packet: AedesPacket): Promise<void> {
    const queue = this.#queue(client.id)
    const { messageId } = packet
    const sameMessage = (p: OutgoingPacket): boolean =>
      p.cmd === 'publish' &&
      p.brokerId === packet.brokerId &&
      p.brokerCounter === packet.brokerCounter
    const publish =
      packet.brokerId === undefined ? undefined : queue.find((e) => sameMessage(e.packet))
    if (publish?.packet.cmd === 'publish') {
      if (publish.packet.messageId === messageId) return
      publish.packet = { ...publish.packet, messageId }
      this.#store.updateOutgoing(publish.seq, publish.packet)
      return
    }
    const released = queue.find((e) => e.packet.messageId === messageId)
    if (packet.cmd !== 'pubrel' || messageId === undefined || released === undefined) {
      throw noSuchPacket()
    }
    if (released.packet.cmd === 'pubrel') return
    released.packet = { cmd: 'pubrel', messageId }
    this.#store.updateOutgoing(released.seq, released.packet)
  }

  async outgoingClearMessageId(
    client: ClientRef,
    packet: { readonly messageId?: number },
  ): Promise<AedesPacket | undefined> {
    const queue = this.#queue(client.id)
    const i = queue.findIndex((e) => e.packet.messageId === packet.messageId)
    const [entry] = i < 0 ? [] : queue.splice(i, 1)
    if (entry === undefined) return undefined
    this.#store.dequeueOutgoing(entry.seq)
    return toAedes(entry.packet)
  }

  outgoingStream(client: ClientRef): Readable {
    return Readable.from(this.#queue(client.id).map((e) => toAedes(e.packet)))
  }

  /** Nothing to do: `ingest` records the id, in the ingestion's transaction. */
  async incomingStorePacket(): Promise<void> {}

  async incomingGetPacket(client: ClientRef, packet: { readonly messageId: number }) {
    if (!this.#incoming.get(client.id)?.has(packet.messageId)) throw noSuchPacket()
    return { cmd: 'publish', qos: 2, messageId: packet.messageId }
  }

  async incomingDelPacket(client: ClientRef, packet: { readonly messageId: number }) {
    if (!this.#incoming.get(client.id)?.delete(packet.messageId)) throw noSuchPacket()
    this.#store.deleteIncoming(client.id, packet.messageId)
  }

  async cleanIncoming(client: ClientRef): Promise<void> {
    this.#incoming.delete(client.id)
    this.#store.clearIncoming(client.id)
  }

  #enqueue(subs: readonly { readonly clientId: string }[], packet: AedesPacket): void {
    const stored: OutgoingPacket = {
      cmd: 'publish',
      topic: packet.topic ?? '',
      payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload ?? ''),
      qos: packet.qos ?? 1,
      // Each subscriber gets its own packet id when the message is sent.
      messageId: undefined,
      brokerId: packet.brokerId ?? '',
      brokerCounter: packet.brokerCounter ?? 0,
    }
    const clientIds = subs.map((s) => s.clientId)
    const seqs = this.#store.enqueueOutgoing(clientIds, stored)
    clientIds.forEach((id, i) => this.#queue(id).push({ seq: seqs[i] ?? 0, packet: stored }))
  }

  #queue(clientId: string): QueueEntry[] {
    let queue = this.#outgoing.get(clientId)
    if (queue === undefined) this.#outgoing.set(clientId, (queue = []))
    return queue
  }

  #ids(clientId: string): Set<number> {
    let ids = this.#incoming.get(clientId)
    if (ids === undefined) this.#incoming.set(clientId, (ids = new Set()))
    return ids
  }
}

/** The queue entry as aedes reads it; a PUBLISH that already had an id is a re-delivery. */
function toAedes(p: OutgoingPacket): AedesPacket & { retain: boolean; dup: boolean } {
  if (p.cmd === 'pubrel')
    return { cmd: 'pubrel', messageId: p.messageId, retain: false, dup: false }
  return { ...p, retain: false, dup: p.messageId !== undefined }
}
