/**
 * A Moddable device running in the XS engine: the Moddable bundle as `npm run build:esp32`
 * writes it, with the engine shim in place of Moddable's C modules, evaluated by `xsnap-worker`;
 * its host services (TLS, HTTP, timers, storage) in this process. Device methods are called by
 * name (`call`), device events are collected (`events`, `waitFor`).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { build, type Plugin } from 'esbuild'
import { HostServices, type Preferences } from './host-services.js'
import { XsnapProcess } from './xsnap-process.js'

const here = new URL('.', import.meta.url).pathname
const engine = join(here, 'engine')
export const root = join(here, '../../../..')

/** scripts/build-esp32.mjs, the build `npm run build:esp32` runs. */
export interface Esp32Build {
  bundleModdable(write?: boolean): Promise<{ code: string }>
  readonly MODDABLE_MODULES: readonly string[]
}
export const esp32Build = (): Promise<Esp32Build> =>
  import(join(root, 'scripts/build-esp32.mjs')) as Promise<Esp32Build>

let script: Promise<string> | undefined

/**
 * The script XS evaluates: the bundle's code as built (not rebuilt from sources: what runs is
 * what ships), its Moddable imports bound to the shim, and the test app; as one classic script.
 */
export function xsScript(): Promise<string> {
  script ??= (async () => {
    const { bundleModdable, MODDABLE_MODULES } = await esp32Build()
    const { code } = await bundleModdable()
    const shim: Plugin = {
      name: 'moddable-engine-shim',
      setup(b) {
        const modules = new RegExp(`^(${MODDABLE_MODULES.join('|')})$`)
        b.onResolve({ filter: modules }, (args) => ({ path: join(engine, `${args.path}.js`) }))
        b.onResolve({ filter: /^astarte-moddable$/ }, () => ({
          path: 'astarte-moddable',
          namespace: 'bundle',
        }))
        b.onLoad({ filter: /.*/, namespace: 'bundle' }, () => ({
          contents: code,
          loader: 'js',
          resolveDir: engine,
        }))
      },
    }
    const result = await build({
      entryPoints: [join(here, 'app.js')],
      bundle: true,
      format: 'iife',
      platform: 'neutral',
      write: false,
      plugins: [shim],
      logLevel: 'silent',
    })
    return result.outputFiles[0]?.text ?? ''
  })()
  return script
}

/** A device event as the app reported it (values tagged, see app.js). */
export interface XsEvent {
  readonly name: string
  readonly payload: Record<string, unknown>
}

export interface XsDeviceOptions {
  readonly preferences: Preferences
  /** `ModdableDevice.open` options (JSON). */
  readonly open: Record<string, unknown>
  readonly onDeviceBytes?: (bytes: Buffer) => 'forward' | 'drop'
}

export class XsDevice {
  readonly events: XsEvent[] = []
  readonly #xs: XsnapProcess
  readonly host: HostServices
  readonly #calls = new Map<number, (r: { ok: boolean; value: unknown }) => void>()
  #exited: Error | undefined
  #onExit: (error: Error) => void = () => undefined
  /** Settles with the reason if the engine ends before `stop` (XS aborted: a stack overflow…). */
  readonly exited = new Promise<Error>((resolve) => (this.#onExit = resolve))
  readonly #waiters = new Set<() => void>()
  #nextCall = 1

  private constructor(options: XsDeviceOptions) {
    const trace = process.env['ASTARTE_XS_TRACE'] === '1'
    this.host = new HostServices({
      preferences: options.preferences,
      report: (report) => void this.#xs.send(JSON.stringify(report)).catch(() => undefined),
      onAppReport: (r) => this.#onAppReport(r),
      ...(options.onDeviceBytes === undefined ? {} : { onDeviceBytes: options.onDeviceBytes }),
      trace,
    })
    this.#xs = new XsnapProcess(
      (message) => {
        const answer = this.host.handle(
          JSON.parse(message.toString('utf8')) as Record<string, unknown>,
        )
        return Buffer.from(answer === undefined ? '' : JSON.stringify(answer))
      },
      {
        // calls and waits in flight fail with the reason instead of waiting for good
        onExit: (error) => {
          this.#exited = error
          for (const settle of this.#calls.values()) settle({ ok: false, value: error.message })
          this.#calls.clear()
          for (const w of this.#waiters) w()
          this.#onExit(error)
        },
      },
    )
  }

  /** Heap slots live once the bundle was loaded (its code and module objects). */
  loadedHeapCount = 0

  static async start(options: XsDeviceOptions): Promise<XsDevice> {
    const device = new XsDevice(options)
    await device.#xs.evaluate(await xsScript())
    device.loadedHeapCount = await device.liveHeapCount()
    await device.#xs.evaluate(`app.open(${JSON.stringify(options.open)})`)
    return device
  }

  #onAppReport(r: Record<string, unknown>): void {
    if (r['kind'] === 'event') {
      this.events.push({
        name: r['name'] as string,
        payload: r['payload'] as Record<string, unknown>,
      })
    } else {
      const id = r['id'] as number
      this.#calls.get(id)?.({ ok: r['ok'] as boolean, value: r['value'] })
      this.#calls.delete(id)
    }
    for (const w of this.#waiters) w()
  }

  /** Calls `device[method](...args)` in XS; resolves with its value, rejects with its error. */
  call(method: string, ...args: unknown[]): Promise<unknown> {
    const id = this.#nextCall++
    if (this.#exited !== undefined) return Promise.reject(this.#exited)
    return new Promise((resolve, reject) => {
      this.#calls.set(id, ({ ok, value }) =>
        ok ? resolve(value) : reject(Object.assign(new Error(JSON.stringify(value)), { value })),
      )
      void this.#xs
        .evaluate(`app.call(${id}, ${JSON.stringify(method)}, ${JSON.stringify(args)})`)
        .catch(reject)
    })
  }

  /** Resolves with the first event since `from` (an index into `events`) that `match` accepts. */
  waitFor(match: (e: XsEvent) => boolean, from = 0, ms = 30_000): Promise<XsEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.#exited !== undefined) {
          this.#waiters.delete(check)
          clearTimeout(timer)
          reject(this.#exited)
          return
        }
        const found = this.events.slice(from).find(match)
        if (found === undefined) return
        this.#waiters.delete(check)
        clearTimeout(timer)
        resolve(found)
      }
      const timer = setTimeout(() => {
        this.#waiters.delete(check)
        reject(new Error(`no matching event; saw ${this.events.map((e) => e.name).join(' ')}`))
      }, ms)
      this.#waiters.add(check)
      check()
    })
  }

  /**
   * The most XS heap slots in use at the end of any exchange with the engine so far (its
   * `currentHeapCount` meter: slots, live or not yet collected; 16 bytes each on a 32-bit MCU).
   */
  get peakHeapCount(): number {
    return this.#xs.peakHeapCount
  }

  /** Heap slots live now: XS collects its garbage first. */
  async liveHeapCount(): Promise<number> {
    const meters = await this.#xs.evaluate('gc()')
    return meters.currentHeapCount ?? 0
  }

  async stop(): Promise<void> {
    this.host.close()
    await this.#xs.close()
  }
}

export const readJson = async (file: string): Promise<unknown> =>
  JSON.parse(await readFile(file, 'utf8')) as unknown
