import { describeStoreContract, MemoryStore } from '@astarte-ts/runtime-testing'

describeStoreContract('memory', () => new MemoryStore(), {
  reopen: (store) => (store as MemoryStore).restart(),
  batch: (store, fn) => (store as MemoryStore).batch(fn),
  failNextCommit: (store) => (store as MemoryStore).faults.failCommits(1),
})
