/** @module x509 loader: @peculiar/x509 loads only once the Reflect metadata polyfill is in */
import { installReflectMetadata } from './reflect-metadata.js'

installReflectMetadata()

/** The @peculiar/x509 namespace, loaded after its load-time requirement is met. */
export const x509: typeof import('@peculiar/x509') = await import('@peculiar/x509')
