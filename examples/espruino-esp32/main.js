// astarte-ts on an ESP32 running Espruino: a temperature sensor (device datastream), its sampling
// period set from Astarte (server-owned property), and commands (server datastream) that blink
// the LED or print a message. Functions are defined before they are used: Espruino does not
// hoist them. Upload with the Espruino Web IDE or CLI (see README.md).
var WIFI_SSID = 'my-network'
var WIFI_PASSWORD = 'my-password'

var TELEMETRY = 'org.astarte-ts.examples.Telemetry'
var SETTINGS = 'org.astarte-ts.examples.Settings'
var COMMANDS = 'org.astarte-ts.examples.Commands'

var Astarte = require('astarte')
var device
var periodMs = 10000
var sampler

function sample() {
  var now = new Date()
  device.send(TELEMETRY, '/esp32/temperature', E.getTemperature(), { timestamp: now })
  // a longinteger: a decimal string (or a safe integer) on Espruino
  device.send(TELEMETRY, '/esp32/uptimeSeconds', String(Math.floor(getTime())), { timestamp: now })
}

function restartSampling() {
  if (sampler !== undefined) clearInterval(sampler)
  sampler = setInterval(sample, periodMs)
}

function blink(times) {
  var on = false
  var left = times * 2
  var timer = setInterval(function () {
    on = !on
    digitalWrite(LED1, on)
    if (--left <= 0) clearInterval(timer)
  }, 200)
}

function onData(m) {
  if (m.interfaceName === SETTINGS && m.path === '/samplingPeriodMs' && m.value !== undefined) {
    periodMs = Math.max(1000, m.value)
    restartSampling()
  } else if (m.interfaceName === COMMANDS && m.path === '/blink') {
    blink(m.value)
  } else if (m.interfaceName === COMMANDS && m.path === '/message') {
    console.log('message from Astarte:', m.value)
  }
}

function start() {
  // the credentials come from the Storage file written at provisioning (astarte.json)
  device = Astarte.open({ interfaces: require('Storage').readJSON('interfaces.json') })
  device.on('data', onData)
  device.on('error', function (e) {
    console.log('astarte error', e.code)
  })
  device.connect().then(function () {
    console.log('connected to Astarte as', device.driver.deviceId)
    restartSampling()
  })
}

require('Wifi').connect(WIFI_SSID, { password: WIFI_PASSWORD }, function (err) {
  if (err) return console.log('wifi:', err)
  // certificates and expiries need the right time
  require('Wifi').setSNTP('pool.ntp.org', 0)
  setTimeout(start, 2000)
})
