// `debug` as runtime-node's bundle gives it to MQTT.js and mqtt-packet (see bundle-dist.mjs).
// They call their loggers several times per packet, and a `debug` logger that is off still
// collects its arguments and reads its `enabled` getter each time: ~5 % of a device's CPU per
// QoS 0 message. A namespace that DEBUG doesn't enable when the process starts gets a function
// that does nothing; `DEBUG=mqttjs*,mqtt-packet*` works as with the unbundled packages. (The
// bundle's `debug` is private to it, so no one could enable it later anyway.)
'use strict'
const debug = require('debug/src/index.js')

function off() {}

module.exports = function loggerFor(namespace) {
  return debug.enabled(namespace) ? debug(namespace) : off
}
