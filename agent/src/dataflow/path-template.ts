/**
 * @module path template: a flow's Astarte path with `%{tag}` holes, filled from a message's tags
 * on the way out and matched against server paths on the way back. Checked against its
 * interface when the flow is built: it has the depth of one of the interface's endpoints (an
 * object interface: of their common prefix), and each literal level fits that endpoint.
 */
import { SdkError, type Interface } from '@astarte-ts/sdk-core'

type Level = { readonly literal: string } | { readonly tag: string }

const TAG = /^%\{([A-Za-z_][A-Za-z0-9_]*)\}$/

export class PathTemplate {
  readonly #levels: readonly Level[]
  /** The path itself when it has no holes. */
  readonly constant: string | undefined

  constructor(readonly text: string) {
    this.#levels = (text === '/' ? [] : text.slice(1).split('/')).map((level) => {
      const m = TAG.exec(level)
      return m === null ? { literal: level } : { tag: m[1] as string }
    })
    this.constant = this.#levels.every((l) => 'literal' in l) ? text : undefined
  }

  /** The path for `tags`, or `undefined` when one of its holes has no tag (or a tag that can't be a level). */
  fill(tags: { readonly [name: string]: string } | undefined): string | undefined {
    if (this.constant !== undefined) return this.constant
    let path = ''
    for (const level of this.#levels) {
      if ('literal' in level) {
        path += `/${level.literal}`
        continue
      }
      const value = tags?.[level.tag]
      if (value === undefined || value === '' || value.includes('/')) return undefined
      path += `/${value}`
    }
    return path
  }

  /** The tags a concrete path gives the holes, or `undefined` when the path doesn't fit. */
  match(path: string): Record<string, string> | undefined {
    const values = path === '/' ? [] : path.slice(1).split('/')
    if (values.length !== this.#levels.length) return undefined
    const tags: [string, string][] = []
    for (let i = 0; i < values.length; i++) {
      const level = this.#levels[i] as Level
      const value = values[i] as string
      if ('literal' in level) {
        if (level.literal !== value) return undefined
      } else tags.push([level.tag, value])
    }
    return Object.fromEntries(tags)
  }

  /** Throws `local.invalid_config` unless the template fits one of `iface`'s endpoints. */
  checkAgainst(iface: Interface): void {
    const object = iface.aggregation === 'object'
    const fits = iface.mappings.some((mapping) => {
      const levels = object ? mapping.levels.slice(0, -1) : mapping.levels
      return (
        levels.length === this.#levels.length &&
        levels.every((level, i) => {
          const mine = this.#levels[i] as Level
          return level.kind === 'parameter' || !('literal' in mine) || mine.literal === level.text
        })
      )
    })
    if (!fits) {
      const what = object ? 'the common prefix of its endpoints' : 'one of its endpoints'
      throw new SdkError(
        'local.invalid_config',
        `couldn't use path ${this.text} on ${iface.name}: it doesn't fit ${what}`,
        { ctx: { interfaceName: iface.name, path: this.text } },
      )
    }
  }
}
