/** @module device state pairing: the pairing sub-machine is obtaining broker and credentials. */
export interface Pairing {
  readonly tag: 'pairing'
}
export const pairing: Pairing = { tag: 'pairing' }
