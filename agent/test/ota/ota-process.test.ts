/**
 * Power loss during an update: the real `astarte-agent` process, SIGKILLed during the download,
 * during the deploy, and around the reboot, then started again on the same store, once per
 * adapter (real RAUC on a private bus, directory A/B). Each run must end in the right final
 * event, stored once by Astarte (the sandbox), and never boot a half-written image. The reboot is
 * left to the system (`reboot = "external"`): the test plays it (board booted, agent restarted).
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { randomDeviceId } from '@astarte-ts/sdk-core'
import { startFaultyHttpServer, type FaultyHttpServer } from '../helpers/faulty-http-server.js'
import { eventually, startEnv, type Env } from '../helpers/feature-sandbox.js'
import { BOARD_KINDS, startBoard, type Board, type BoardKind } from './helpers/ota-board.js'
import { events, finalOf, requestUntilAcknowledged, type StoredEvent } from './helpers/ota-env.js'

const bin = new URL('../../bin/astarte-agent.js', import.meta.url).pathname
const WAIT_MS = 90_000

/** One `astarte-agent` process. */
interface Process {
  readonly proc: ChildProcess
  stderr(): string
  /** SIGKILL: no handler runs, nothing is flushed (a power loss, as far as the agent knows). */
  kill(): Promise<void>
}

describe('OTA across power losses: the astarte-agent process', () => {
  let env: Env
  let http: FaultyHttpServer
  const processes = new Set<Process>()
  const boards: Board[] = []

  before(async () => {
    env = await startEnv()
    http = await startFaultyHttpServer()
  })
  after(async () => {
    await Promise.all([...processes].map((p) => p.kill()))
    await http.close()
    await Promise.all(boards.map((b) => b.close()))
    await env.stop()
  })

  /** A device on a board, with its configuration file. */
  async function device(kind: BoardKind) {
    const board = await startBoard(kind)
    boards.push(board)
    const store = await mkdtemp(join(env.tmp, `agent-${kind}-`))
    const deviceId = randomDeviceId(new Uint8Array(randomBytes(16)))
    const config = join(store, 'agent.toml')
    await writeFile(
      config,
      `store_directory = "${join(store, 'store')}"
[astarte_device_sdk]
realm = "${env.sandbox.realm}"
device_id = "${deviceId}"
pairing_url = "${env.sandbox.pairingUrl}"
pairing_token = "${env.sandbox.jwt}"
[agent]
ca_file = "${env.sandbox.caFile}"
log_level = "debug"
${board.otaConfig().replace('[ota]\n', '[ota]\nreboot = "external"\n')}`,
    )
    const start = (): Process => {
      let stderr = ''
      const proc = spawn(
        process.execPath,
        ['--conditions=@astarte-ts/source', '--import', 'tsx', bin, '--config', config],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
          env: { PATH: process.env['PATH'] ?? '', ...board.env },
        },
      )
      proc.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d))
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
      const p: Process = {
        proc,
        stderr: () => stderr,
        async kill() {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
          await exited
          processes.delete(p)
        },
      }
      processes.add(p)
      return p
    }
    const until = (uuid: string, ok: (l: StoredEvent[]) => boolean, what: string) =>
      eventually(what, () => events(env, deviceId, uuid), ok, WAIT_MS)
    const online = (p: Process) =>
      eventually('the agent running', p.stderr, (s) => s.includes('agent running'), WAIT_MS)
    return { board, store: join(store, 'store'), deviceId, start, until, online }
  }

  /** Serves `bytes` at a fresh path: its path and URL. */
  function serve(bytes: Uint8Array): { path: string; url: string } {
    const path = `/bundles/${randomUUID()}.bin`
    http.serve(path, { body: bytes })
    return { path, url: http.url(path) }
  }

  const count = (list: readonly StoredEvent[], status: string) =>
    list.filter((e) => e.status === status).length

  for (const kind of BOARD_KINDS) {
    describe(`with the ${kind} adapter`, { concurrency: true }, () => {
      test('killed during the download: the restart resumes it; Success once after the reboot', async () => {
        const d = await device(kind)
        // the downloader syncs its part every MiB: a power loss keeps what was synced
        const image = randomBytes(3 * 1024 * 1024)
        const bundle = await d.board.bundle(image)
        const { path, url } = serve(bundle)
        const stalledAt = 2.5 * 1024 * 1024
        http.fault(path, { type: 'stall', afterBytes: stalledAt })
        const first = d.start()
        await d.online(first)
        const uuid = randomUUID()
        await requestUntilAcknowledged(env, d.deviceId, uuid, url)
        await d.until(uuid, (l) => l.some((e) => e.status === 'Downloading'), 'Downloading')
        // the stalled download has its bytes on disk for the resume
        await eventually(
          'the part synced',
          () =>
            readFile(join(d.store, 'download', 'update.bin.part.json'), 'utf8').then(
              (t) => (JSON.parse(t) as { syncedBytes: number }).syncedBytes,
              () => 0,
            ),
          (synced) => synced >= 2 * 1024 * 1024,
          WAIT_MS,
        )
        await first.kill()

        const second = d.start()
        await d.until(uuid, (l) => l.some((e) => e.status === 'Rebooting'), 'Rebooting')
        assert.ok((await d.board.slotImage('B', image.length)).equals(image))
        // resumed from the synced part: the second process asked only for the rest
        const gets = http.requests.filter((r) => r.path === path)
        const resumedFrom = Number(/^bytes=(\d+)-$/.exec(String(gets.at(-1)?.headers.range))?.[1])
        assert.ok(resumedFrom >= 2 * 1024 * 1024, `resumed from ${resumedFrom}`)
        assert.equal(http.bytesServed(path), stalledAt + bundle.length - resumedFrom)
        await second.kill()

        await d.board.reboot()
        const third = d.start()
        const list = await d.until(uuid, (l) => finalOf(l) !== undefined, 'the final event')
        assert.equal(finalOf(list)?.status, 'Success')
        await d.online(third)
        await third.kill()
        const after = await events(env, d.deviceId, uuid)
        assert.equal(count(after, 'Success') + count(after, 'Failure'), 1)
        assert.equal(after[0]?.status, 'Acknowledged')
      })

      test('killed during the deploy: no half-written image boots; the restart deploys again', async () => {
        const d = await device(kind)
        const image = randomBytes(500_000)
        const { url } = serve(await d.board.bundle(image))
        await d.board.holdInstall()
        const first = d.start()
        await d.online(first)
        const uuid = randomUUID()
        await requestUntilAcknowledged(env, d.deviceId, uuid, url)
        await d.until(uuid, (l) => l.some((e) => e.status === 'Deploying'), 'Deploying')
        await first.kill()
        // the boot still starts the old slot: nothing half-written was made primary
        assert.equal(await d.board.primary(), 'A')
        if (kind === 'directory') {
          await assert.rejects(stat(join(d.board.root as string, 'slots', 'B', 'image')))
        }
        const state = JSON.parse(await readFile(join(d.store, 'ota', 'state.json'), 'utf8'))
        assert.equal(state.current.phase, 'deploying')
        await d.board.releaseInstall()

        const second = d.start()
        await d.until(uuid, (l) => l.some((e) => e.status === 'Rebooting'), 'Rebooting')
        assert.ok(count(await events(env, d.deviceId, uuid), 'Deploying') >= 2)
        assert.equal(await d.board.primary(), 'B')
        assert.ok((await d.board.slotImage('B', image.length)).equals(image))
        await second.kill()

        await d.board.reboot()
        const third = d.start()
        const list = await d.until(uuid, (l) => finalOf(l) !== undefined, 'the final event')
        assert.equal(finalOf(list)?.status, 'Success')
        await d.online(third)
        await third.kill()
        const after = await events(env, d.deviceId, uuid)
        assert.equal(count(after, 'Success') + count(after, 'Failure'), 1)
      })

      test('killed while rebooting and at the first start after it: Success once', async () => {
        const d = await device(kind)
        const image = randomBytes(300_000)
        const { url } = serve(await d.board.bundle(image))
        const first = d.start()
        await d.online(first)
        const uuid = randomUUID()
        await requestUntilAcknowledged(env, d.deviceId, uuid, url)
        await d.until(uuid, (l) => l.some((e) => e.status === 'Rebooting'), 'Rebooting')
        await first.kill()

        // the reboot, with the installer's service not up yet at the agent's first start
        if (await d.board.haltInstaller()) {
          const early = d.start()
          await eventually(
            'the agent waiting for the booted slot',
            early.stderr,
            (s) => s.includes("couldn't read the booted slot yet"),
            WAIT_MS,
          )
          await early.kill()
        }
        await d.board.reboot()
        const second = d.start()
        const list = await d.until(uuid, (l) => finalOf(l) !== undefined, 'the final event')
        assert.equal(finalOf(list)?.status, 'Success')
        await d.online(second)
        await eventually(
          'the final event acknowledged',
          second.stderr,
          (s) => s.includes('final OTA event acknowledged'),
          WAIT_MS,
        )
        await second.kill()
        // started again: nothing left to send, nothing sent twice
        const third = d.start()
        await d.online(third)
        await third.kill()
        const after = await events(env, d.deviceId, uuid)
        assert.equal(count(after, 'Success') + count(after, 'Failure'), 1)
        const state = JSON.parse(await readFile(join(d.store, 'ota', 'state.json'), 'utf8'))
        assert.deepEqual([state.current, state.unsent], [undefined, []])
      })
    })
  }
})
