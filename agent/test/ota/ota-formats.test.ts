/**
 * The OTA feature's two formats as properties: the persisted state (any state written is read
 * back equal; any other file content is moved aside, never taken for a state, never a crash) and
 * the directory A/B bundle (any image and description round-trip through the check; a bundle cut
 * short or with a flipped byte is refused). Plus the sha256 pin of a URL's fragment.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import fc from 'fast-check'
import {
  directorySystemUpdate,
  splitDigest,
  writeDirectoryBundle,
  SystemUpdateError,
} from '../../src/ota/index.js'
import { loadOtaState, saveOtaState, type OtaState } from '../../src/ota/ota-state.js'

let dir: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ota-formats-'))
})
after(async () => {
  await rm(dir, { recursive: true, force: true })
})

const event = fc.record(
  {
    requestUUID: fc.uuid(),
    status: fc.constantFrom('Success' as const, 'Failure' as const),
    statusProgress: fc.constant(0),
    statusCode: fc.constantFrom('' as const, 'NetworkError' as const, 'Canceled' as const),
    message: fc.string(),
    atMs: fc.nat(),
  },
  { noNullPrototype: true },
)
const state: fc.Arbitrary<OtaState> = fc.record(
  {
    version: fc.constant(1 as const),
    current: fc.record(
      {
        uuid: fc.uuid(),
        url: fc.webUrl(),
        phase: fc.constantFrom(
          'downloading' as const,
          'deploying' as const,
          'deployed' as const,
          'rebooting' as const,
        ),
        bootSlot: fc.constantFrom('A', 'B'),
        expectedSlot: fc.constantFrom('A', 'B'),
      },
      { requiredKeys: ['uuid', 'url', 'phase'], noNullPrototype: true },
    ),
    unsent: fc.array(event, { maxLength: 3 }),
    finished: fc.array(
      event.map((e) => ({ uuid: e.requestUUID, event: e })),
      { maxLength: 3 },
    ),
  },
  { requiredKeys: ['version', 'unsent', 'finished'], noNullPrototype: true },
)

test('a saved state reads back equal', async () => {
  const file = join(dir, 'state.json')
  await fc.assert(
    fc.asyncProperty(state, async (s) => {
      await saveOtaState(file, s)
      const loaded = await loadOtaState(file)
      assert.equal(loaded.corrupt, false)
      assert.deepEqual(loaded.state, s)
    }),
    { numRuns: 50 },
  )
})

test('a file that is no state is moved aside and the state starts empty', async () => {
  const file = join(dir, 'garbage.json')
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.string(),
        fc.json().filter((j) => !j.includes('"version":1')),
        fc.constant('{"version":1,"unsent":[],"finished":[],"current":{"uuid":1}}'),
      ),
      async (text) => {
        await writeFile(file, text)
        const loaded = await loadOtaState(file)
        assert.equal(loaded.corrupt, true)
        assert.deepEqual(loaded.state, { version: 1, unsent: [], finished: [] })
        assert.equal(await readFile(`${file}.corrupt`, 'utf8'), text)
        await assert.rejects(stat(file))
      },
    ),
    { numRuns: 50 },
  )
})

test('a directory bundle round-trips; one cut short or with a flipped byte is refused', async () => {
  const root = join(dir, 'board')
  const update = directorySystemUpdate({ root, compatible: 'board-x' })
  const bundle = join(dir, 'bundle.bin')
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ minLength: 1, maxLength: 4096 }),
      fc.string({ maxLength: 40 }),
      fc.nat(),
      async (image, version, at) => {
        await writeDirectoryBundle(bundle, image, { compatible: 'board-x', version })
        assert.deepEqual(await update.check(bundle), { compatible: 'board-x', version })
        const bytes = await readFile(bundle)
        await writeFile(bundle, bytes.subarray(0, bytes.length - 1))
        await assert.rejects(update.check(bundle), refused('update.incompatible'))
        const flipped = Buffer.from(bytes)
        const i = bytes.length - 1 - (at % image.length)
        flipped[i] = (flipped[i] as number) ^ 0x01
        await writeFile(bundle, flipped)
        await assert.rejects(
          update.install(bundle, () => undefined),
          refused('update.install_failed'),
        )
      },
    ),
    { numRuns: 40 },
  )
})

test('a #sha256= fragment pins the digest and is never part of the URL fetched', () => {
  fc.assert(
    fc.property(
      fc.webUrl({ withQueryParameters: true }),
      fc.stringMatching(/^[0-9a-f]{64}$/),
      (url, hex) => {
        const base = url.split('#')[0] as string
        const pinned = splitDigest(`${base}#sha256=${hex.toUpperCase()}`)
        assert.equal(pinned.sha256, hex.toLowerCase())
        assert.ok(!pinned.url.includes('#'))
        assert.equal(splitDigest(base).sha256, undefined)
      },
    ),
  )
})

function refused(code: string): (e: unknown) => boolean {
  return (e) => e instanceof SystemUpdateError && e.code === code
}
