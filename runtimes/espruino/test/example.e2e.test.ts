/**
 * examples/espruino-esp32 runs: its main.js, in Duktape with the Espruino shim and a board's
 * stand-ins (Wi-Fi, LED, chip temperature), against the sandbox with the example interfaces,
 * from provisioned credentials: it samples the temperature, takes its sampling period from the
 * server-owned property, blinks the LED and prints messages on commands.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { after, before, test } from 'node:test'
import { eventually, startEspruinoEnv, type EspruinoEnv } from './engine/espruino-env.js'

const root = new URL('../../../', import.meta.url)
const EXAMPLE = new URL('examples/espruino-esp32/', root)
const BOARD = fileURLToPath(new URL('./engine/board.js', import.meta.url))
const TELEMETRY = 'org.astarte-ts.examples.Telemetry'

let env: EspruinoEnv

before(async () => {
  env = await startEspruinoEnv({
    interfacesDir: fileURLToPath(new URL('interfaces/examples/', root)),
    scripts: [BOARD],
    open: false,
  })
})

after(async () => {
  await env?.stop()
})

test('the example samples, follows its setting, obeys commands', { timeout: 180_000 }, async () => {
  const { engine, deviceId } = env
  const tables = await readFile(new URL('interfaces.json', EXAMPLE), 'utf8')
  await engine.call(`require('Storage').write('interfaces.json', ${JSON.stringify(tables)})`)
  await engine.call(await readFile(new URL('main.js', EXAMPLE), 'utf8'))
  // connected, with its introspection announced: server data for it is accepted from then on
  await eventually(
    'the example connected',
    async () =>
      (await env.api('GET', `devices/${deviceId}`)).data as {
        connected?: boolean
        introspection?: Record<string, unknown>
      },
    (d) =>
      d.connected === true && d.introspection?.['org.astarte-ts.examples.Settings'] !== undefined,
  )
  const put = await env.api(
    'PUT',
    `devices/${deviceId}/interfaces/org.astarte-ts.examples.Settings/samplingPeriodMs`,
    1000,
  )
  assert.ok(put.status < 300, JSON.stringify(put.data))
  await eventually(
    'temperature samples',
    async () =>
      (await env.api('GET', `devices/${deviceId}/interfaces/${TELEMETRY}/esp32/temperature`)).data,
    (d) => Array.isArray(d) && d.length >= 2 && (d[0] as { value: unknown }).value === 21.25,
  )
  const blink = await env.api(
    'POST',
    `devices/${deviceId}/interfaces/org.astarte-ts.examples.Commands/blink`,
    2,
  )
  assert.ok(blink.status < 300, JSON.stringify(blink.data))
  await eventually(
    'two blinks',
    () => engine.call('board.led'),
    (led) => Array.isArray(led) && led.length === 4,
  )
  assert.deepEqual(await engine.call('board.led'), ['D2=1', 'D2=0', 'D2=1', 'D2=0'])
  await env.api(
    'POST',
    `devices/${deviceId}/interfaces/org.astarte-ts.examples.Commands/message`,
    'hello',
  )
  await eventually(
    'the message printed',
    () => Promise.resolve(engine.logs),
    (logs) => logs.some((l) => l === 'message from Astarte: hello'),
  )
  assert.deepEqual(engine.uncaught, [], engine.diagnostics())
})
