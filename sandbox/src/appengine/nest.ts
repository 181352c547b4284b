/** @module appengine nest: flat `/a/b` paths to the nested JSON maps AppEngine answers with. */

/** `[['/a/b', 1], ['/a/c', 2]]` → `{"a": {"b": 1, "c": 2}}`. */
export function nestByPath(
  entries: readonly (readonly [string, unknown])[],
): Record<string, unknown> {
  const root: Record<string, unknown> = {}
  for (const [path, value] of entries) {
    const levels = path.split('/').filter((l) => l !== '')
    let node = root
    levels.forEach((level, i) => {
      if (i === levels.length - 1) {
        node[level] = value
        return
      }
      const next = node[level]
      const isMap = typeof next === 'object' && next !== null && !Array.isArray(next)
      const child = isMap ? (next as Record<string, unknown>) : {}
      node[level] = child
      node = child
    })
  }
  return root
}
