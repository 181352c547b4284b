/**
 * @module device topic cache: the data topic of each interface and path, built once, as it is
 * needed for every message sent (spec §3.2). Topics depend on names only, so an interface
 * replaced by another version keeps its entries; parametric paths are unbounded, so each
 * interface keeps at most `MAX_PATHS` of them, then starts over.
 */
import { dataTopic, type TopicPrefix } from '../protocol/topics.js'

const MAX_PATHS = 256

export class TopicCache {
  readonly #prefix: TopicPrefix
  readonly #byInterface = new Map<string, Map<string, string>>()

  constructor(prefix: TopicPrefix) {
    this.#prefix = prefix
  }

  /** `<prefix>/<interfaceName><path>`. */
  topic(interfaceName: string, path: string): string {
    let paths = this.#byInterface.get(interfaceName)
    if (paths === undefined) {
      paths = new Map()
      this.#byInterface.set(interfaceName, paths)
    }
    let topic = paths.get(path)
    if (topic === undefined) {
      topic = dataTopic(this.#prefix, interfaceName, path)
      if (paths.size >= MAX_PATHS) paths.clear()
      paths.set(path, topic)
    }
    return topic
  }
}
