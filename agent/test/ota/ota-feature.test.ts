/**
 * The OTA feature end to end, once per `SystemUpdate` adapter (real RAUC on a private bus, and
 * directory A/B): the agent on a runtime-node device against the sandbox, OTARequests sent through
 * AppEngine, bundles served by a local HTTP server that can drop, stall and fail, OTAEvents read
 * back from AppEngine and compared with edgehog-agent spec §3.6. A reboot is played by stopping
 * the agent, booting the board (into the new slot or back) and starting a new agent on the same
 * store.
 */
import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtemp, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Device, nodeTimers } from '@astarte-ts/runtime-node'
import { randomDeviceId } from '@astarte-ts/sdk-core'
import { RecordingSystemControl } from '../../src/commands/index.js'
import { Agent } from '../../src/core/agent.js'
import { otaFeature, type OtaFeature } from '../../src/ota/index.js'
import { startFaultyHttpServer, type FaultyHttpServer } from '../helpers/faulty-http-server.js'
import { eventually, quiet, startEnv, type Env } from '../helpers/feature-sandbox.js'
import { BOARD_KINDS, sha256, startBoard, type Board, type BoardKind } from './helpers/ota-board.js'
import {
  assertShape,
  DOWNLOAD_BEGUN,
  events,
  finalOf,
  request,
  shape,
  type StoredEvent,
} from './helpers/ota-env.js'

const WAIT_MS = 60_000
const SUCCESS = [
  'Acknowledged',
  'Downloading 0..100',
  'Deploying 0..100',
  'Deployed',
  'Rebooting',
  'Success',
]

/** One agent process's worth: the agent with the OTA feature on a device. */
interface Running {
  readonly agent: Agent
  readonly ota: OtaFeature
  readonly reboots: RecordingSystemControl
  stop(): Promise<void>
}

/** A device on a board: its store survives the agents started on it. */
interface Unit {
  readonly deviceId: string
  readonly store: string
  readonly board: Board
  running?: Running
}

describe('OTA feature against the sandbox', () => {
  let env: Env
  let http: FaultyHttpServer
  const units: Unit[] = []

  before(async () => {
    env = await startEnv()
    http = await startFaultyHttpServer()
  })
  after(async () => {
    // a test that failed midway left its agent running
    await Promise.all(units.map((u) => u.running?.stop()))
    await http.close()
    await Promise.all(units.map((u) => u.board.close()))
    await env.stop()
  })

  async function unit(kind: BoardKind): Promise<Unit> {
    const u: Unit = {
      deviceId: randomDeviceId(new Uint8Array(randomBytes(16))),
      store: await mkdtemp(join(env.tmp, `ota-${kind}-`)),
      board: await startBoard(kind),
    }
    units.push(u)
    return u
  }

  async function start(
    u: Unit,
    options: {
      freeSpace?: (dir: string) => Promise<number>
      rebootingRepeatMs?: number
      rebootDelayMs?: number
    } = {},
  ): Promise<Running> {
    const reboots = new RecordingSystemControl({ now: () => Date.now() })
    const update = u.board.systemUpdate()
    const ota = otaFeature({
      systemUpdate: update,
      downloadDirectory: join(u.store, 'download'),
      reboot: 'default',
      systemControl: reboots,
      rebootDelayMs: options.rebootDelayMs ?? 0,
      rebootingRepeatMs: options.rebootingRepeatMs ?? 3_600_000,
      resendMs: 500,
      download: {
        attempts: 3,
        retryBaseDelayMs: 50,
        retryMaxDelayMs: 200,
        ...(options.freeSpace === undefined ? {} : { freeSpace: options.freeSpace }),
      },
    })
    const declared = await Agent.interfacesOf([ota])
    const device = await Device.open({
      realm: env.sandbox.realm,
      pairingUrl: env.sandbox.pairingUrl,
      deviceId: u.deviceId,
      pairingJwt: env.sandbox.jwt,
      interfaces: declared.interfaces,
      storeDir: join(u.store, 'device'),
      caPem: env.sandbox.caPem,
      logger: quiet,
      backoff: { minMs: 100, maxMs: 1000 },
    })
    const agent = new Agent({
      device,
      features: declared,
      clock: { now: () => Date.now() },
      timers: nodeTimers,
      logger: quiet,
      stateDir: u.store,
    })
    await agent.start()
    await eventually(
      'the device online',
      () => device.state,
      (s) => s === 'online',
      WAIT_MS,
    )
    const running: Running = {
      agent,
      ota,
      reboots,
      async stop() {
        if (u.running === running) delete u.running
        await agent.stop()
        await update.close()
      },
    }
    u.running = running
    return running
  }

  /** Plays the reboot the agent asked for: agent stopped, board booted, a new agent started. */
  async function reboot(u: Unit, options: { fallback?: boolean } = {}): Promise<Running> {
    await u.running?.stop()
    await u.board.reboot(options)
    return start(u)
  }

  const until = (u: Unit, uuid: string, ok: (list: StoredEvent[]) => boolean, what: string) =>
    eventually(what, () => events(env, u.deviceId, uuid), ok, WAIT_MS)
  const untilFinal = (u: Unit, uuid: string) =>
    until(u, uuid, (l) => finalOf(l) !== undefined, `the final event of ${uuid}`)
  const untilStatus = (u: Unit, uuid: string, status: string) =>
    until(u, uuid, (l) => l.some((e) => e.status === status), `${status} for ${uuid}`)

  /** Serves `bytes` at a fresh path; its URL. */
  function serve(bytes: Uint8Array, options: { pace?: boolean } = {}): string {
    const path = `/bundles/${randomUUID()}.bin`
    http.serve(path, {
      body: bytes,
      ...(options.pace === true ? { pace: { chunkBytes: 16_384, delayMs: 20 } } : {}),
    })
    return http.url(path)
  }

  for (const kind of BOARD_KINDS) {
    describe(`with the ${kind} adapter`, { concurrency: true }, () => {
      test('success: the image byte for byte in the new slot, Success after the reboot, marked good', async () => {
        const u = await unit(kind)
        const first = await start(u)
        const image = randomBytes(400_000)
        const url = serve(await u.board.bundle(image))
        const uuid = randomUUID()
        await request(env, u.deviceId, 'Update', uuid, url)
        await untilStatus(u, uuid, 'Rebooting')
        assert.equal(first.reboots.reboots.length, 1)
        assert.match(first.ota.busy() ?? '', /in progress \(rebooting\)/)
        assert.equal(await u.board.primary(), 'B')
        assert.ok((await u.board.slotImage('B', image.length)).equals(image))
        const second = await reboot(u)
        const list = await untilFinal(u, uuid)
        assert.deepEqual(shape(list), SUCCESS)
        assert.equal(second.ota.busy(), undefined)
        // the bundle is removed once the update ended
        assert.deepEqual(await readdir(join(u.store, 'download')), [])
        // Edgehog repeating the request: recognised (its outcome sent again), not run again; a
        // Cancel of another uuid after it shows when the agent has handled it (same connection)
        await request(env, u.deviceId, 'Update', uuid, url)
        const barrier = randomUUID()
        await request(env, u.deviceId, 'Cancel', barrier)
        await untilFinal(u, barrier)
        const again = await events(env, u.deviceId, uuid)
        assert.equal(again.filter((e) => e.status === 'Acknowledged').length, 1)
        assert.equal(finalOf(again)?.status, 'Success')
        assert.equal(await u.board.primary(), 'B')
        await second.stop()
      })

      test('a connection dropped mid-download is resumed: one download, not two', async () => {
        const u = await unit(kind)
        const running = await start(u)
        const bundle = await u.board.bundle(randomBytes(500_000))
        const url = serve(bundle)
        const path = new URL(url).pathname
        http.fault(path, { type: 'drop', afterBytes: 200_000 })
        const uuid = randomUUID()
        await request(env, u.deviceId, 'Update', uuid, url)
        await untilStatus(u, uuid, 'Rebooting')
        // the second request asked for the rest only
        assert.equal(http.requestCount(path), 2)
        assert.equal(http.bytesServed(path), bundle.length)
        await reboot(u)
        const seen = shape(await untilFinal(u, uuid))
        // the failed attempt is an Error event (spec §3.3), the next one resumes where it broke
        assertShape(seen.slice(0, 3), ['Acknowledged', DOWNLOAD_BEGUN, 'Error/NetworkError'])
        // one event per second at most: a quick resume may show only its 100
        const resumedAt = Number(/^Downloading (\d+)(\.\.100)?$/.exec(seen[3] ?? '')?.[1])
        assert.ok(resumedAt >= 30, `resumed at ${seen[3]}`)
        assert.deepEqual(seen.slice(4), SUCCESS.slice(2))
        await u.running?.stop()
        assert.equal(running.reboots.reboots.length, 1)
      })

      test('a server error is an Error event, the next attempt goes on', async () => {
        const u = await unit(kind)
        await start(u)
        const url = serve(await u.board.bundle(randomBytes(50_000)))
        http.fault(new URL(url).pathname, { type: 'status', status: 503 })
        const uuid = randomUUID()
        await request(env, u.deviceId, 'Update', uuid, url)
        const list = await untilStatus(u, uuid, 'Rebooting')
        assertShape(shape(list), [
          'Acknowledged',
          'Downloading 0',
          'Error/NetworkError',
          /^Downloading \d+(\.\.100)?$/,
          'Deploying 0..100',
          'Deployed',
          'Rebooting',
        ])
        await u.running?.stop()
      })

      test('a bundle that does not match its sha256: Error per attempt, then Failure', async () => {
        const u = await unit(kind)
        await start(u)
        const bundle = await u.board.bundle(randomBytes(30_000))
        const url = `${serve(bundle)}#sha256=${sha256(Buffer.from('something else'))}`
        const uuid = randomUUID()
        await request(env, u.deviceId, 'Update', uuid, url)
        const list = await untilFinal(u, uuid)
        assert.deepEqual(shape(list), [
          'Acknowledged',
          'Downloading 0..100',
          'Error/NetworkError',
          'Error/NetworkError',
          'Error/NetworkError',
          'Failure/NetworkError',
        ])
        assert.match(finalOf(list)?.message ?? '', /^Too many attempts to download the OTA file: /)
        assert.equal(await u.board.primary(), 'A')
        await u.running?.stop()
      })

      test('a pinned sha256 that matches is taken', async () => {
        const u = await unit(kind)
        await start(u)
        const bundle = await u.board.bundle(randomBytes(30_000))
        const uuid = randomUUID()
        await request(env, u.deviceId, 'Update', uuid, `${serve(bundle)}#sha256=${sha256(bundle)}`)
        await untilStatus(u, uuid, 'Rebooting')
        await u.running?.stop()
      })

      test('not enough space: Failure/IOError at once, nothing written', async () => {
        const u = await unit(kind)
        await start(u, { freeSpace: () => Promise.resolve(10_000) })
        const url = serve(await u.board.bundle(randomBytes(100_000)))
        const uuid = randomUUID()
        await request(env, u.deviceId, 'Update', uuid, url)
        const list = await untilFinal(u, uuid)
        assert.deepEqual(shape(list), ['Acknowledged', 'Downloading 0', 'Failure/IOError'])
        assert.deepEqual(await readdir(join(u.store, 'download')), [])
        await u.running?.stop()
      })

      test('a bundle for another system: Failure/InvalidBaseImage before anything is written', async () => {
        const u = await unit(kind)
        await start(u)
        const url = serve(await u.board.bundle(randomBytes(20_000), { compatible: 'other-board' }))
        const uuid = randomUUID()
        await request(env, u.deviceId, 'Update', uuid, url)
        const list = await untilFinal(u, uuid)
        assert.deepEqual(shape(list), [
          'Acknowledged',
          'Downloading 0..100',
          'Failure/InvalidBaseImage',
        ])
        assert.match(
          finalOf(list)?.message ?? '',
          /bundle other-board is not compatible with system astarte-test-board/,
        )
        assert.equal(await u.board.primary(), 'A')
        await u.running?.stop()
      })

      test('the installer fails: Failure/InvalidBaseImage, no reboot', async () => {
        const u = await unit(kind)
        const running = await start(u)
        const url = serve(await u.board.bundle(randomBytes(20_000), { broken: true }))
        const uuid = randomUUID()
        await request(env, u.deviceId, 'Update', uuid, url)
        const list = await untilFinal(u, uuid)
        const seen = shape(list)
        assert.deepEqual(seen.slice(0, 2), ['Acknowledged', 'Downloading 0..100'])
        assert.match(seen[2] ?? '', /^Deploying 0/)
        assert.deepEqual(seen.slice(3), ['Failure/InvalidBaseImage'])
        assert.equal(running.reboots.reboots.length, 0)
        assert.equal(await u.board.primary(), 'A')
        await u.running?.stop()
      })

      test('the bootloader falls back after the reboot: Failure/SystemRollback', async () => {
        const u = await unit(kind)
        // the reboot request is still waiting for its delay when the agent stops: no hang
        await start(u, { rebootingRepeatMs: 200, rebootDelayMs: 3_600_000 })
        const url = serve(await u.board.bundle(randomBytes(20_000)))
        const uuid = randomUUID()
        await request(env, u.deviceId, 'Update', uuid, url)
        // Rebooting is published again and again until the process ends
        await until(
          u,
          uuid,
          (l) => l.filter((e) => e.status === 'Rebooting').length >= 3,
          'Rebooting repeated',
        )
        await reboot(u, { fallback: true })
        const list = await untilFinal(u, uuid)
        const seen = shape(list).filter((x, i, all) => x !== 'Rebooting' || all[i - 1] !== x)
        assert.deepEqual(seen, [...SUCCESS.slice(0, -1), 'Failure/SystemRollback'])
        assert.match(finalOf(list)?.message ?? '', /^Unable to switch slot/)
        await u.running?.stop()
      })

      test('cancel while downloading; a second update while one runs; cancels that match nothing', async () => {
        const u = await unit(kind)
        const running = await start(u)
        const bundle = await u.board.bundle(randomBytes(200_000))
        const url = serve(bundle)
        http.fault(new URL(url).pathname, { type: 'stall', afterBytes: 50_000 })
        const uuid = randomUUID()
        await request(env, u.deviceId, 'Update', uuid, url)
        await untilStatus(u, uuid, 'Downloading')
        assert.match(running.ota.busy() ?? '', /in progress \(downloading\)/)

        const second = randomUUID()
        await request(env, u.deviceId, 'Update', second, serve(bundle))
        const refused = await untilFinal(u, second)
        assert.deepEqual(shape(refused), ['Failure/UpdateAlreadyInProgress'])

        const stranger = randomUUID()
        await request(env, u.deviceId, 'Cancel', stranger)
        assert.deepEqual(shape(await untilFinal(u, stranger)), ['Failure/InternalError'])

        await request(env, u.deviceId, 'Cancel', uuid)
        const list = await untilFinal(u, uuid)
        assertShape(shape(list), ['Acknowledged', DOWNLOAD_BEGUN, 'Failure/Canceled'])
        assert.deepEqual(await readdir(join(u.store, 'download')), [])
        assert.equal(running.ota.busy(), undefined)
        assert.equal(await u.board.primary(), 'A')

        const late = randomUUID()
        await request(env, u.deviceId, 'Cancel', late)
        const nothing = await untilFinal(u, late)
        assert.deepEqual(shape(nothing), ['Failure/InternalError'])
        assert.match(finalOf(nothing)?.message ?? '', /internal request is empty/)
        await u.running?.stop()
      })
    })
  }
})
