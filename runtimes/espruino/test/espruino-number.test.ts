/**
 * Espruino's `Number` reads a string of digits with a leading zero as octal when it can
 * (`Number("0443")` is 291, `Number("050")` 40, `Number("0178")` 178: seen on 2v29 @ c5ff787,
 * by `test/real-espruino-parsers.manual.ts`), where every other engine reads decimal. The probe
 * bundle (`engine/parsers-probe.ts`, built by the Espruino build) runs here under a model of that
 * `Number`: what the bundle reads from digit strings must not go through it.
 */
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { runInNewContext } from 'node:vm'

const build = (await import(new URL('../scripts/build.mjs', import.meta.url).href)) as {
  buildEspruino(options?: { entry?: string }): Promise<{ code: string }>
}
const PROBE = new URL('./engine/parsers-probe.ts', import.meta.url).pathname

/** Espruino 2v29's `Number`: a sign, `0` and octal digits only are read as octal. */
function espruinoNumber(base: NumberConstructor): NumberConstructor {
  const model = function (this: unknown, ...args: unknown[]): number {
    const v = args[0]
    if (typeof v === 'string' && /^[+-]?0[0-7]+$/.test(v)) {
      return (v.charAt(0) === '-' ? -1 : 1) * parseInt(v.replace(/^[+-]/, ''), 8)
    }
    return args.length === 0 ? 0 : base(v)
  }
  for (const key of Object.getOwnPropertyNames(base)) {
    if (key !== 'length' && key !== 'name') {
      Object.defineProperty(model, key, Object.getOwnPropertyDescriptor(base, key) ?? {})
    }
  }
  return model as unknown as NumberConstructor
}

interface Probe {
  espruinoHttpClient(http: unknown): { request(req: unknown): Promise<unknown> }
}
let probe: Probe
let number: NumberConstructor

before(async () => {
  const { code } = await build.buildEspruino({ entry: PROBE })
  const context: Record<string, unknown> = { espruinoNumber, Uint8Array }
  // as on Espruino: no Map or Set of the engine's (the prelude's stand in), its Number
  runInNewContext(
    `delete this.Map; delete this.Set; delete this.WeakMap; Number = espruinoNumber(Number);\n${code}`,
    context,
  )
  probe = context['Astarte'] as Probe
  number = context['Number'] as NumberConstructor
})

test('the model reads digit strings as Espruino 2v29 did', () => {
  const read = ['0443', '050', '+002024', '-010', '0178', '08', '012.5', '0', '443', '0x10']
  assert.deepEqual(
    read.map((s) => number(s)),
    [291, 40, 1044, -8, 178, 8, 12.5, 0, 443, 16],
  )
})

test('the Pairing client connects to the port a URL names, leading zeros and all', async () => {
  const ports: unknown[] = []
  const http = {
    request(options: { port: number }) {
      ports.push(options.port)
      return { on() {}, end() {} }
    },
  }
  const client = probe.espruinoHttpClient(http)
  for (const url of ['https://pairing.example:0443/v1', 'https://pairing.example/v1', 'http://h']) {
    void client.request({ method: 'GET', url, headers: {} })
  }
  assert.deepEqual(ports, [443, 443, 80])
})

interface CoreProbe {
  parseDateTime(text: string, lenient?: boolean): number | undefined
  parseBrokerUrl(url: string): { ok: boolean; value?: { host: string; port: number } }
  parseIntrospection(text: string): { ok: boolean; value?: unknown }
}

test("sdk-core's readers of digits read decimal under Espruino's Number", () => {
  const core = probe as unknown as CoreProbe
  for (const text of [
    '2024-05-01T12:00:00.050Z',
    '2024-05-01T12:00:00.012Z',
    '2024-05-01T12:00:00.07+01:00',
    '0010-05-01T12:00:00Z',
    '+002024-05-01T12:00:00Z',
  ]) {
    assert.equal(core.parseDateTime(text), Date.parse(text), text)
  }
  assert.equal(
    core.parseDateTime('2025-03-25 19:25:00.050Z', true),
    Date.parse('2025-03-25T19:25:00.050Z'),
  )
  // the bundle's objects come from another realm: compared as JSON
  const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v))
  assert.deepEqual(plain(core.parseBrokerUrl('mqtts://broker.example:0443/').value), {
    host: 'broker.example',
    port: 443,
  })
  assert.deepEqual(plain(core.parseIntrospection('com.example.Sensors:010:012').value), [
    { name: 'com.example.Sensors', major: 10, minor: 12 },
  ])
})
