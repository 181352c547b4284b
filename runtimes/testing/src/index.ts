export { zlibInflater } from './zlib-inflater.js'
export { MemoryQueue } from './memory-queue.js'
export type { MemoryQueueOptions, MemoryQueueSnapshot } from './memory-queue.js'
export { MemoryStore } from './memory-store.js'
export type { MemoryDurableParts } from './memory-store.js'
export { StoreFaults, diskFullError } from './memory-store-faults.js'
export { ManualClock } from './manual-clock.js'
export { eventually, jsonSafe } from './eventually.js'
export { FakeAstarte } from './loopback/fake-astarte.js'
export type { FakeAstarteOptions, TranscriptEntry, WirePublish } from './loopback/fake-astarte.js'
export { FakePairing } from './loopback/fake-pairing.js'
export type { FakePairingOptions } from './loopback/fake-pairing.js'
export { Loopback } from './loopback/loopback.js'
export type { LoopbackOptions } from './loopback/loopback.js'
export { topicMatches } from './loopback/topic-filter.js'
export { describeStoreContract } from './contracts/store-contract.js'
export type { StoreContractOptions } from './contracts/store-contract.js'
export { describeTransportContract } from './contracts/transport-contract.js'
export type {
  ObservedMessage,
  TransportContractEnv,
  TransportObserver,
} from './contracts/transport-contract.js'
