/**
 * @module OTA state: what the OTA feature keeps across a power loss, in one JSON file written
 * atomically (temporary file, fsync, rename, directory fsync) before every step a power loss
 * could interrupt: the update in progress and its phase, the slot booted before the install and
 * the slot expected after the reboot, the final events not yet acknowledged by Astarte (OTAEvent's
 * retention is `discard`: the device store doesn't keep them), and the outcome of the latest
 * updates, so a request repeated with the same uuid is recognised.
 */
import { readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileDurably } from '../transfer/index.js'
import type { OtaEvent } from './ota-events.js'

/** Where the update in progress is; each phase resumes after a restart. */
export type OtaPhase = 'downloading' | 'deploying' | 'deployed' | 'rebooting'

/** The update in progress. */
export interface OtaCurrent {
  readonly uuid: string
  /** Valid until the update ends (spec §3.1); kept only while it runs. */
  readonly url: string
  readonly phase: OtaPhase
  /** The booted slot before the install (from `deploying` on). */
  readonly bootSlot?: string
  /** The slot the install made the next boot's (from `deployed` on). */
  readonly expectedSlot?: string
}

/** A final event and the uuid it ends. */
export interface FinishedUpdate {
  readonly uuid: string
  readonly event: OtaEvent
}

/** The persisted state; `version` guards the format. */
export interface OtaState {
  readonly version: 1
  readonly current?: OtaCurrent
  /** Final events handed to the device but not acknowledged yet, oldest first. */
  readonly unsent: readonly OtaEvent[]
  /** The latest finished updates, newest last (bounded). */
  readonly finished: readonly FinishedUpdate[]
}

/** How many finished updates are remembered for repeated requests. */
export const FINISHED_KEPT = 32

export const EMPTY_STATE: OtaState = { version: 1, unsent: [], finished: [] }

/** The state file of a feature state directory. */
export const stateFile = (stateDir: string): string => join(stateDir, 'state.json')

/**
 * Reads the state; a missing file is the empty state. A file that can't be parsed is moved
 * aside (`state.json.corrupt`) and the empty state returned: the agent keeps running.
 */
export async function loadOtaState(file: string): Promise<{ state: OtaState; corrupt: boolean }> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { state: EMPTY_STATE, corrupt: false }
    throw error
  }
  const parsed = parseState(text)
  if (parsed !== undefined) return { state: parsed, corrupt: false }
  await rename(file, `${file}.corrupt`)
  return { state: EMPTY_STATE, corrupt: true }
}

function parseState(text: string): OtaState | undefined {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof json !== 'object' || json === null) return undefined
  const s = json as Partial<OtaState>
  if (s.version !== 1 || !Array.isArray(s.unsent) || !Array.isArray(s.finished)) return undefined
  const c = s.current
  if (
    c !== undefined &&
    (typeof c.uuid !== 'string' ||
      typeof c.url !== 'string' ||
      !['downloading', 'deploying', 'deployed', 'rebooting'].includes(c.phase))
  ) {
    return undefined
  }
  return s as OtaState
}

/** Writes the state durably: the file is the old or the new state, never a torn mix. */
export function saveOtaState(file: string, state: OtaState): Promise<void> {
  return writeFileDurably(file, JSON.stringify(state))
}
