/**
 * The device end-to-end suites against the sandbox again, on sdk-core's `SessionTransport` over
 * `node:tls` (the code path of the runtimes without an MQTT client) instead of MQTT.js's.
 */
process.env['ASTARTE_TEST_TRANSPORT'] = 'session'
await import('./device.e2e.test.js')
await import('./device-sync.e2e.test.js')
await import('./renewal.e2e.test.js')
