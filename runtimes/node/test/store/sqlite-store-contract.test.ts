import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after } from 'node:test'
import type { Store } from '@astarte-ts/sdk-core'
import { describeStoreContract } from '@astarte-ts/runtime-testing'
import { openSqliteStore } from '../../src/store/index.js'
import type { SqliteStore } from '../../src/store/index.js'

const root = mkdtempSync(join(tmpdir(), 'astarte-ts-store-contract-'))
after(() => rmSync(root, { recursive: true, force: true }))
let n = 0

describeStoreContract(
  'sqlite (file, WAL)',
  () => openSqliteStore({ path: join(root, `d${n++}.db`) }),
  {
    reopen: (store) => {
      const s = store as SqliteStore
      s.close()
      return openSqliteStore({ path: s.path })
    },
    dispose: (store) => (store as SqliteStore).close(),
    batch: (store, fn) => (store as SqliteStore).batch(fn),
  },
)
