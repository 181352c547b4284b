/**
 * @module sandbox: a local Astarte look-alike for development and tests — Pairing API with a
 * local CA, a mutual-TLS MQTT broker with Astarte's ACL and ingestion, and AppEngine / Realm
 * Management subsets. Not a production server.
 */
export { startSandbox, type Sandbox, type SandboxOptions } from './sandbox.js'
export type { PkiKind, ServerCredentials } from './pki/ca.js'
export { silentLogger, stderrLogger } from './log.js'
