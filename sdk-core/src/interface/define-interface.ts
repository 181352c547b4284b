/**
 * @module defineInterface: validates a `const` interface literal once, at definition time, and
 * returns it parsed with its literal type attached for compile-time path and value checks.
 */
import { SdkError } from '../errors.js'
import { parseInterface } from './parse-interface.js'
import type { InterfaceJson, TypedInterface } from './typed.js'

/**
 * Parses `json` and returns it as a `TypedInterface`, so paths and values can be checked by the
 * compiler: `defineInterface({ interface_name: 'org.example.Sensors', … })`.
 *
 * @throws SdkError `local.invalid_interface` with the validation `issues` when `json` is invalid.
 */
export function defineInterface<const J extends InterfaceJson>(json: J): TypedInterface<J> {
  const parsed = parseInterface(json)
  if (!parsed.ok) {
    const name = typeof json.interface_name === 'string' ? json.interface_name : '(unnamed)'
    const first = parsed.error[0]?.message ?? 'invalid'
    const message = `couldn't define interface ${name}: ${first} (${parsed.error.length} issues)`
    throw new SdkError('local.invalid_interface', message, {
      ctx: { interface: name },
      issues: parsed.error,
    })
  }
  // The literal type rides along as a phantom: nothing reads it at run time.
  return parsed.value as TypedInterface<J>
}
