/**
 * @module interface name: rule §1.3-A exactly as Core checks it. The prefix group is optional,
 * so single-component names (`Values`) are legal [quirk].
 */
import type { Issue } from '../errors.js'
import { issue, quote } from './issue.js'

const NAME = /^([a-zA-Z][a-zA-Z0-9]*\.([a-zA-Z0-9][a-zA-Z0-9-]*\.)*)?[a-zA-Z][a-zA-Z0-9]*$/
const MAX_NAME_LENGTH = 128
// They would collide with the reserved topics `P/control/…` and the introspection topic.
const RESERVED: readonly string[] = ['astarte', 'control', 'device']

/** Whether `name` is a legal interface name (also used to check introspection entries). */
export function isValidInterfaceName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && NAME.test(name) && !RESERVED.includes(name)
}

/** Issues of an interface name found at JSON Pointer `at`. */
export function interfaceNameIssues(name: string, at: string): Issue[] {
  const issues: Issue[] = []
  if (!NAME.test(name)) {
    const message = `interface_name ${quote(name)} isn't a reverse-domain name`
    issues.push(issue('interface_name_syntax', at, message))
  }
  if (name.length > MAX_NAME_LENGTH) {
    issues.push(
      issue('interface_name_length', at, `interface_name has ${name.length} characters, max 128`),
    )
  }
  if (RESERVED.includes(name)) {
    issues.push(issue('interface_name_reserved', at, `interface_name ${quote(name)} is reserved`))
  }
  return issues
}
