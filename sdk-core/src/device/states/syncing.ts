/**
 * @module device state syncing: connected, full sync under way (spec §3.4). First the
 * subscription (its suback must arrive before any publish), then the control publishes, each of
 * which must be acknowledged before data is released.
 */
export type SyncPhase =
  | { readonly step: 'subscribing'; readonly requestId: string }
  | {
      readonly step: 'publishing'
      readonly remaining: number
      /** The introspection this sync publishes, recorded once the sync completes. */
      readonly introspection: string
    }

export interface Syncing {
  readonly tag: 'syncing'
  readonly phase: SyncPhase
}
