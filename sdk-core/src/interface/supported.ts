/**
 * @module supported interfaces: what a valid interface may still ask of a device that astarte-ts
 * cannot give. Today one thing: end-to-end encrypted mappings (spec §1.2 `encrypted`).
 */
import type { Issue } from '../errors.js'
import { SdkError } from '../errors.js'
import { issue, pointer } from './issue.js'
import type { Interface } from './model.js'

/**
 * Throws unless a device can use `iface`. A mapping with `encrypted: true` is valid in Astarte,
 * but Astarte has not released the key agreement (`control/keyAgreement`) its payloads depend
 * on, and sending them in plaintext would break what the interface promises (spec §1.2).
 *
 * @throws SdkError `local.unsupported_interface`, `ctx` naming the interface and the endpoint of
 * its first encrypted mapping, one `encrypted_unsupported` issue per encrypted mapping.
 */
export function checkSupportedInterface(iface: Interface): void {
  const issues: Issue[] = []
  let endpoint: string | undefined
  iface.mappings.forEach((mapping, index) => {
    if (!mapping.encrypted) return
    endpoint ??= mapping.endpoint
    // one literal: a build without sentences keeps none of it
    const message = `mapping ${mapping.endpoint} has encrypted: true, which a device cannot honour (astarte has not released its key agreement)`
    issues.push(issue('encrypted_unsupported', pointer('mappings', index, 'encrypted'), message))
  })
  if (endpoint === undefined) return
  throw new SdkError(
    'local.unsupported_interface',
    `couldn't use interface ${iface.name}: ${(issues[0] as Issue).message}`,
    { ctx: { interfaceName: iface.name, endpoint }, issues },
  )
}
