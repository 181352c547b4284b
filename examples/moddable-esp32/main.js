// An Astarte sensor on an ESP32 with Moddable: a datastream of readings, a server-owned
// sampling period, and commands. Credentials come from the factory (`astarte-device provision`
// wrote them into the `astarte` preferences); interfaces.js is `astarte-device interface compile`.
import { ModdableDevice } from 'astarte-moddable'
import interfaces from 'interfaces'
import Timer from 'timer'

const TELEMETRY = 'org.astarte-ts.examples.Telemetry'
const SETTINGS = 'org.astarte-ts.examples.Settings'
const COMMANDS = 'org.astarte-ts.examples.Commands'

const started = Date.now()
let periodMs = 10000
let timer

// Replace with the board's sensor (e.g. a DS18B20 over onewire).
function readTemperature() {
  return 20 + Math.random() * 5
}

function sample() {
  const timestamp = new Date()
  device
    .send(TELEMETRY, '/sensor0/temperature', readTemperature(), { timestamp })
    .catch((e) => trace(`send failed: ${e.code}\n`))
  const uptime = BigInt(Math.floor((Date.now() - started) / 1000))
  device.send(TELEMETRY, '/sensor0/uptimeSeconds', uptime, { timestamp }).catch(() => {})
}

function schedule() {
  if (timer !== undefined) Timer.clear(timer)
  timer = Timer.repeat(sample, periodMs)
}

const device = ModdableDevice.open({ interfaces })

device.on('data', (message) => {
  if (message.interfaceName === SETTINGS && message.path === '/samplingPeriodMs') {
    // an unset goes back to the default
    periodMs = message.type === 'unset' ? 10000 : Math.max(1000, message.value)
    schedule()
  } else if (message.interfaceName === COMMANDS && message.path === '/blink') {
    trace(`blink ${message.value} times\n`)
  } else if (message.interfaceName === COMMANDS && message.path === '/message') {
    trace(`message: ${message.value}\n`)
  }
})
device.on('stateChanged', ({ state }) => trace(`astarte: ${state}\n`))
device.on('error', (e) => trace(`astarte error: ${e.code}\n`))

device.connect().then(schedule, (e) => trace(`couldn't connect: ${e.code}\n`))
