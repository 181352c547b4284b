/**
 * @module edgehog interfaces: reads the Edgehog interface definitions a feature declares, from the
 * agent's `interfaces_directory` when the configuration names one, else from the set this project
 * ships (`@astarte-ts/interfaces`, identical to the one edgehog-device-runtime pins).
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { parseInterfaceText, SdkError, type Interface } from '@astarte-ts/sdk-core'

/** The prefix of every Edgehog device-manager interface name. */
export const EDGEHOG = 'io.edgehog.devicemanager.'

/** The directory of Edgehog interface files shipped with `@astarte-ts/interfaces`. */
export function shippedEdgehogDirectory(): string {
  const require = createRequire(import.meta.url)
  return join(dirname(require.resolve('@astarte-ts/interfaces/package.json')), 'edgehog')
}

/** Loads `<directory>/<name>.json`; a missing or invalid file is `local.invalid_interface`. */
export async function loadEdgehogInterface(name: string, directory?: string): Promise<Interface> {
  const file = join(directory ?? shippedEdgehogDirectory(), `${name}.json`)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    throw new SdkError('local.invalid_interface', `couldn't read interface file ${file}`, {
      ctx: { file },
      cause: e,
    })
  }
  const parsed = parseInterfaceText(text)
  if (!parsed.ok || parsed.value.name !== name) {
    throw new SdkError('local.invalid_interface', `couldn't use interface file ${file}`, {
      ctx: { file },
      ...(parsed.ok ? {} : { issues: parsed.error }),
    })
  }
  return parsed.value
}
