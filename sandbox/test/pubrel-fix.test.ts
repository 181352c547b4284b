import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Aedes } from 'aedes'
import { fixPubrelUpdates } from '../src/broker/pubrel-fix.js'

interface Persistence {
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: object): Promise<void>
  outgoingUpdate(client: { id: string }, packet: object): Promise<unknown>
  outgoingClearMessageId(client: { id: string }, packet: { messageId: number }): Promise<unknown>
  outgoingStream(client: { id: string }): AsyncIterable<{ cmd: string; messageId: number }>
}

describe('aedes persistence with two QoS 2 messages in flight', () => {
  it('keeps one PUBREL per packet id and empties the queue once both complete', async () => {
    const aedes = new Aedes({})
    await aedes.listen()
    try {
      const p = (aedes as unknown as { persistence: Persistence }).persistence
      fixPubrelUpdates(p)
      const client = { id: 'realm/device' }
      const publish = (n: number) => ({
        cmd: 'publish',
        topic: 't',
        payload: Buffer.from('x'),
        qos: 2,
        brokerId: aedes.id,
        brokerCounter: n,
      })
      const queue = async () => {
        const out: [string, number][] = []
        for await (const x of p.outgoingStream(client)) out.push([x.cmd, x.messageId])
        return out
      }
      for (const n of [1, 2]) await p.outgoingEnqueueCombi([{ clientId: client.id }], publish(n))
      await p.outgoingUpdate(client, { ...publish(1), messageId: 10 })
      await p.outgoingUpdate(client, { ...publish(2), messageId: 11 })
      // PUBREC 10 and PUBREC 11 arrive before PUBCOMP 10, as on a fast link.
      await p.outgoingUpdate(client, { cmd: 'pubrel', messageId: 10 })
      await p.outgoingUpdate(client, { cmd: 'pubrel', messageId: 11 })
      assert.deepEqual(await queue(), [
        ['pubrel', 10],
        ['pubrel', 11],
      ])
      await p.outgoingClearMessageId(client, { messageId: 10 })
      await p.outgoingClearMessageId(client, { messageId: 11 })
      assert.deepEqual(await queue(), [])
    } finally {
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
    }
  })
})
