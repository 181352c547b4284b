/**
 * @module directory A/B: the `SystemUpdate` adapter for boards without RAUC, and for the demo.
 * Two slot directories under a root, `slots/A` and `slots/B`, each holding an `image` and the
 * `bundle.json` it came from; a `primary` file naming the slot the next boot starts, replaced
 * atomically (temporary file, fsync, rename, directory fsync); a `booted` file the boot process
 * writes with the slot it started (a bootloader script, or `bootDirectorySlots` here, which plays
 * one: it boots the primary, or falls back to the other slot and marks the primary bad).
 *
 * A bundle is one file: a JSON line (`format`, `compatible`, `version`, `size`, `sha256` of the
 * image) and the image bytes. The image is written to `image.part`, checked against the sha256,
 * synced and renamed before the primary flips: a power loss never leaves a half-written image
 * that boots.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { syncDirectory, writeFileDurably } from '../transfer/index.js'
import {
  SystemUpdateError,
  type BundleInfo,
  type InstallProgress,
  type SystemUpdate,
} from './system-update.js'

/** The bundle format this adapter reads. */
export const DIRECTORY_BUNDLE_FORMAT = 'astarte-ab-1'

/** The first line of a directory bundle. */
export interface DirectoryBundleManifest extends BundleInfo {
  readonly format: typeof DIRECTORY_BUNDLE_FORMAT
  /** Bytes of the image that follows the line. */
  readonly size: number
  /** sha256 of the image, lower-case hex. */
  readonly sha256: string
}

/** The two slots' names. */
export type DirectorySlot = 'A' | 'B'

const SLOTS: readonly DirectorySlot[] = ['A', 'B']
const other = (slot: DirectorySlot): DirectorySlot => (slot === 'A' ? 'B' : 'A')
/** A manifest line longer than this is no manifest. */
const MAX_MANIFEST_BYTES = 4096

/** Options of {@link directorySystemUpdate}. */
export interface DirectorySystemUpdateOptions {
  /** The directory holding `slots/`, `primary` and `booted` (on storage both slots share). */
  readonly root: string
  /** This system's compatible string: a bundle must name the same. */
  readonly compatible: string
  /** Where the boot process writes the booted slot; default `<root>/booted`. */
  readonly bootedFile?: string
}

/** Makes a directory bundle of `image` at `path` (a build step; the demo and tests use it). */
export async function writeDirectoryBundle(
  path: string,
  image: Uint8Array,
  info: BundleInfo,
): Promise<DirectoryBundleManifest> {
  const manifest: DirectoryBundleManifest = {
    format: DIRECTORY_BUNDLE_FORMAT,
    compatible: info.compatible,
    version: info.version,
    size: image.byteLength,
    sha256: createHash('sha256').update(image).digest('hex'),
  }
  const fh = await open(path, 'w', 0o644)
  try {
    await fh.write(`${JSON.stringify(manifest)}\n`)
    await fh.write(image)
    await fh.sync()
  } finally {
    await fh.close()
  }
  return manifest
}

/** The directory A/B adapter. */
export function directorySystemUpdate(options: DirectorySystemUpdateOptions): SystemUpdate {
  return new DirectoryAB(options)
}

class DirectoryAB implements SystemUpdate {
  readonly kind = 'directory'
  readonly #root: string
  readonly #compatible: string
  readonly #bootedFile: string

  constructor(options: DirectorySystemUpdateOptions) {
    this.#root = options.root
    this.#compatible = options.compatible
    this.#bootedFile = options.bootedFile ?? join(options.root, 'booted')
  }

  async bootedSlot(): Promise<DirectorySlot> {
    const booted =
      (await readSlot(this.#bootedFile)) ?? (await readSlot(join(this.#root, 'primary'))) ?? 'A'
    return booted
  }

  async check(bundle: string): Promise<BundleInfo> {
    const { manifest } = await readManifest(bundle)
    if (manifest.compatible !== this.#compatible) {
      throw new SystemUpdateError(
        'update.incompatible',
        `bundle ${manifest.compatible} is not compatible with system ${this.#compatible}`,
      )
    }
    return { compatible: manifest.compatible, version: manifest.version }
  }

  idle(): Promise<void> {
    // installs run inside the agent: none survives its process
    return Promise.resolve()
  }

  async install(bundle: string, onProgress: InstallProgress): Promise<{ slot: DirectorySlot }> {
    const info = await this.check(bundle)
    const { manifest, offset } = await readManifest(bundle)
    const booted = await this.bootedSlot()
    const target = other(booted)
    const slotDir = join(this.#root, 'slots', target)
    try {
      // an earlier install that flipped the primary and was cut short: boot the running slot
      await this.#setPrimary(booted)
      await mkdir(slotDir, { recursive: true })
      await rm(join(slotDir, 'image'), { force: true })
      await rm(join(slotDir, 'bundle.json'), { force: true })
      await writeFileDurably(join(slotDir, 'state'), 'pending\n')
      onProgress(0, `Copying image to slot ${target}`)
      await copyImage(bundle, offset, manifest, join(slotDir, 'image.part'), (percent) =>
        onProgress(Math.min(99, percent), `Copying image to slot ${target}`),
      )
      await rename(join(slotDir, 'image.part'), join(slotDir, 'image'))
      await writeFileDurably(join(slotDir, 'bundle.json'), JSON.stringify(info))
      await syncDirectory(slotDir)
      await this.#setPrimary(target)
    } catch (error) {
      if (error instanceof SystemUpdateError) throw error
      throw new SystemUpdateError(
        'update.install_failed',
        `Unable to write slot ${target}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      )
    }
    onProgress(100, 'Installing done.')
    return { slot: target }
  }

  async markGood(): Promise<string> {
    const booted = await this.bootedSlot()
    try {
      await mkdir(join(this.#root, 'slots', booted), { recursive: true })
      await writeFileDurably(join(this.#root, 'slots', booted, 'state'), 'good\n')
    } catch (error) {
      throw new SystemUpdateError('update.mark_failed', `Unable to mark slot ${booted} good`, {
        cause: error,
      })
    }
    return booted
  }

  close(): Promise<void> {
    return Promise.resolve()
  }

  async #setPrimary(slot: DirectorySlot): Promise<void> {
    const file = join(this.#root, 'primary')
    if ((await readSlot(file)) === slot) return
    await mkdir(this.#root, { recursive: true })
    await writeFileDurably(file, `${slot}\n`)
  }
}

/**
 * Plays the boot process of a directory A/B board: boots the primary slot, or, when `fallback`
 * is set or the primary has no image, the other one (made primary again, the failed one marked
 * bad), and writes the booted slot where the adapter reads it. Resolves with that slot.
 */
export async function bootDirectorySlots(
  root: string,
  options: { readonly fallback?: boolean; readonly bootedFile?: string } = {},
): Promise<DirectorySlot> {
  const primary = (await readSlot(join(root, 'primary'))) ?? 'A'
  const hasImage = await stat(join(root, 'slots', primary, 'image')).then(
    () => true,
    () => false,
  )
  let booted = primary
  if (options.fallback === true || (!hasImage && primary !== 'A')) {
    booted = other(primary)
    await mkdir(join(root, 'slots', primary), { recursive: true })
    await writeFileDurably(join(root, 'slots', primary, 'state'), 'bad\n')
    await writeFileDurably(join(root, 'primary'), `${booted}\n`)
  }
  await mkdir(root, { recursive: true })
  await writeFileDurably(options.bootedFile ?? join(root, 'booted'), `${booted}\n`)
  return booted
}

async function readSlot(file: string): Promise<DirectorySlot | undefined> {
  let text: string
  try {
    text = (await readFile(file, 'utf8')).trim()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new SystemUpdateError('update.io', `Unable to read ${file}`, { cause: error })
  }
  if (!(SLOTS as readonly string[]).includes(text)) {
    throw new SystemUpdateError(
      'update.io',
      `${file} names no slot (A or B): ${JSON.stringify(text)}`,
    )
  }
  return text as DirectorySlot
}

/** The bundle's manifest line and where its image starts. */
async function readManifest(
  bundle: string,
): Promise<{ manifest: DirectoryBundleManifest; offset: number }> {
  const name = basename(bundle)
  let head: Buffer
  let size: number
  try {
    const fh = await open(bundle, 'r')
    try {
      size = (await fh.stat()).size
      head = Buffer.alloc(Math.min(MAX_MANIFEST_BYTES, size))
      await fh.read(head, 0, head.length, 0)
    } finally {
      await fh.close()
    }
  } catch (error) {
    throw new SystemUpdateError('update.io', `Unable to read bundle ${name}`, { cause: error })
  }
  const end = head.indexOf(0x0a)
  const invalid = (why: string): SystemUpdateError =>
    new SystemUpdateError(
      'update.incompatible',
      `${name} is not a ${DIRECTORY_BUNDLE_FORMAT} bundle: ${why}`,
    )
  if (end < 0) throw invalid('no manifest line')
  let json: unknown
  try {
    json = JSON.parse(head.subarray(0, end).toString('utf8'))
  } catch {
    throw invalid('its manifest line is not JSON')
  }
  const m = json as Partial<DirectoryBundleManifest>
  if (
    m.format !== DIRECTORY_BUNDLE_FORMAT ||
    typeof m.compatible !== 'string' ||
    typeof m.version !== 'string' ||
    typeof m.size !== 'number' ||
    typeof m.sha256 !== 'string' ||
    !/^[0-9a-f]{64}$/.test(m.sha256)
  ) {
    throw invalid('its manifest lacks format, compatible, version, size or sha256')
  }
  if (size - end - 1 !== m.size) {
    throw invalid(`the image is ${size - end - 1} bytes, the manifest says ${m.size}`)
  }
  return { manifest: m as DirectoryBundleManifest, offset: end + 1 }
}

/** Copies the image to `part`, synced, checking its sha256; progress in percent. */
async function copyImage(
  bundle: string,
  offset: number,
  manifest: DirectoryBundleManifest,
  part: string,
  onPercent: (percent: number) => void,
): Promise<void> {
  const hash = createHash('sha256')
  const out = await open(part, 'w', 0o644)
  let copied = 0
  try {
    for await (const chunk of createReadStream(bundle, { start: offset })) {
      const bytes = chunk as Buffer
      hash.update(bytes)
      for (let done = 0; done < bytes.length;) {
        done += (await out.write(bytes, done, bytes.length - done)).bytesWritten
      }
      copied += bytes.length
      if (manifest.size > 0) onPercent(Math.floor((copied * 100) / manifest.size))
    }
    await out.sync()
  } finally {
    await out.close()
  }
  if (hash.digest('hex') !== manifest.sha256) {
    await rm(part, { force: true })
    throw new SystemUpdateError(
      'update.install_failed',
      `the image's sha256 differs from the bundle manifest's: the bundle is corrupt`,
    )
  }
}
