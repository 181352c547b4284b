/**
 * @module package info: this package's `package.json` fields the agent reports (its version,
 * RuntimeInfo's URL). Read from the file one level up, from src/ as from dist/; the application
 * bundle (scripts/bundle-apps.mjs) replaces this module with the values inlined, since a bundle
 * has no package.json beside it.
 */
import { readFileSync } from 'node:fs'

export interface PackageInfo {
  readonly version: string
  readonly homepage?: unknown
  readonly repository?: unknown
}

let info: PackageInfo | undefined

/** The agent package's `package.json` (read once). */
export function packageInfo(): PackageInfo {
  info ??= JSON.parse(
    readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
  ) as PackageInfo
  return info
}
