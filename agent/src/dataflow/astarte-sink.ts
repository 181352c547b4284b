/**
 * @module astarte sink: where a flow's output leaves it — the SDK call its interface takes
 * (`send`, `sendObject` or `setProperty`), at the path the template gives the message's tags,
 * with the message's timestamp when the mapping has `explicit_timestamp`. The returned promise
 * is the SDK's acceptance: on disk for `stored` and properties, queued for `volatile`, written
 * or acknowledged for `discard`.
 */
import {
  resolveIndividualPath,
  SdkError,
  type AstarteDevice,
  type Interface,
} from '@astarte-ts/sdk-core'
import type { PathTemplate } from './path-template.js'
import type { FlowMessage } from './source-sink.js'

/** Hands one message to the SDK; `undefined` when the message's tags don't fill the path. */
export type Deliver = (message: FlowMessage) => Promise<void> | undefined

const MAX_CACHED_PATHS = 1024

/** The delivery function of a device-owned interface at a path template. */
export function astarteSink(
  device: AstarteDevice,
  iface: Interface,
  template: PathTemplate,
): Deliver {
  if (iface.ownership !== 'device') {
    throw new SdkError(
      'local.invalid_config',
      `couldn't send to ${iface.name}: it is server-owned`,
      {
        ctx: { interfaceName: iface.name },
      },
    )
  }
  template.checkAgainst(iface)
  const name = iface.name
  const stamped = explicitTimestamps(iface)
  if (iface.type === 'properties') {
    return (m) => {
      const path = template.fill(m.tags)
      return path === undefined ? undefined : device.setProperty(name, path, m.value as never)
    }
  }
  if (iface.aggregation === 'object') {
    const explicit = iface.mappings[0]?.explicitTimestamp === true
    return (m) => {
      const path = template.fill(m.tags)
      if (path === undefined) return undefined
      return explicit
        ? device.sendObject(name, path, m.value as never, { timestamp: new Date(m.timestamp) })
        : device.sendObject(name, path, m.value as never)
    }
  }
  return (m) => {
    const path = template.fill(m.tags)
    if (path === undefined) return undefined
    return stamped(path)
      ? device.send(name, path, m.value as never, { timestamp: new Date(m.timestamp) })
      : device.send(name, path, m.value as never)
  }
}

/** Whether a path's mapping takes an explicit timestamp, remembered per path (bounded). */
function explicitTimestamps(iface: Interface): (path: string) => boolean {
  const all = iface.mappings.every((m) => m.explicitTimestamp)
  const none = iface.mappings.every((m) => !m.explicitTimestamp)
  if (all || none) return () => all
  const known = new Map<string, boolean>()
  return (path) => {
    let explicit = known.get(path)
    if (explicit === undefined) {
      const mapping = resolveIndividualPath(iface, path)
      // an unknown path: the SDK refuses the send itself, with its issue
      explicit = mapping.ok && mapping.value.explicitTimestamp
      if (known.size >= MAX_CACHED_PATHS) known.clear()
      known.set(path, explicit)
    }
    return explicit
  }
}
