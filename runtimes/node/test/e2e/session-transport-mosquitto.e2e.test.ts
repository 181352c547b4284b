/**
 * The device against Mosquitto (Pairing from the sandbox) again, on sdk-core's `SessionTransport`
 * over `node:tls` instead of MQTT.js's.
 */
process.env['ASTARTE_TEST_TRANSPORT'] = 'session'
await import('../interop/mosquitto-interop.test.js')
