import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  defineInterface,
  SdkError,
  type AstarteValue,
  type Interface,
  type InterfacePaths,
  type InterfaceValue,
  type IsDeviceOwned,
  type ObjectPaths,
  type ObjectValue,
} from '../../src/index.js'

// Compile-time assertions: checked by `node scripts/typecheck.mjs` (tsconfig.test.json).
type Equal<A, B> =
  (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false
const expectType = <T extends true>(): T | undefined => undefined

const Sensors = defineInterface({
  interface_name: 'org.example.Sensors',
  version_major: 1,
  version_minor: 0,
  type: 'datastream',
  ownership: 'device',
  vendor_note: 'extra keys are tolerated',
  mappings: [
    { endpoint: '/%{room}/temperature', type: 'double', explicit_timestamp: true },
    { endpoint: '/%{room}/tags', type: 'stringarray' },
    { endpoint: '/status/uptime', type: 'longinteger' },
  ],
})

const Weather = defineInterface({
  interface_name: 'org.example.Weather',
  version_major: 0,
  version_minor: 1,
  type: 'datastream',
  ownership: 'server',
  aggregation: 'object',
  mappings: [
    { endpoint: '/%{station}/temperature', type: 'double', required: true },
    { endpoint: '/%{station}/humidity', type: 'integer' },
    { endpoint: '/%{station}/photo', type: 'binaryblob' },
  ],
})

const Legacy = defineInterface({
  interface_name: 'org.example.Legacy',
  version_major: 1,
  version_minor: 0,
  type: 'datastream',
  ownership: 'device',
  aggregation: 'object',
  mappings: [{ endpoint: '/value', type: 'boolean' }],
})

/** The shape the Device API will have. */
function send<T extends Interface, P extends InterfacePaths<T>>(
  iface: T,
  path: P,
  value: InterfaceValue<T, P>,
): string {
  return `${iface.name}${path}=${String(value)}`
}
function sendObject<T extends Interface>(iface: T, path: ObjectPaths<T>, value: ObjectValue<T>) {
  return `${iface.name}${path}:${Object.keys(value).join(',')}`
}

describe('defineInterface', () => {
  it('returns the parsed interface and checks paths and values at compile time', () => {
    assert.equal(Sensors.name, 'org.example.Sensors')
    assert.equal(Sensors.mappings[0]?.explicitTimestamp, true)
    const sent = send(Sensors, '/kitchen/temperature', 21.5)
    assert.equal(sent, 'org.example.Sensors/kitchen/temperature=21.5')
    send(Sensors, '/kitchen/tags', ['a', 'b'])
    send(Sensors, '/status/uptime', 10n)
    send(Sensors, '/status/uptime', 10)
    // @ts-expect-error unknown path
    send(Sensors, '/kitchen/pressure', 1)
    // @ts-expect-error path with a missing level
    send(Sensors, '/temperature', 1)
    // @ts-expect-error wrong value type for a double
    send(Sensors, '/kitchen/temperature', '21.5')
    // @ts-expect-error an array where a scalar is declared
    send(Sensors, '/kitchen/temperature', [21.5])
    // @ts-expect-error object interfaces have no individual paths
    send(Weather, '/station1/temperature', 1)

    type Paths = `/${string}/temperature` | `/${string}/tags` | '/status/uptime'
    expectType<Equal<InterfacePaths<typeof Sensors>, Paths>>()
    expectType<Equal<InterfaceValue<typeof Sensors, '/hall/temperature'>, number>>()
    expectType<Equal<InterfaceValue<typeof Sensors, '/status/uptime'>, bigint | number>>()
    expectType<Equal<IsDeviceOwned<typeof Sensors>, true>>()
    expectType<Equal<IsDeviceOwned<typeof Weather>, false>>()
    expectType<Equal<IsDeviceOwned<Interface>, boolean>>()
    // Untyped interfaces (parsed at run time) stay usable, with run-time validation only.
    expectType<Equal<InterfacePaths<Interface>, string>>()
    expectType<Equal<InterfaceValue<Interface, '/x'>, AstarteValue>>()
  })

  it('types object aggregates by prefix path and last-level keys', () => {
    const sent = sendObject(Weather, '/station1', { temperature: 3, humidity: 40 })
    assert.equal(sent, 'org.example.Weather/station1:temperature,humidity')
    sendObject(Weather, '/station1', { temperature: 3, photo: new Uint8Array(1) })
    sendObject(Legacy, '/', { value: true })
    // @ts-expect-error the required key is missing
    sendObject(Weather, '/station1', { humidity: 40 })
    // @ts-expect-error unknown key
    sendObject(Weather, '/station1', { temperature: 3, wind: 2 })
    // @ts-expect-error wrong value type
    sendObject(Weather, '/station1', { temperature: 'cold' })
    // @ts-expect-error paths start with '/'
    sendObject(Weather, 'station1', { temperature: 3 })
    // A parameter level types as `${string}`, which admits '/' too: run-time resolution rejects it.
    const loose = sendObject(Weather, '/a/b', { temperature: 3 })
    assert.equal(loose, 'org.example.Weather/a/b:temperature')
    // @ts-expect-error legacy depth-1 objects publish on '/'
    sendObject(Legacy, '/value', { value: true })

    expectType<Equal<ObjectPaths<typeof Weather>, `/${string}`>>()
    expectType<Equal<ObjectPaths<typeof Legacy>, '/'>>()
    expectType<Equal<ObjectPaths<typeof Sensors>, never>>()
    type Expected = {
      readonly temperature: number
      readonly humidity?: number
      readonly photo?: Uint8Array
    }
    expectType<Equal<ObjectValue<typeof Weather>, Expected>>()
  })

  it('throws local.invalid_interface with every issue when the literal is invalid', () => {
    const invalid = () =>
      defineInterface({
        interface_name: 'control',
        version_major: 0,
        version_minor: 0,
        type: 'properties',
        ownership: 'device',
        mappings: [
          { endpoint: '/a/%{b}', type: 'double' },
          { endpoint: '/a/c', type: 'double' },
        ],
      })
    assert.throws(invalid, (e: unknown) => {
      assert.ok(e instanceof SdkError)
      assert.equal(e.code, 'local.invalid_interface')
      assert.match(e.message, /^couldn't define interface control: /)
      const codes = e.issues.map((i) => i.code).sort()
      assert.deepEqual(codes, ['interface_name_reserved', 'overlapping_endpoints', 'version_zero'])
      return true
    })
  })

  it('rejects enum typos at compile time', () => {
    const bad = {
      interface_name: 'org.example.Bad',
      version_major: 1,
      version_minor: 0,
      type: 'datastream',
      ownership: 'device',
      mappings: [{ endpoint: '/a', type: 'float' }],
    } as const
    // @ts-expect-error 'float' is not an Astarte type
    assert.throws(() => defineInterface(bad), SdkError)
  })
})
