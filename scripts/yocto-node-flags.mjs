// The node flags the Yocto layer's /usr/bin wrappers run the agent and the bridge with: the
// default of ASTARTE_TS_NODE_FLAGS in its class. Read by the bench's memory row and the agent
// bundle's test, so that both run the applications as the image does.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { root } from './workspace.mjs'

const YOCTO_BUNDLE_CLASS = join(
  root,
  'yocto',
  'meta-astarte-ts',
  'classes',
  'astarte-ts-bundle.bbclass',
)

/** @returns {string[]} the flags, in order */
export function yoctoNodeFlags() {
  const text = readFileSync(YOCTO_BUNDLE_CLASS, 'utf8')
  const flags = /^ASTARTE_TS_NODE_FLAGS \?\?= "([^"]*)"$/m.exec(text)?.[1]
  if (flags === undefined) {
    throw new Error(`couldn't read ASTARTE_TS_NODE_FLAGS in ${YOCTO_BUNDLE_CLASS}`)
  }
  return flags.split(/\s+/).filter((f) => f !== '')
}
