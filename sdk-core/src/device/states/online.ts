/** @module device state online: synced; data flows; the stable timer will reset the backoff. */
export interface Online {
  readonly tag: 'online'
  readonly stableTimerId: string
}
