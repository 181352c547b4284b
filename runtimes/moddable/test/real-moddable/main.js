// The app test/real-moddable.manual.ts builds with the real Moddable SDK (`mcconfig -p lin`) and
// runs in its simulator: the bundle's device on Moddable's own SecureSocket, http, Preference and
// Timer. It connects from the provisioned preferences, sends `guaranteed` (QoS 1) datastream values,
// a `unique` (QoS 2) object and a device property (QoS 2), and traces what it receives; the runner
// reads the trace lines (`CONNECTED`, `SENT`, `DATA …`) and AppEngine.
import { ModdableDevice } from 'astarte-moddable'
import interfaces from 'interfaces'

const TELEMETRY = 'org.astarte-ts.examples.Telemetry'
const ENVIRONMENT = 'org.astarte-ts.examples.Environment'
const STATUS = 'org.astarte-ts.examples.DeviceStatus'

const describe = (e) => `${e?.code ?? ''} ${e} ${JSON.stringify(e?.ctx ?? {})} ${e?.stack ?? ''}`

let device
try {
  device = ModdableDevice.open({
    interfaces,
    logger: { log: (level, message, ctx) => trace(`LOG ${level} ${JSON.stringify(ctx ?? {})}\n`) },
  })
} catch (e) {
  trace(`FAILED open ${describe(e)}\n`)
  throw e
}
device.on('stateChanged', ({ state }) => trace(`STATE ${state}\n`))
device.on('synced', () => trace('SYNCED\n'))
device.on('error', (e) => trace(`ERROR ${e.code}\n`))
device.on('disconnected', ({ error }) => trace(`LOST ${error?.code ?? ''}\n`))
device.on('data', (m) =>
  trace(
    `DATA ${m.interfaceName}${m.path} ${m.type === 'unset' ? 'unset' : JSON.stringify(m.value)}\n`,
  ),
)

async function run() {
  await device.connect()
  trace('CONNECTED\n')
  await device.send(TELEMETRY, '/sensor0/temperature', 21.5, { timestamp: new Date() })
  await device.send(TELEMETRY, '/sensor0/uptimeSeconds', 42n, { timestamp: new Date() })
  await device.sendObject(
    ENVIRONMENT,
    '/room1',
    { temperature: 22.25, humidity: 41.5, co2: 612 },
    { timestamp: new Date() },
  )
  await device.setProperty(STATUS, '/firmwareVersion', 'real-moddable')
  trace('SENT\n')
}

run().catch((e) => trace(`FAILED ${describe(e)}\n`))
