/**
 * @module reflect metadata: the three `Reflect` metadata functions tsyringe (used by
 * @peculiar/x509) calls at load time. The package's own polyfill dependency
 * (`@abraham/reflection`) is not installed in this workspace; an existing polyfill is kept.
 */

type Key = string | symbol
const table = new WeakMap<object, Map<Key | undefined, Map<unknown, unknown>>>()

function own(
  target: object,
  prop: Key | undefined,
  create: boolean,
): Map<unknown, unknown> | undefined {
  let byProp = table.get(target)
  if (byProp === undefined) {
    if (!create) return undefined
    byProp = new Map()
    table.set(target, byProp)
  }
  let meta = byProp.get(prop)
  if (meta === undefined && create) {
    meta = new Map()
    byProp.set(prop, meta)
  }
  return meta
}

interface ReflectMetadata {
  defineMetadata(key: unknown, value: unknown, target: object, prop?: Key): void
  getOwnMetadata(key: unknown, target: object, prop?: Key): unknown
  getMetadata(key: unknown, target: object, prop?: Key): unknown
}

/** Installs `Reflect.defineMetadata`/`getOwnMetadata`/`getMetadata` unless already present. */
export function installReflectMetadata(): void {
  const r = Reflect as typeof Reflect & Partial<ReflectMetadata>
  if (typeof r.getMetadata === 'function') return
  const api: ReflectMetadata = {
    defineMetadata: (key, value, target, prop) => void own(target, prop, true)?.set(key, value),
    getOwnMetadata: (key, target, prop) => own(target, prop, false)?.get(key),
    getMetadata(key, target, prop) {
      // Walks the prototype chain like reflect-metadata's OrdinaryGetMetadata.
      let t: object | null = target
      for (; t !== null; t = Object.getPrototypeOf(t) as object | null) {
        const meta = own(t, prop, false)
        if (meta?.has(key) === true) return meta.get(key)
      }
      return undefined
    },
  }
  Object.assign(Reflect, api)
}
