/**
 * @module broker memory persistence: aedes' own in-memory persistence class (aedes-persistence's
 * promise API, the one aedes 1.x calls), a declared dependency in the range aedes itself
 * depends on, so npm installs one copy for both. The sandbox extends it for what it does well (the subscription trie,
 * retained messages, wills) rather than reimplementing topic matching.
 */
import { createRequire } from 'node:module'

/** A subscription as aedes stores it (the options are MQTT 5's; absent in 3.1.1). */
export interface AedesSubscription {
  readonly topic: string
  readonly qos: number
  readonly rh?: number
  readonly rap?: boolean
  readonly nl?: boolean
}

/** The part of the class's API the sandbox overrides or calls. */
export interface MemoryPersistenceApi {
  setup(broker: unknown): Promise<void>
  addSubscriptions(client: { id: string }, subs: readonly AedesSubscription[]): Promise<void>
  removeSubscriptions(client: { id: string }, topics: readonly string[]): Promise<void>
  subscriptionsByClient(client: { id: string }): Promise<AedesSubscription[]>
  cleanSubscriptions(client: { id: string }): Promise<void>
}

// CommonJS without type declarations for this entry: required, then typed by the interface above.
const require = createRequire(import.meta.url)

export const MemoryPersistence =
  require('aedes-persistence/asyncPersistence.js') as new () => MemoryPersistenceApi
