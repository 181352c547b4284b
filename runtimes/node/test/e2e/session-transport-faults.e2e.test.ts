/**
 * Fault suites (the sandbox killed while streaming, certificate renewal, refused TLS identities)
 * again, on sdk-core's `SessionTransport` over `node:tls` instead of MQTT.js's.
 */
process.env['ASTARTE_TEST_TRANSPORT'] = 'session'
await import('../faults/sandbox-restart.test.js')
await import('../faults/cert-renewal.test.js')
await import('../faults/tls-identity.test.js')
