/**
 * The boards the OTA suites run on, one per `SystemUpdate` adapter: real RAUC on a private bus
 * (`rauc-harness.ts`) or the directory A/B layout with its simulated boot. Each makes bundles of
 * its own format, reads a slot's image, and plays a reboot (into the new slot, or a fallback).
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import {
  bootDirectorySlots,
  directorySystemUpdate,
  raucSystemUpdate,
  writeDirectoryBundle,
  type SystemUpdate,
} from '../../../src/ota/index.js'
import { startRaucHarness } from './rauc-harness.js'

export const COMPATIBLE = 'astarte-test-board'

/** A board with its A/B slots. */
export interface Board {
  readonly kind: 'rauc' | 'directory'
  /** The directory A/B root (slots, primary, booted), for the directory board. */
  readonly root?: string
  /** A new adapter, as a new agent process makes. */
  systemUpdate(): SystemUpdate
  /** The `[ota]` lines of an agent configuration for this board. */
  otaConfig(): string
  /** Environment an agent process needs (the bus address for RAUC). */
  readonly env: Readonly<Record<string, string>>
  /**
   * A bundle of `image`: for another system with `compatible`, or one its installer fails to
   * write with `broken`. Resolves with the bundle's bytes.
   */
  bundle(image: Uint8Array, options?: { compatible?: string; broken?: boolean }): Promise<Buffer>
  /** The first `length` bytes of a slot. */
  slotImage(slot: 'A' | 'B', length: number): Promise<Buffer>
  /** The slot the bootloader starts next. */
  primary(): Promise<string>
  /** Plays the reboot: into the primary slot, or back into the other with `fallback`. */
  reboot(options?: { fallback?: boolean }): Promise<void>
  /** Stops the installer's service where there is one (RAUC): it is up again at the reboot. */
  haltInstaller(): Promise<boolean>
  /**
   * Holds the next install into slot B before that slot becomes primary: RAUC's bootloader
   * backend waits at set-primary; the directory adapter's copy waits at its first write (a FIFO
   * stands where `image.part` goes, and opening it blocks). Released for the next install.
   */
  holdInstall(): Promise<void>
  releaseInstall(): Promise<void>
  close(): Promise<void>
}

export type BoardKind = Board['kind']
export const BOARD_KINDS: readonly BoardKind[] = ['rauc', 'directory']

export function startBoard(kind: BoardKind): Promise<Board> {
  return kind === 'rauc' ? raucBoard() : directoryBoard()
}

async function raucBoard(): Promise<Board> {
  const harness = await startRaucHarness({ compatible: COMPATIBLE })
  const other = (slot: string): 'A' | 'B' => (slot === 'A' ? 'B' : 'A')
  return {
    kind: 'rauc',
    env: { DBUS_SYSTEM_BUS_ADDRESS: harness.busAddress },
    systemUpdate: () => raucSystemUpdate({ address: harness.busAddress }),
    otaConfig: () => '[ota]\nadapter = "rauc"\n',
    async bundle(image, o = {}) {
      const path = await harness.bundle(image, {
        ...(o.compatible === undefined ? {} : { compatible: o.compatible }),
        ...(o.broken === true ? { slotClass: 'appfs' } : {}),
      })
      const bytes = await readFile(path)
      await rm(path, { force: true })
      return bytes
    },
    slotImage: async (slot, length) => (await readFile(harness.slotFile(slot))).subarray(0, length),
    primary: () => harness.primary(),
    async reboot(o = {}) {
      const primary = await harness.primary()
      await harness.boot(o.fallback === true ? other(primary) : (primary as 'A' | 'B'))
    },
    async haltInstaller() {
      await harness.halt()
      return true
    },
    holdInstall: () => harness.holdInstall(),
    releaseInstall: () => harness.releaseInstall(),
    close: () => harness.stop(),
  }
}

async function directoryBoard(): Promise<Board> {
  const root = await mkdtemp(join(tmpdir(), 'ab-board-'))
  const scratch = join(root, 'bundle.tmp')
  return {
    kind: 'directory',
    root,
    env: {},
    systemUpdate: () => directorySystemUpdate({ root, compatible: COMPATIBLE }),
    otaConfig: () =>
      `[ota]\nadapter = "directory"\n[ota.directory]\nroot = "${root}"\ncompatible = "${COMPATIBLE}"\n`,
    async bundle(image, o = {}) {
      await writeDirectoryBundle(scratch, image, {
        compatible: o.compatible ?? COMPATIBLE,
        version: '1.0.0',
      })
      const bytes = await readFile(scratch)
      await rm(scratch, { force: true })
      // the image's last byte flipped under an intact manifest: the install's check fails
      if (o.broken === true) bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff
      return bytes
    },
    slotImage: async (slot, length) =>
      (await readFile(join(root, 'slots', slot, 'image'))).subarray(0, length),
    primary: async () => (await readFile(join(root, 'primary'), 'utf8').catch(() => 'A')).trim(),
    async reboot(o = {}) {
      await bootDirectorySlots(root, { fallback: o.fallback === true })
    },
    haltInstaller: () => Promise.resolve(false),
    async holdInstall() {
      await mkdir(join(root, 'slots', 'B'), { recursive: true })
      await promisify(execFile)('mkfifo', [join(root, 'slots', 'B', 'image.part')])
    },
    releaseInstall: () => rm(join(root, 'slots', 'B', 'image.part'), { force: true }),
    close: () => rm(root, { recursive: true, force: true }),
  }
}

/** sha256 hex of bytes. */
export const sha256 = (bytes: Uint8Array): string =>
  createHash('sha256').update(bytes).digest('hex')
