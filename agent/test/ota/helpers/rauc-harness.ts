/**
 * RAUC for tests, real and private: a dbus-daemon of type system on a socket in a temporary
 * directory (permissive policy), `rauc service` on it with a custom bootloader backend (a shell
 * script answering from files), two `type=raw` slots whose devices are plain files, a keyring
 * from a throwaway self-signed certificate, bundles signed with it by `rauc bundle`. A reboot is
 * played by restarting `rauc service` with `--override-boot-slot`. `stop()` ends every process.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** A RAUC system on a private bus. */
export interface RaucHarness {
  readonly dir: string
  /** `unix:path=…`: `DBUS_SYSTEM_BUS_ADDRESS` for the agent. */
  readonly busAddress: string
  readonly compatible: string
  /** The file backing a slot (`A` is rootfs.0, `B` rootfs.1). */
  slotFile(slot: 'A' | 'B'): string
  /** A signed bundle of `image` (for class `rootfs` unless `slotClass` says otherwise). */
  bundle(
    image: Uint8Array,
    options?: { compatible?: string; version?: string; slotClass?: string },
  ): Promise<string>
  /** (Re)starts `rauc service` booted from `slot`: the boot, or the reboot, of the board. */
  boot(slot: 'A' | 'B'): Promise<void>
  /** Ends `rauc service` (a boot where it has not started yet). */
  halt(): Promise<void>
  /** The bootloader's primary slot and a slot's state, as the backend script keeps them. */
  primary(): Promise<string>
  slotState(slot: 'A' | 'B'): Promise<string>
  /** While held, an install stops before it makes its slot primary (after writing it). */
  holdInstall(): Promise<void>
  releaseInstall(): Promise<void>
  /** Ends `rauc service` and the bus, removes the directory. */
  stop(): Promise<void>
}

const BACKEND = `#!/bin/sh
# bootloader-custom-backend: the bootloader's state in files
D="$(dirname "$0")/boot"
case "$1" in
  get-primary) cat "$D/primary" ;;
  set-primary)
    while [ -e "$D/hold" ]; do sleep 0.05; done
    echo "$2" > "$D/primary" ;;
  get-state) if [ -e "$D/state.$2" ]; then cat "$D/state.$2"; else echo good; fi ;;
  set-state) echo "$3" > "$D/state.$2" ;;
  get-current) cat "$D/primary" ;;
  *) exit 1 ;;
esac
`

/** Starts a private bus and `rauc service` booted from slot A. */
export async function startRaucHarness(
  options: { compatible?: string; slotBytes?: number } = {},
): Promise<RaucHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'rauc-harness-'))
  const compatible = options.compatible ?? 'astarte-test-board'
  const socket = join(dir, 'bus.sock')
  const busAddress = `unix:path=${socket}`
  const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: busAddress }
  let busPid: number | undefined
  let service: ChildProcess | undefined

  const stopService = async (): Promise<void> => {
    const child = service
    service = undefined
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }

  const harness: RaucHarness = {
    dir,
    busAddress,
    compatible,
    slotFile: (slot) => join(dir, `slot${slot}.img`),
    async bundle(image, bundleOptions = {}) {
      const content = await mkdtemp(join(dir, 'bundle-'))
      const slotClass = bundleOptions.slotClass ?? 'rootfs'
      await writeFile(join(content, 'image.img'), image)
      await writeFile(
        join(content, 'manifest.raucm'),
        `[update]\ncompatible=${bundleOptions.compatible ?? compatible}\nversion=${
          bundleOptions.version ?? '1.0.0'
        }\n\n[image.${slotClass}]\nfilename=image.img\n`,
      )
      const out = `${content}.raucb`
      await run('rauc', [
        'bundle',
        `--cert=${join(dir, 'cert.pem')}`,
        `--key=${join(dir, 'key.pem')}`,
        content,
        out,
      ])
      await rm(content, { recursive: true, force: true })
      return out
    },
    async boot(slot) {
      await stopService()
      let log = ''
      const child = spawn(
        'rauc',
        ['service', `--conf=${join(dir, 'system.conf')}`, `--override-boot-slot=${slot}`],
        { env, stdio: ['ignore', 'ignore', 'pipe'] },
      )
      child.stderr?.setEncoding('utf8').on('data', (d: string) => (log = (log + d).slice(-4000)))
      service = child
      const end = Date.now() + 30_000
      for (;;) {
        if (child.exitCode !== null) throw new Error(`rauc service exited: ${log}`)
        const { stdout } = await run('dbus-send', [
          `--bus=${busAddress}`,
          '--print-reply',
          '--dest=org.freedesktop.DBus',
          '/',
          'org.freedesktop.DBus.NameHasOwner',
          'string:de.pengutronix.rauc',
        ])
        if (/boolean true/.test(stdout)) return
        if (Date.now() > end) throw new Error(`rauc service never owned its name: ${log}`)
        await new Promise((r) => setTimeout(r, 50))
      }
    },
    halt: () => stopService(),
    primary: async () => (await readFile(join(dir, 'boot', 'primary'), 'utf8')).trim(),
    slotState: async (slot) =>
      (await readFile(join(dir, 'boot', `state.${slot}`), 'utf8').catch(() => 'good')).trim(),
    holdInstall: () => writeFile(join(dir, 'boot', 'hold'), ''),
    releaseInstall: () => rm(join(dir, 'boot', 'hold'), { force: true }),
    async stop() {
      await stopService()
      // a service ended mid-install leaves its bundle mounted
      await run('umount', ['-l', join(dir, 'mnt', 'bundle')]).catch(() => undefined)
      if (busPid !== undefined) {
        try {
          process.kill(busPid, 'SIGTERM')
        } catch {
          // already gone
        }
      }
      await rm(dir, { recursive: true, force: true })
    },
  }

  try {
    await mkdir(join(dir, 'boot'))
    await mkdir(join(dir, 'data'))
    await mkdir(join(dir, 'mnt'))
    await writeFile(join(dir, 'boot', 'primary'), 'A\n')
    const slotBytes = options.slotBytes ?? 4 * 1024 * 1024
    for (const slot of ['A', 'B'] as const) {
      await writeFile(harness.slotFile(slot), new Uint8Array(0))
      await run('truncate', ['-s', String(slotBytes), harness.slotFile(slot)])
    }
    await writeFile(join(dir, 'backend.sh'), BACKEND)
    await chmod(join(dir, 'backend.sh'), 0o755)
    // a throwaway signer: self-signed, so it is its own keyring
    const openssl = 'req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2'
    await run('openssl', [
      ...openssl.split(' '),
      ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      ...['-subj', '/CN=astarte-ts test bundles'],
    ])
    await writeFile(
      join(dir, 'system.conf'),
      `[system]
compatible=${compatible}
bootloader=custom
data-directory=${join(dir, 'data')}
mountprefix=${join(dir, 'mnt')}

[handlers]
bootloader-custom-backend=${join(dir, 'backend.sh')}

[keyring]
path=${join(dir, 'cert.pem')}

[slot.rootfs.0]
device=${harness.slotFile('A')}
type=raw
bootname=A

[slot.rootfs.1]
device=${harness.slotFile('B')}
type=raw
bootname=B
`,
    )
    await writeFile(
      join(dir, 'bus.conf'),
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>${busAddress}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`,
    )
    const { stdout } = await run('dbus-daemon', [
      `--config-file=${join(dir, 'bus.conf')}`,
      '--fork',
      '--print-pid',
    ])
    busPid = Number(stdout.trim())
    await harness.boot('A')
    return harness
  } catch (error) {
    await harness.stop()
    throw error
  }
}
