/**
 * Dataflow test setup: the sandbox with the example interfaces installed, a runtime-node device
 * running a `DataflowFeature` on real timers, scripted endpoints, and a gate in front of the
 * device's acceptance (the SDK's pushback, held and released by the test).
 */
import { readdir, readFile, mkdtemp } from 'node:fs/promises'
import { join } from 'node:path'
import type { AstarteDevice, Clock, Interface, Timers } from '@astarte-ts/sdk-core'
import {
  shippedExamplesDirectory,
  type DataflowFeature,
  type FlowMessage,
} from '../../src/dataflow/index.js'
import { loadEdgehogInterface } from '../../src/device-info/edgehog-interfaces.js'
import {
  openDevice,
  quiet,
  RecordingLogger,
  type Env,
  type Running,
} from '../helpers/feature-sandbox.js'

export const EX = 'org.astarte-ts.examples.'

/** Installs every example interface into the sandbox. */
export async function installExamples(env: Env): Promise<void> {
  const dir = shippedExamplesDirectory()
  for (const name of await readdir(dir)) {
    const res = await fetch(
      `${env.sandbox.realmManagementUrl}/v1/${env.sandbox.realm}/interfaces`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${env.sandbox.jwt}`, 'content-type': 'application/json' },
        body: JSON.stringify({ data: JSON.parse(await readFile(join(dir, name), 'utf8')) }),
      },
    )
    if (res.status !== 201 && res.status !== 409) throw new Error(`install ${name}: ${res.status}`)
  }
}

export const example = (name: string): Promise<Interface> =>
  loadEdgehogInterface(EX + name, shippedExamplesDirectory())

export const realTime = {
  now: () => Date.now(),
  set: (fn: () => void, ms: number): unknown => setTimeout(fn, ms),
  clear: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
}

/** A device whose `send`s are accepted only as the test releases them (the rest is the real device's). */
export class Gate {
  #open = false
  readonly #waiting: Array<() => void> = []
  get waiting(): number {
    return this.#waiting.length
  }
  /** Lets `n` held sends through (all, and every later one, when `n` is undefined). */
  release(n?: number): void {
    if (n === undefined) this.#open = true
    const count = n ?? this.#waiting.length
    for (const go of this.#waiting.splice(0, count)) go()
  }
  wrap(device: AstarteDevice, mode: 'hold' | 'fail' = 'hold'): AstarteDevice {
    const gated =
      <A extends unknown[]>(fn: (...a: A) => Promise<void>) =>
      (...args: A): Promise<void> => {
        if (mode === 'fail') return Promise.reject(new Error('sink refused'))
        if (this.#open) return fn(...args)
        return new Promise<void>((resolve) => this.#waiting.push(resolve)).then(() => fn(...args))
      }
    return Object.assign(Object.create(device) as AstarteDevice, {
      send: gated(device.send.bind(device) as (...a: unknown[]) => Promise<void>),
      sendObject: gated(device.sendObject.bind(device) as (...a: unknown[]) => Promise<void>),
      setProperty: gated(device.setProperty.bind(device) as (...a: unknown[]) => Promise<void>),
    })
  }
}

/** Starts `feature` on a fresh sandbox device (optionally seen through `wrap`). */
export async function runFeature(
  env: Env,
  feature: DataflowFeature,
  options: {
    wrap?: (device: AstarteDevice) => AstarteDevice
    logger?: RecordingLogger
    /** The flows' clock and timers; real ones by default. */
    time?: Clock & Timers
  } = {},
): Promise<Running & { logger: RecordingLogger }> {
  const running = await openDevice(env, [feature])
  const logger = options.logger ?? new RecordingLogger()
  const device = options.wrap?.(running.device) ?? running.device
  await feature.start({
    device,
    clock: options.time ?? realTime,
    timers: options.time ?? realTime,
    logger,
    stateDir: await mkdtemp(join(env.tmp, 'state-')),
  })
  return {
    ...running,
    logger,
    async stop() {
      await feature.stop()
      await running.stop()
    },
  }
}

/** A scripted endpoint: push through `emit`, reads answered by `onRead`, applied messages kept. */
export class ScriptedEndpoint {
  readonly name: string
  emit: ((m: FlowMessage) => void) | undefined
  readonly applied: FlowMessage[] = []
  readonly reads: number[] = []
  onRead: (n: number) => Promise<readonly FlowMessage[]> = async () => []
  constructor(name: string) {
    this.name = name
  }
  readonly push = {
    start: (emit: (m: FlowMessage) => void) => {
      this.emit = emit
    },
    stop: () => {
      this.emit = undefined
    },
  }
  readonly read = {
    read: (n: number) => {
      this.reads.push(n)
      return this.onRead(n)
    },
  }
  readonly actuator = {
    apply: async (m: FlowMessage) => {
      this.applied.push(m)
    },
  }
}

export { quiet }
