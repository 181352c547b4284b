import { describeStoreContract, MemoryStore } from '@astarte-ts/runtime-testing'

describeStoreContract('memory', () => new MemoryStore(), {
  reopen: (store) => (store as MemoryStore).restart(),
})
