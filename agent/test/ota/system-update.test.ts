/**
 * The `SystemUpdate` port's contract, run against both adapters: real RAUC over a private D-Bus
 * (file-backed raw slots, a custom bootloader backend) and the directory A/B layout. Check before
 * writing, install into the slot not booted (the image byte for byte), the primary flipped only
 * once the image is whole, the booted slot after a reboot or a fallback, mark good.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import {
  bootDirectorySlots,
  directorySystemUpdate,
  raucSystemUpdate,
  writeDirectoryBundle,
  SystemUpdateError,
  type SystemUpdate,
} from '../../src/ota/index.js'
import { startRaucHarness, type RaucHarness } from './helpers/rauc-harness.js'

/** One adapter under test, with the board around it. */
interface Board {
  readonly update: SystemUpdate
  bundle(image: Uint8Array, options?: { compatible?: string; broken?: boolean }): Promise<string>
  /** What the slot holds, cut to `length`. */
  slotImage(slot: 'A' | 'B', length: number): Promise<Buffer>
  primary(): Promise<string>
  /** Reboots into the primary, or falls back to `fallbackTo`. */
  reboot(fallbackTo?: 'A' | 'B'): Promise<void>
  close(): Promise<void>
}

async function raucBoard(): Promise<Board> {
  const harness: RaucHarness = await startRaucHarness()
  const update = raucSystemUpdate({ address: harness.busAddress })
  return {
    update,
    bundle: (image, o = {}) =>
      harness.bundle(image, {
        ...(o.compatible === undefined ? {} : { compatible: o.compatible }),
        ...(o.broken === true ? { slotClass: 'appfs' } : {}),
      }),
    slotImage: async (slot, length) => (await readFile(harness.slotFile(slot))).subarray(0, length),
    primary: () => harness.primary(),
    async reboot(fallbackTo) {
      await harness.boot(fallbackTo ?? ((await harness.primary()) as 'A' | 'B'))
    },
    async close() {
      await update.close()
      await harness.stop()
    },
  }
}

async function directoryBoard(): Promise<Board> {
  const root = await mkdtemp(join(tmpdir(), 'ab-board-'))
  const update = directorySystemUpdate({ root, compatible: 'astarte-test-board' })
  let n = 0
  return {
    update,
    async bundle(image, o = {}) {
      const path = join(root, `bundle-${n++}.bin`)
      await writeDirectoryBundle(path, image, {
        compatible: o.compatible ?? 'astarte-test-board',
        version: '1.0.0',
      })
      if (o.broken === true) {
        // the image's last byte flipped after the manifest was written: a corrupt bundle
        const bytes = await readFile(path)
        bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff
        await writeFile(path, bytes)
      }
      return path
    },
    slotImage: async (slot, length) =>
      (await readFile(join(root, 'slots', slot, 'image'))).subarray(0, length),
    primary: async () => (await readFile(join(root, 'primary'), 'utf8')).trim(),
    async reboot(fallbackTo) {
      await bootDirectorySlots(root, { fallback: fallbackTo !== undefined })
    },
    close: () => rm(root, { recursive: true, force: true }),
  }
}

for (const [name, make] of [
  ['RAUC over D-Bus', raucBoard],
  ['directory A/B', directoryBoard],
] as const) {
  describe(`SystemUpdate: ${name}`, () => {
    let board: Board
    before(async () => {
      board = await make()
    })
    after(async () => {
      await board.close()
    })

    test('refuses a bundle for another system before writing anything', async () => {
      const bundle = await board.bundle(randomBytes(1000), { compatible: 'another-board' })
      await assert.rejects(
        board.update.check(bundle),
        (e: unknown) =>
          e instanceof SystemUpdateError &&
          e.code === 'update.incompatible' &&
          /bundle another-board is not compatible with system astarte-test-board/.test(e.message),
      )
    })

    test('an install that fails leaves the boot as it was', async () => {
      const before = await board.primary().catch(() => 'A')
      const bundle = await board.bundle(randomBytes(2000), { broken: true })
      await board.update.idle()
      await assert.rejects(
        board.update.install(bundle, () => undefined),
        (e: unknown) => e instanceof SystemUpdateError && e.code === 'update.install_failed',
      )
      assert.equal(await board.primary().catch(() => 'A'), before)
    })

    test('installs into the slot not booted, byte for byte; the reboot boots it; marked good', async () => {
      assert.equal(await board.update.bootedSlot(), 'A')
      const image = randomBytes(300_000)
      const bundle = await board.bundle(image)
      assert.deepEqual(await board.update.check(bundle), {
        compatible: 'astarte-test-board',
        version: '1.0.0',
      })
      const progress: number[] = []
      const { slot } = await board.update.install(bundle, (p) => progress.push(p))
      assert.equal(slot, 'B')
      assert.equal(await board.primary(), 'B')
      assert.ok(progress.length > 0 && progress.every((p) => p >= 0 && p <= 100))
      assert.ok((await board.slotImage('B', image.length)).equals(image))
      await board.reboot()
      assert.equal(await board.update.bootedSlot(), 'B')
      assert.equal(await board.update.markGood(), name === 'directory A/B' ? 'B' : 'rootfs.1')
    })

    test('a fallback of the bootloader shows as the old slot booted', async () => {
      const bundle = await board.bundle(randomBytes(5000))
      const { slot } = await board.update.install(bundle, () => undefined)
      assert.equal(slot, 'A')
      await board.reboot('B')
      assert.equal(await board.update.bootedSlot(), 'B')
    })
  })
}
