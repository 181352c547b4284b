/**
 * @module interface loading: turns every `InterfaceSource` into a validated `Interface`;
 * files and directories are read once, at open time, and any invalid file stops the device
 * from starting with the issues of that file (never a partial interface set).
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { parseInterface, parseInterfaceText, SdkError, type Interface } from '@astarte-ts/sdk-core'
import type { InterfaceSource } from '../config/options.js'

function isParsed(source: object): source is Interface {
  const s = source as { name?: unknown; mappings?: unknown }
  return (
    typeof s.name === 'string' &&
    Array.isArray(s.mappings) &&
    s.mappings.every((m: { levels?: unknown }) => Array.isArray(m.levels))
  )
}

/** Parses one in-memory source: a parsed `Interface`, a typed definition, or interface JSON. */
export function interfaceFromSource(source: object): Interface {
  if (isParsed(source)) return source
  const typed = (source as { iface?: unknown }).iface
  if (typeof typed === 'object' && typed !== null && isParsed(typed)) return typed
  const parsed = parseInterface(source)
  if (!parsed.ok) {
    const name = (source as { interface_name?: unknown }).interface_name
    throw new SdkError('local.invalid_interface', `couldn't use interface ${String(name)}`, {
      ctx: { interfaceName: name },
      issues: parsed.error,
    })
  }
  return parsed.value
}

async function interfaceFromFile(file: string): Promise<Interface> {
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
  if (!parsed.ok) {
    const first = parsed.error[0]
    const detail = first === undefined ? '' : `: ${first.path} ${first.message}`
    throw new SdkError('local.invalid_interface', `couldn't use interface file ${file}${detail}`, {
      ctx: { file },
      issues: parsed.error,
    })
  }
  return parsed.value
}

async function interfacesFromPath(path: string): Promise<Interface[]> {
  let isDir: boolean
  try {
    isDir = (await stat(path)).isDirectory()
  } catch (e) {
    throw new SdkError('local.invalid_interface', `couldn't find interfaces at ${path}`, {
      ctx: { file: path },
      cause: e,
    })
  }
  if (!isDir) return [await interfaceFromFile(path)]
  const names = (await readdir(path)).filter((n) => n.endsWith('.json')).sort()
  return Promise.all(names.map((n) => interfaceFromFile(join(path, n))))
}

/**
 * Loads and validates every source. Two interfaces with the same name are an error: a device
 * introspects one major per interface (spec §3.3).
 */
export async function loadInterfaces(sources: readonly InterfaceSource[]): Promise<Interface[]> {
  const all: Interface[] = []
  for (const source of sources) {
    if (typeof source === 'string') all.push(...(await interfacesFromPath(source)))
    else all.push(interfaceFromSource(source))
  }
  const seen = new Set<string>()
  for (const iface of all) {
    if (seen.has(iface.name)) {
      throw new SdkError(
        'local.duplicate_interface',
        `couldn't load interface ${iface.name} twice`,
        {
          ctx: { interfaceName: iface.name },
        },
      )
    }
    seen.add(iface.name)
  }
  return all
}
