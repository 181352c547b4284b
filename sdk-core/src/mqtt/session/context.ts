/** @module mqtt session context: where steps put their actions; the one place bytes go out. */
import type { Connection } from './connection.js'
import type { SessionStore } from './session-store.js'
import type { SessionAction, SessionEvent } from './types.js'

export interface Context {
  /** Actions of the input being handled, in order. */
  out: SessionAction[]
  readonly store: SessionStore
  readonly maxFrameBytes: number | undefined
}

export function emit(ctx: Context, event: SessionEvent): void {
  ctx.out.push({ type: 'event', event })
}

/** Writes `bytes`, which must never change afterwards (the runtime may write them later). */
export function write(ctx: Context, conn: Connection, bytes: Uint8Array, nowMs: number): void {
  conn.lastWriteMs = nowMs
  ctx.out.push({ type: 'write', bytes })
}
