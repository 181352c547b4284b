/**
 * The `SystemUpdate` port's contract, run against both adapters: real RAUC over a private D-Bus
 * (file-backed raw slots, a custom bootloader backend) and the directory A/B layout. Check before
 * writing, install into the slot not booted (the image byte for byte), the primary flipped only
 * once the image is whole, the booted slot after a reboot or a fallback, mark good.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { SystemUpdateError, type SystemUpdate } from '../../src/ota/index.js'
import { BOARD_KINDS, startBoard, type Board } from './helpers/ota-board.js'

for (const kind of BOARD_KINDS) {
  describe(`SystemUpdate: ${kind}`, () => {
    let board: Board
    let update: SystemUpdate
    let dir: string
    let n = 0
    /** The board's bundle of `image`, as a file. */
    const bundle = async (image: Uint8Array, o?: { compatible?: string; broken?: boolean }) => {
      const path = join(dir, `bundle-${n++}`)
      await writeFile(path, await board.bundle(image, o))
      return path
    }
    before(async () => {
      board = await startBoard(kind)
      update = board.systemUpdate()
      dir = await mkdtemp(join(tmpdir(), 'ota-bundles-'))
    })
    after(async () => {
      await update.close()
      await board.close()
      await rm(dir, { recursive: true, force: true })
    })

    test('refuses a bundle for another system before writing anything', async () => {
      const path = await bundle(randomBytes(1000), { compatible: 'another-board' })
      await assert.rejects(
        update.check(path),
        (e: unknown) =>
          e instanceof SystemUpdateError &&
          e.code === 'update.incompatible' &&
          /bundle another-board is not compatible with system astarte-test-board/.test(e.message),
      )
    })

    test('an install that fails leaves the boot as it was', async () => {
      const primary = await board.primary()
      const path = await bundle(randomBytes(2000), { broken: true })
      await update.idle()
      await assert.rejects(
        update.install(path, () => undefined),
        (e: unknown) => e instanceof SystemUpdateError && e.code === 'update.install_failed',
      )
      assert.equal(await board.primary(), primary)
    })

    test('installs into the slot not booted, byte for byte; the reboot boots it; marked good', async () => {
      assert.equal(await update.bootedSlot(), 'A')
      const image = randomBytes(300_000)
      const path = await bundle(image)
      assert.deepEqual(await update.check(path), {
        compatible: 'astarte-test-board',
        version: '1.0.0',
      })
      const progress: number[] = []
      const { slot } = await update.install(path, (p) => progress.push(p))
      assert.equal(slot, 'B')
      assert.equal(await board.primary(), 'B')
      assert.ok(progress.length > 0 && progress.every((p) => p >= 0 && p <= 100))
      assert.ok((await board.slotImage('B', image.length)).equals(image))
      await board.reboot()
      assert.equal(await update.bootedSlot(), 'B')
      assert.equal(await update.markGood(), kind === 'directory' ? 'B' : 'rootfs.1')
    })

    test('a fallback of the bootloader shows as the old slot booted', async () => {
      const { slot } = await update.install(await bundle(randomBytes(5000)), () => undefined)
      assert.equal(slot, 'A')
      await board.reboot({ fallback: true })
      assert.equal(await update.bootedSlot(), 'B')
    })

    test('an installer that starts after the agent: calls fail as unavailable until it is up', async (t) => {
      if (!(await board.haltInstaller())) {
        t.skip('this adapter has no service of its own')
        return
      }
      const late = board.systemUpdate()
      try {
        // every call opens the bus again; the agent retries like this at boot
        for (let i = 0; i < 50; i++) {
          await assert.rejects(
            late.bootedSlot(),
            (e: unknown) => e instanceof SystemUpdateError && e.code === 'update.unavailable',
          )
        }
        await board.reboot()
        const booted = await late.bootedSlot()
        const progress: number[] = []
        const { slot } = await late.install(await bundle(randomBytes(5000)), (p) =>
          progress.push(p),
        )
        assert.notEqual(slot, booted)
        // the progress arrives as signals, matched only once the service owns its name
        assert.ok(progress.length > 0)
      } finally {
        await late.close()
      }
    })
  })
}
