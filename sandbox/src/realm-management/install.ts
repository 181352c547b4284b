/**
 * @module realm management install: an interface enters the realm only if sdk-core's validation
 * (spec §1.3) accepts it, its (name, major) is new, and its name doesn't collide with another
 * installed name once `-` are removed and case is folded (spec §1.3-A).
 */
import { parseInterface, type Interface, type Issue } from '@astarte-ts/sdk-core'
import type { SandboxContext } from '../context.js'

export type InstallOutcome =
  | { readonly ok: true; readonly iface: Interface }
  | { readonly ok: false; readonly reason: 'invalid'; readonly issues: readonly Issue[] }
  | { readonly ok: false; readonly reason: Conflict }

/** Realm Management's 409 reasons (spec §1.3-A). */
export type Conflict = 'already_installed_interface' | 'interface_name_collision'

export function installInterface(ctx: SandboxContext, json: unknown): InstallOutcome {
  const parsed = parseInterface(json)
  if (!parsed.ok) return { ok: false, reason: 'invalid', issues: parsed.error }
  const iface = parsed.value
  if (ctx.interfaces.has(iface.name, iface.major)) {
    return { ok: false, reason: 'already_installed_interface' }
  }
  const normalized = normalizeName(iface.name)
  const collides = ctx.interfaces
    .names()
    .some((name) => name !== iface.name && normalizeName(name) === normalized)
  if (collides) return { ok: false, reason: 'interface_name_collision' }
  ctx.interfaces.install(iface, json)
  return { ok: true, iface }
}

function normalizeName(name: string): string {
  return name.replace(/-/g, '').toLowerCase()
}
