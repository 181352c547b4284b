/**
 * @module processor modules: user processors from JavaScript modules the configuration lists
 * (`[dataflow] processor_modules`). A module exports `processors`, an object of factories by
 * name (`export const processors = { smooth: (options, context) => ({ process: … }) }`). A name
 * that is already taken (a built-in, another module) is refused rather than shadowed.
 */
import { isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { SdkError } from '@astarte-ts/sdk-core'
import type { ProcessorFactory, ProcessorRegistry } from './processor.js'

/** `base` plus every module's processors. Throws `local.invalid_config` naming the module. */
export async function loadProcessorModules(
  paths: readonly string[],
  base: ProcessorRegistry,
): Promise<ProcessorRegistry> {
  const registry = new Map(base)
  for (const path of paths) {
    const file = isAbsolute(path) ? path : resolve(path)
    const problem = (why: string, cause?: unknown): SdkError =>
      new SdkError('local.invalid_config', `couldn't load processor module ${file}: ${why}`, {
        ctx: { module: file },
        ...(cause === undefined ? {} : { cause }),
      })
    let mod: { processors?: unknown }
    try {
      mod = (await import(pathToFileURL(file).href)) as { processors?: unknown }
    } catch (e) {
      throw problem((e as Error).message ?? String(e), e)
    }
    const processors = mod.processors
    if (typeof processors !== 'object' || processors === null) {
      throw problem('it exports no `processors` object')
    }
    for (const [name, factory] of Object.entries(processors)) {
      if (typeof factory !== 'function') throw problem(`processors.${name} is not a function`)
      if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) throw problem(`${name} can't be named in a flow`)
      if (registry.has(name)) throw problem(`a processor named ${name} already exists`)
      registry.set(name, factory as ProcessorFactory)
    }
  }
  return registry
}
