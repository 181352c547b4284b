/**
 * @module package info: this package's `package.json` fields the bridge reports (its version).
 * Read from the file one level up, from src/ as from dist/; the application bundle
 * (scripts/bundle-apps.mjs) replaces this module with the values inlined, since a bundle has no
 * package.json beside it.
 */
import { readFileSync } from 'node:fs'

export interface PackageInfo {
  readonly version: string
}

let info: PackageInfo | undefined

/** The bridge package's `package.json` (read once). */
export function packageInfo(): PackageInfo {
  info ??= JSON.parse(
    readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
  ) as PackageInfo
  return info
}
