/**
 * @module broker pubrel fix: works around an aedes-persistence 11 bug that loses QoS 2 state.
 * Its in-memory `outgoingUpdate` finds the entry to update by `brokerId`/`brokerCounter`, which a
 * PUBREL (built with only `cmd` and `messageId`) lacks; once one PUBREL is stored, the next one
 * matches it by `undefined === undefined` and overwrites its packet id. With two QoS 2 messages
 * in flight (the emptyCache answer: purge list then properties) the first PUBREL is lost and a
 * stale entry stays queued, to be resent when the device resumes its session. Giving every
 * PUBREL a distinct counter makes the lookup fall through to the packet id, as intended.
 */

interface PacketLike {
  cmd?: string
  brokerId?: string
  brokerCounter?: number
}

interface OutgoingUpdater {
  outgoingUpdate(client: unknown, packet: PacketLike): Promise<unknown>
}

const PUBREL_BROKER_ID = 'astarte-sandbox-pubrel'

/** Patches `persistence.outgoingUpdate` in place. */
export function fixPubrelUpdates(persistence: OutgoingUpdater): void {
  const update = persistence.outgoingUpdate.bind(persistence)
  let counter = 0
  persistence.outgoingUpdate = (client, packet) => {
    if (packet.cmd === 'pubrel' && packet.brokerId === undefined) {
      counter += 1
      packet.brokerId = PUBREL_BROKER_ID
      packet.brokerCounter = counter
    }
    return update(client, packet)
  }
}
