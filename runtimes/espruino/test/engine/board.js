// What an ESP32 board adds to the Espruino shim for the example program: Wi-Fi that connects at
// once, the chip's temperature, uptime, the LED, and the runtime as the module `astarte` (the
// bundle loaded before this file defines `Astarte`). Calls are recorded in `board`.
var board = { led: [], wifi: [] }
var LED1 = 'D2'
function digitalWrite(pin, value) {
  board.led.push(pin + '=' + (value ? 1 : 0))
}
function getTime() {
  return Date.now() / 1000
}
E.getTemperature = function () {
  return 21.25
}
__modules.Wifi = {
  connect: function (ssid, options, callback) {
    board.wifi.push(ssid)
    setTimeout(function () {
      callback(null)
    }, 0)
  },
  setSNTP: function (server) {
    board.wifi.push('sntp ' + server)
  },
}
__modules.astarte = Astarte
