/**
 * @module reflect metadata: the three `Reflect` metadata functions tsyringe (used inside
 * @peculiar/x509 2.x) demands at import time. No polyfill package is installed, and x509 only
 * stores and reads constructor metadata, so a WeakMap is enough. Import before `@peculiar/x509`.
 */
type MetadataStore = Map<unknown, unknown>
type ReflectWithMetadata = typeof Reflect & {
  getMetadata?: (key: unknown, target: object) => unknown
  getOwnMetadata?: (key: unknown, target: object) => unknown
  defineMetadata?: (key: unknown, value: unknown, target: object) => void
}

const reflect = Reflect as ReflectWithMetadata
if (reflect.getMetadata === undefined) {
  const stores = new WeakMap<object, MetadataStore>()
  const own = (key: unknown, target: object): unknown => stores.get(target)?.get(key)
  reflect.getOwnMetadata = own
  reflect.getMetadata = (key, target) => {
    for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
      const value = own(key, t)
      if (value !== undefined) return value
    }
    return undefined
  }
  reflect.defineMetadata = (key, value, target) => {
    const store = stores.get(target) ?? new Map<unknown, unknown>()
    store.set(key, value)
    stores.set(target, store)
  }
}

export {}
