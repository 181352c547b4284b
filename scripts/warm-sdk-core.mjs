// Warm-up of sdk-core's code cache (scripts/bundle-dist.mjs): what a device runs at start and on
// every send, so that V8 has compiled it when the cache is written. Pure calls on the project's
// own interface files; a failure here fails the build, as a broken sdk-core should.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { root } from './workspace.mjs'

const interfaceFiles = ['examples', 'edgehog'].flatMap((dir) =>
  readdirSync(join(root, 'interfaces', dir))
    .filter((f) => f.endsWith('.json'))
    .map((f) => join(root, 'interfaces', dir, f)),
)

/** @param {typeof import('@astarte-ts/sdk-core')} core */
export function warm(core) {
  const parsed = interfaceFiles.map((f) => {
    const r = core.parseInterface(JSON.parse(readFileSync(f, 'utf8')))
    if (!r.ok) throw new Error(`couldn't parse ${f}: ${r.error[0]?.message}`)
    return r.value
  })
  if (core.encodeIntrospection(parsed).length === 0) throw new Error('empty introspection')
  let sent = 0
  for (const iface of parsed) {
    if (iface.aggregation !== 'individual') continue
    for (const m of iface.mappings) {
      if (m.type !== 'double') continue
      const path = m.endpoint.replace(/%\{[^}]*\}/g, 'warm')
      const options = m.explicitTimestamp ? { timestamp: new Date(0) } : undefined
      const v = core.validateIndividual(iface, path, 21.5, options)
      if (!v.ok) throw new Error(`couldn't validate ${iface.name}${m.endpoint}`)
      core.decodeBson(core.encodePayload(v.value))
      sent++
    }
  }
  if (sent === 0) throw new Error('no double mapping to warm the send path with')
}
