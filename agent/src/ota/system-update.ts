/**
 * @module system update: the port through which the OTA feature deploys an image and learns,
 * after a reboot, which slot the bootloader started. Adapters: RAUC over D-Bus (`raucSystemUpdate`)
 * and a directory A/B layout for boards without RAUC (`directorySystemUpdate`). Both are A/B:
 * an install writes the slot not booted and makes it the one the next boot starts.
 */

/** What a bundle says about itself, read before anything is written. */
export interface BundleInfo {
  /** The system it was built for (RAUC's `compatible`). */
  readonly compatible: string
  readonly version: string
}

/** Why a system update step failed; stable, mapped onto OTAEvent status codes. */
export type SystemUpdateErrorCode =
  /** The bundle was built for another system, or can't be read as a bundle. */
  | 'update.incompatible'
  /** The installer refused or failed to write the bundle. */
  | 'update.install_failed'
  /** The installer can't be reached (RAUC not running, no bus). */
  | 'update.unavailable'
  /** A local file could not be read or written. */
  | 'update.io'
  /** The booted slot could not be marked good. */
  | 'update.mark_failed'

/** A failed system update step; the message is fit for an OTAEvent. */
export class SystemUpdateError extends Error {
  readonly code: SystemUpdateErrorCode
  constructor(code: SystemUpdateErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SystemUpdateError'
    this.code = code
  }
}

/** Progress of an install: a percentage (0–100) and the installer's own words. */
export type InstallProgress = (percent: number, message: string) => void

/** An A/B system updater. Every method rejects with a {@link SystemUpdateError}. */
export interface SystemUpdate {
  /** `rauc`, `directory`: for logs. */
  readonly kind: string
  /** The slot the running system was booted from (RAUC's `BootSlot`, a bootname). */
  bootedSlot(): Promise<string>
  /** Reads the bundle's description; `update.incompatible` when it isn't for this system. */
  check(bundle: string): Promise<BundleInfo>
  /**
   * Resolves once no install is under way (one an earlier agent process started may still run),
   * so a new install doesn't collide with it.
   */
  idle(): Promise<void>
  /**
   * Writes the bundle's image into the slot not booted and makes that slot the next boot's.
   * Resolves with that slot (bootname) once the installer reports it done.
   */
  install(bundle: string, onProgress: InstallProgress): Promise<{ readonly slot: string }>
  /** Marks the booted slot good, so the bootloader stops falling back; resolves with it. */
  markGood(): Promise<string>
  /** Releases connections; idempotent. */
  close(): Promise<void>
}
