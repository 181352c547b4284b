/**
 * @module RAUC: the `SystemUpdate` adapter over RAUC's D-Bus API (`de.pengutronix.rauc`, object
 * `/`, interface `de.pengutronix.rauc.Installer`; edgehog-agent spec §3.4), as
 * edgehog-device-runtime uses it: `Info` and the `Compatible` property for the check before
 * anything is written, `InstallBundle` followed through the `Progress` property and the
 * `Completed` signal (`LastError` on failure), `BootSlot`, `GetPrimary` and `GetSlotStatus` for the
 * slots, `Mark("good", "booted")` after the reboot. Everything goes over D-Bus: nothing here needs
 * the `rauc` command. The bus is the system bus (`DBUS_SYSTEM_BUS_ADDRESS` when set) or the
 * session bus (`[ota.rauc] dbus_socket`), connected on first use and again after a failure.
 */
import { basename } from 'node:path'
import {
  sessionBus,
  systemBus,
  type MessageBus,
  type ProxyInterface,
  type Variant,
} from '@jellybrick/dbus-next'
import {
  SystemUpdateError,
  type BundleInfo,
  type InstallProgress,
  type SystemUpdate,
} from './system-update.js'

const SERVICE = 'de.pengutronix.rauc'
const INSTALLER = 'de.pengutronix.rauc.Installer'
const PROPERTIES = 'org.freedesktop.DBus.Properties'

/**
 * What RAUC's object offers, as far as it is used here (from RAUC's own introspection). Given to
 * dbus-next instead of asking the service: RAUC may start after the agent at boot, and dbus-next
 * leaves a failed introspection of an absent service as an unhandled rejection, which ends the
 * process. With the description, a call to an absent service fails on its own, as a
 * `ServiceUnknown` reply, and the signals are matched once the name has an owner.
 */
const RAUC_OBJECT_XML = `<node>
  <interface name="${PROPERTIES}">
    <method name="Get">
      <arg type="s" name="interface_name" direction="in"/>
      <arg type="s" name="property_name" direction="in"/>
      <arg type="v" name="value" direction="out"/>
    </method>
    <signal name="PropertiesChanged">
      <arg type="s" name="interface_name"/>
      <arg type="a{sv}" name="changed_properties"/>
      <arg type="as" name="invalidated_properties"/>
    </signal>
  </interface>
  <interface name="${INSTALLER}">
    <method name="InstallBundle">
      <arg type="s" name="source" direction="in"/>
      <arg type="a{sv}" name="args" direction="in"/>
    </method>
    <method name="Info">
      <arg type="s" name="bundle" direction="in"/>
      <arg type="s" name="compatible" direction="out"/>
      <arg type="s" name="version" direction="out"/>
    </method>
    <method name="Mark">
      <arg type="s" name="state" direction="in"/>
      <arg type="s" name="slot_identifier" direction="in"/>
      <arg type="s" name="slot_name" direction="out"/>
      <arg type="s" name="message" direction="out"/>
    </method>
    <method name="GetSlotStatus">
      <arg type="a(sa{sv})" name="slot_status_array" direction="out"/>
    </method>
    <method name="GetPrimary">
      <arg type="s" name="primary" direction="out"/>
    </method>
    <signal name="Completed">
      <arg type="i" name="result"/>
    </signal>
    <property type="s" name="Operation" access="read"/>
    <property type="s" name="LastError" access="read"/>
    <property type="(isi)" name="Progress" access="read"/>
    <property type="s" name="Compatible" access="read"/>
    <property type="s" name="BootSlot" access="read"/>
  </interface>
</node>`

/** Options of {@link raucSystemUpdate}. */
export interface RaucSystemUpdateOptions {
  /** Which bus RAUC is on; default `system`. */
  readonly bus?: 'system' | 'session'
  /** The bus's address (`unix:path=…`), instead of the environment's or the default socket. */
  readonly address?: string
}

/** The RAUC adapter. */
export function raucSystemUpdate(options: RaucSystemUpdateOptions = {}): SystemUpdate {
  return new Rauc(options.bus ?? 'system', options.address)
}

/** `de.pengutronix.rauc.Installer` as far as it is used here. */
interface InstallerProxy extends ProxyInterface {
  Info(bundle: string): Promise<unknown>
  InstallBundle(source: string, args: Record<string, Variant>): Promise<void>
  Mark(state: string, slot: string): Promise<unknown>
  GetPrimary(): Promise<unknown>
  GetSlotStatus(): Promise<unknown>
}

interface PropertiesProxy extends ProxyInterface {
  Get(iface: string, name: string): Promise<Variant>
}

interface Connection {
  readonly bus: MessageBus
  readonly installer: InstallerProxy
  readonly properties: PropertiesProxy
}

/** A `PropertiesChanged` listener for the installer's properties. */
const onInstallerChange =
  (fn: (props: Record<string, Variant>) => void) =>
  (...args: unknown[]): void => {
    if (args[0] === INSTALLER && typeof args[1] === 'object' && args[1] !== null) {
      fn(args[1] as Record<string, Variant>)
    }
  }

class Rauc implements SystemUpdate {
  readonly kind = 'rauc'
  readonly #which: 'system' | 'session'
  readonly #address: string | undefined
  #connection: Promise<Connection> | undefined

  constructor(which: 'system' | 'session', address: string | undefined) {
    this.#which = which
    this.#address = address
  }

  async bootedSlot(): Promise<string> {
    return String(await this.#property('BootSlot'))
  }

  async check(bundle: string): Promise<BundleInfo> {
    const { installer } = await this.#connect()
    let info: unknown
    try {
      info = await installer.Info(bundle)
    } catch (error) {
      throw new SystemUpdateError(
        'update.incompatible',
        `Unable to read bundle ${basename(bundle)}: ${dbusMessage(error)}`,
        { cause: error },
      )
    }
    const [compatible, version] = Array.isArray(info) ? info.map(String) : []
    const system = String(await this.#property('Compatible'))
    if (compatible === undefined || compatible !== system) {
      throw new SystemUpdateError(
        'update.incompatible',
        `bundle ${compatible ?? '(unknown)'} is not compatible with system ${system}`,
      )
    }
    return { compatible, version: version ?? '' }
  }

  async idle(): Promise<void> {
    const { properties } = await this.#connect()
    for (;;) {
      let changed: () => void = () => undefined
      const wake = new Promise<void>((resolve) => (changed = resolve))
      const listener = onInstallerChange((props) => {
        if (props['Operation'] !== undefined) changed()
      })
      properties.on('PropertiesChanged', listener)
      try {
        if (String(await this.#property('Operation')) === 'idle') return
        await wake
      } finally {
        properties.off('PropertiesChanged', listener)
      }
    }
  }

  async install(bundle: string, onProgress: InstallProgress): Promise<{ slot: string }> {
    const { installer, properties } = await this.#connect()
    let completed: (result: number) => void = () => undefined
    const done = new Promise<number>((resolve) => (completed = resolve))
    const onCompleted = (...args: unknown[]): void => completed(Number(args[0]))
    const onChanged = onInstallerChange((props) => {
      const progress = props['Progress']?.value as unknown
      if (!Array.isArray(progress)) return
      const [percent, message] = progress as [unknown, unknown]
      onProgress(Number(percent), String(message))
    })
    installer.on('Completed', onCompleted)
    properties.on('PropertiesChanged', onChanged)
    try {
      try {
        await installer.InstallBundle(bundle, {})
      } catch (error) {
        throw new SystemUpdateError(
          'update.install_failed',
          `Unable to start the install: ${dbusMessage(error)}`,
          { cause: error },
        )
      }
      const result = await done
      if (result !== 0) {
        const lastError = String(await this.#property('LastError').catch(() => ''))
        throw new SystemUpdateError(
          'update.install_failed',
          `Update failed with signal ${result}${lastError === '' ? '' : `: ${lastError}`}`,
        )
      }
    } finally {
      installer.off('Completed', onCompleted)
      properties.off('PropertiesChanged', onChanged)
    }
    return { slot: await this.#primaryBootname() }
  }

  async markGood(): Promise<string> {
    const { installer } = await this.#connect()
    try {
      const marked = (await installer.Mark('good', 'booted')) as unknown
      return Array.isArray(marked) ? String(marked[0]) : ''
    } catch (error) {
      throw new SystemUpdateError(
        'update.mark_failed',
        `Unable to mark slot: ${dbusMessage(error)}`,
        {
          cause: error,
        },
      )
    }
  }

  async close(): Promise<void> {
    const connection = this.#connection
    this.#connection = undefined
    if (connection === undefined) return
    try {
      ;(await connection).bus.disconnect()
    } catch {
      // it never connected: nothing to release
    }
  }

  /** The primary slot (`GetPrimary`, a slot name) as a bootname, which `BootSlot` reports. */
  async #primaryBootname(): Promise<string> {
    const { installer } = await this.#connect()
    try {
      const primary = String(await installer.GetPrimary())
      const slots = (await installer.GetSlotStatus()) as unknown
      if (Array.isArray(slots)) {
        for (const entry of slots as [string, Record<string, Variant>][]) {
          if (entry[0] === primary) {
            const bootname = entry[1]['bootname']?.value as unknown
            if (typeof bootname === 'string' && bootname !== '') return bootname
          }
        }
      }
      return primary
    } catch (error) {
      throw new SystemUpdateError(
        'update.unavailable',
        `Unable to read the primary slot: ${dbusMessage(error)}`,
        { cause: error },
      )
    }
  }

  async #property(name: string): Promise<unknown> {
    const { properties } = await this.#connect()
    try {
      return (await properties.Get(INSTALLER, name)).value
    } catch (error) {
      throw new SystemUpdateError(
        'update.unavailable',
        `Unable to read RAUC's ${name}: ${dbusMessage(error)}`,
        {
          cause: error,
        },
      )
    }
  }

  #connect(): Promise<Connection> {
    this.#connection ??= this.#open()
    const connection = this.#connection
    // a failed connection is retried at the next call
    connection.catch(() => {
      if (this.#connection === connection) this.#connection = undefined
    })
    return connection
  }

  async #open(): Promise<Connection> {
    let bus: MessageBus | undefined
    try {
      // dbus-next's systemBus() reads only the environment: an explicit address is a plain client
      bus =
        this.#address !== undefined
          ? sessionBus({ busAddress: this.#address })
          : this.#which === 'session'
            ? sessionBus()
            : systemBus()
      const lost = bus
      // its `error` event is not in its typed events, yet emitted: unheard, it would throw; a bus
      // that can't connect reports only there, so the first one also fails the opening
      const emitter = lost as unknown as NodeJS.EventEmitter
      const failed = new Promise<never>((_resolve, reject) => emitter.once('error', reject))
      emitter.on('error', () => {
        // a bus that goes away is opened again at the next call
        if (this.#connection !== undefined) void this.close()
      })
      const object = await Promise.race([
        lost.getProxyObject(SERVICE, '/', RAUC_OBJECT_XML),
        failed,
      ])
      return {
        bus: lost,
        installer: object.getInterface<InstallerProxy>(INSTALLER),
        properties: object.getInterface<PropertiesProxy>(PROPERTIES),
      }
    } catch (error) {
      try {
        bus?.disconnect()
      } catch {
        // already gone
      }
      throw new SystemUpdateError(
        'update.unavailable',
        `Unable to reach RAUC on the ${this.#which} bus: ${dbusMessage(error)}`,
        { cause: error },
      )
    }
  }
}

/** A D-Bus error's text (dbus-next puts it in `text`), or any error's message. */
function dbusMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const text = (error as { text?: unknown }).text
    if (typeof text === 'string' && text !== '') return text
    if (error instanceof Error) return error.message
  }
  return String(error)
}
