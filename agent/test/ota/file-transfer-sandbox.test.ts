/**
 * Edgehog file transfer (spec §9) against the sandbox: requests sent through AppEngine, files
 * served by a real HTTP server that can stall, uploads stored by the sandbox's file drop, and
 * every Progress and Response read back through AppEngine.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { constants } from 'node:os'
import { after, before, describe, test } from 'node:test'
import type { Feature } from '../../src/core/feature.js'
import {
  fileTransferFeature,
  type FileTransferFeatureOptions,
} from '../../src/file-transfer/index.js'
import { startFaultyHttpServer, type FaultyHttpServer } from '../helpers/faulty-http-server.js'
import { mountTmpfs } from '../helpers/tmpfs.js'
import {
  eventually,
  ManualTime,
  openDevice,
  RecordingLogger,
  startEnv,
  type Env,
  type Running,
} from '../helpers/feature-sandbox.js'

const E = 'io.edgehog.devicemanager.'
const FAST_RETRY = { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 }
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const { errno } = constants

let env: Env
let files: FaultyHttpServer

before(async () => {
  env = await startEnv()
  files = await startFaultyHttpServer()
})
after(async () => {
  await files.close()
  await env.stop()
})

interface Agent {
  readonly run: Running
  readonly feature: Feature
  readonly storageDir: string
  readonly stateDir: string
  readonly logger: RecordingLogger
  readonly time: ManualTime
  stop(): Promise<void>
}

/** The feature started on a fresh (or the given) device, state and storage. */
async function startAgent(
  options: Partial<FileTransferFeatureOptions> & {
    deviceId?: string
    storeDir?: string
    stateDir?: string
  } = {},
): Promise<Agent> {
  const storageDir = options.storageDir ?? (await mkdtemp(join(env.tmp, 'file-store-')))
  const stateDir = options.stateDir ?? (await mkdtemp(join(env.tmp, 'ft-state-')))
  const feature = fileTransferFeature({ retry: FAST_RETRY, ...options, storageDir })
  const run = await openDevice(env, [feature], {
    ...(options.deviceId === undefined ? {} : { deviceId: options.deviceId }),
    ...(options.storeDir === undefined ? {} : { storeDir: options.storeDir }),
  })
  const time = new ManualTime(Date.now())
  const logger = new RecordingLogger()
  await feature.start({ device: run.device, clock: time, timers: time, logger, stateDir })
  return {
    run,
    feature,
    storageDir,
    stateDir,
    logger,
    time,
    async stop() {
      await feature.stop()
      await run.stop()
    },
  }
}

const post = async (
  deviceId: string,
  iface: string,
  data: Record<string, unknown>,
): Promise<void> => {
  const res = await env.api('POST', `devices/${deviceId}/interfaces/${E}${iface}/request`, data)
  assert.equal(res.status, 200, JSON.stringify(res.data))
}

type Row = Record<string, unknown>

/** Every object the device sent on `iface`'s `/request`, oldest first. */
async function sent(deviceId: string, iface: string): Promise<Row[]> {
  const res = await env.api('GET', `devices/${deviceId}/interfaces/${E}${iface}/request`)
  if (res.status === 404) return []
  assert.equal(res.status, 200, JSON.stringify(res.data))
  return Array.isArray(res.data) ? (res.data as Row[]) : [res.data as Row]
}

/** The Response of transfer `id`, once the device sent it. */
async function responseOf(
  deviceId: string,
  id: string,
  iface = 'fileTransfer.Response',
): Promise<Row> {
  const rows = await eventually(
    `${iface} of ${id}`,
    () => sent(deviceId, iface),
    (rs) => rs.some((r) => r.id === id),
    60_000,
  )
  return rows.find((r) => r.id === id) as Row
}

const progressOf = async (deviceId: string, id: string): Promise<Row[]> =>
  (await sent(deviceId, 'fileTransfer.Progress')).filter((r) => r.id === id)

const num = (v: unknown): number => Number(v)

function download(id: string, url: string, extra: Row = {}): Row {
  return {
    id,
    url,
    httpHeaderKeys: [],
    httpHeaderValues: [],
    encoding: '',
    fileSizeBytes: 0,
    progress: true,
    digest: '',
    ttlSeconds: 0,
    fileMode: 0,
    userId: -1,
    groupId: -1,
    destinationType: 'storage',
    destination: '',
    ...extra,
  }
}

function uploadRequest(id: string, url: string, extra: Row = {}): Row {
  return {
    id,
    url,
    httpHeaderKeys: [],
    httpHeaderValues: [],
    encoding: '',
    progress: true,
    sourceType: 'storage',
    source: '',
    ...extra,
  }
}

describe('file transfer against the sandbox', () => {
  test('capabilities: storage and filesystem both ways, unix permissions, no encodings', async () => {
    const agent = await startAgent()
    try {
      const expected = {
        transfer: {
          unixPermissions: true,
          serverToDevice: { targets: ['storage', 'filesystem'] },
          deviceToServer: { targets: ['storage', 'filesystem'] },
        },
        serverToDevice: { storage: { encodings: [] }, filesystem: { encodings: [] } },
        deviceToServer: { storage: { encodings: [] }, filesystem: { encodings: [] } },
      }
      // set one property at a time: read until the last one arrived, then compare the whole
      const caps = await eventually(
        'Capabilities',
        () => env.read(agent.run.deviceId, `${E}fileTransfer.Capabilities`),
        (d) =>
          (d as typeof expected | undefined)?.deviceToServer?.filesystem?.encodings !== undefined,
      )
      assert.deepEqual(caps, expected)
    } finally {
      await agent.stop()
    }
  })

  test('server to device into storage, then device to server, both with progress; then delete', async () => {
    const agent = await startAgent()
    const { deviceId } = agent.run
    try {
      const body = randomBytes(900_000)
      files.serve('/ft/firmware.bin', { body })
      await post(
        deviceId,
        'fileTransfer.ServerToDevice',
        download('fw-1', files.url('/ft/firmware.bin'), {
          httpHeaderKeys: ['x-edgehog-token'],
          httpHeaderValues: ['t-1'],
          digest: `sha256:${sha(body)}`,
          fileSizeBytes: body.length,
          fileMode: 0o640,
        }),
      )
      const response = await responseOf(deviceId, 'fw-1')
      assert.deepEqual(
        { ...response, code: num(response.code) },
        {
          id: 'fw-1',
          type: 'server_to_device',
          code: 0,
          message: '',
          timestamp: response.timestamp,
        },
      )
      const stored = join(agent.storageDir, 'fw-1')
      assert.deepEqual(await readFile(stored), body)
      assert.equal((await stat(stored)).mode & 0o777, 0o440, 'fileMode without its write bits')
      assert.equal(
        files.requests.find((r) => r.path === '/ft/firmware.bin')?.headers['x-edgehog-token'],
        't-1',
      )
      assert.deepEqual(await readdir(join(agent.storageDir, '.incoming')), [])
      const storageFile = await eventually(
        'storage.File',
        () => env.read(deviceId, `${E}storage.File`),
        (d) => (d as Row | undefined)?.['fw-1'] !== undefined,
      )
      assert.deepEqual(
        {
          ...(storageFile as Record<string, Row>)['fw-1'],
          sizeBytes: num((storageFile as Record<string, Row>)['fw-1']?.sizeBytes),
        },
        { pathOnDevice: stored, sizeBytes: body.length },
      )
      const down = await progressOf(deviceId, 'fw-1')
      assert.ok(down.length >= 2, JSON.stringify(down))
      assert.ok(
        down.every((p) => p.type === 'server_to_device' && num(p.totalBytes) === body.length),
      )
      assert.equal(num(down[0]?.bytes), 0)
      assert.equal(num(down.at(-1)?.bytes), body.length)
      const bytes = down.map((p) => num(p.bytes))
      assert.deepEqual(
        [...bytes].sort((a, b) => a - b),
        bytes,
      )

      await post(
        deviceId,
        'fileTransfer.DeviceToServer',
        uploadRequest('up-1', `${env.sandbox.filesUrl}/uploaded.bin`, { source: 'fw-1' }),
      )
      const up = await responseOf(deviceId, 'up-1')
      assert.equal(num(up.code), 0, String(up.message))
      assert.equal(up.type, 'device_to_server')
      assert.deepEqual(await readFile(join(env.sandbox.dataDir, 'files', 'uploaded.bin')), body)
      const upProgress = await progressOf(deviceId, 'up-1')
      assert.ok(
        upProgress.every((p) => p.type === 'device_to_server' && num(p.totalBytes) === body.length),
      )
      assert.equal(num(upProgress[0]?.bytes), 0)
      assert.equal(num(upProgress.at(-1)?.bytes), body.length)

      await post(deviceId, 'storage.DeleteFile', { id: 'del-1', fileId: 'fw-1', force: false })
      const deleted = await responseOf(deviceId, 'del-1', 'storage.Response')
      assert.deepEqual(
        { ...deleted, code: num(deleted.code) },
        { id: 'del-1', type: 'delete', code: 0, messages: [], timestamp: deleted.timestamp },
      )
      assert.ok(!existsSync(stored))
      await eventually(
        'storage.File unset',
        async () => (await env.api('GET', `devices/${deviceId}/interfaces/${E}storage.File`)).data,
        (d) => (d as Row | undefined)?.['fw-1'] === undefined,
      )
      await post(deviceId, 'storage.DeleteFile', { id: 'del-2', fileId: 'fw-1', force: false })
      const again = await responseOf(deviceId, 'del-2', 'storage.Response')
      assert.equal(num(again.code), errno.ENOENT, 'ENOENT')
    } finally {
      await agent.stop()
    }
  })

  test('to and from a filesystem path; bad and unsupported requests get EINVAL and ENOTSUP', async () => {
    const agent = await startAgent()
    const { deviceId } = agent.run
    try {
      const body = randomBytes(50_000)
      files.serve('/ft/config.bin', { body })
      const target = join(agent.stateDir, 'out', 'config.bin')
      await mkdir(join(agent.stateDir, 'out'))
      await post(
        deviceId,
        'fileTransfer.ServerToDevice',
        download('cfg-1', files.url('/ft/config.bin'), {
          destinationType: 'filesystem',
          destination: target,
          progress: false,
        }),
      )
      assert.equal(num((await responseOf(deviceId, 'cfg-1')).code), 0)
      assert.deepEqual(await readFile(target), body)
      assert.deepEqual(await progressOf(deviceId, 'cfg-1'), [], 'no progress unless asked')

      await post(
        deviceId,
        'fileTransfer.DeviceToServer',
        uploadRequest('up-fs', `${env.sandbox.filesUrl}/from-fs.bin`, {
          sourceType: 'filesystem',
          source: target,
          progress: false,
        }),
      )
      assert.equal(num((await responseOf(deviceId, 'up-fs')).code), 0)
      assert.deepEqual(await readFile(join(env.sandbox.dataDir, 'files', 'from-fs.bin')), body)

      await post(
        deviceId,
        'fileTransfer.ServerToDevice',
        download('bad-digest', files.url('/ft/config.bin'), { digest: 'md5:00' }),
      )
      const bad = await responseOf(deviceId, 'bad-digest')
      assert.equal(num(bad.code), errno.EINVAL, 'EINVAL')
      assert.match(String(bad.message), /digest/)
      await post(
        deviceId,
        'fileTransfer.ServerToDevice',
        download('stream-1', files.url('/ft/config.bin'), { destinationType: 'streaming' }),
      )
      assert.equal(num((await responseOf(deviceId, 'stream-1')).code), errno.ENOTSUP, 'ENOTSUP')
      await post(
        deviceId,
        'fileTransfer.ServerToDevice',
        download('missing', files.url('/ft/missing.bin')),
      )
      assert.equal(
        num((await responseOf(deviceId, 'missing')).code),
        errno.ENOENT,
        'a 404 is ENOENT',
      )
      await post(
        deviceId,
        'fileTransfer.ServerToDevice',
        download('bad-sum', files.url('/ft/config.bin'), { digest: `sha256:${'0'.repeat(64)}` }),
      )
      assert.equal(num((await responseOf(deviceId, 'bad-sum')).code), errno.EBADMSG, 'EBADMSG')
      assert.ok(!existsSync(join(agent.storageDir, 'bad-sum')))
      assert.deepEqual(await readdir(join(agent.storageDir, '.incoming')), [])
    } finally {
      await agent.stop()
    }
  })

  test('a download interrupted by a restart of the agent continues where it stopped', async () => {
    const body = randomBytes(3 * 1024 * 1024)
    files.serve('/ft/big.bin', { body })
    files.fault('/ft/big.bin', { type: 'stall', afterBytes: 1_500_000 })
    const storeDir = await mkdtemp(join(env.tmp, 'ft-store-'))
    const first = await startAgent({ storeDir })
    const { deviceId } = first.run
    await post(
      deviceId,
      'fileTransfer.ServerToDevice',
      download('big-1', files.url('/ft/big.bin'), { digest: `sha256:${sha(body)}` }),
    )
    const part = join(first.storageDir, '.incoming', 'big-1.part')
    await eventually(
      'the stalled part',
      () =>
        stat(part).then(
          (s) => s.size,
          () => 0,
        ),
      (n) => n >= 1_500_000,
    )
    await first.stop()
    assert.ok(existsSync(part), 'the part is kept across the restart')
    const second = await startAgent({
      deviceId,
      storeDir,
      storageDir: first.storageDir,
      stateDir: first.stateDir,
    })
    try {
      const response = await responseOf(deviceId, 'big-1')
      assert.equal(num(response.code), 0, String(response.message))
      assert.deepEqual(await readFile(join(first.storageDir, 'big-1')), body)
      const requests = files.requests.filter((r) => r.path === '/ft/big.bin')
      assert.equal(requests.length, 2)
      assert.equal(requests[1]?.headers.range, 'bytes=1500000-')
      assert.equal(files.bytesServed('/ft/big.bin'), body.length, 'one download, continued')
    } finally {
      await second.stop()
    }
  })

  test('a full reserved space: ENOSPC, nothing half-written left, nothing published', async (t) => {
    const dir = await mountTmpfs(t, env.tmp, '1m')
    if (dir === undefined) return
    const agent = await startAgent({ storageDir: dir, storageReservedPercent: 50 })
    const { deviceId } = agent.run
    try {
      const body = randomBytes(700_000)
      files.serve('/ft/too-big.bin', { body })
      files.serve('/ft/too-big-chunked.bin', { body, chunked: true })
      await post(
        deviceId,
        'fileTransfer.ServerToDevice',
        download('full-1', files.url('/ft/too-big.bin')),
      )
      await post(
        deviceId,
        'fileTransfer.ServerToDevice',
        download('full-2', files.url('/ft/too-big-chunked.bin')),
      )
      for (const id of ['full-1', 'full-2']) {
        const response = await responseOf(deviceId, id)
        assert.equal(
          num(response.code),
          errno.ENOSPC,
          `ENOSPC for ${id}: ${String(response.message)}`,
        )
        assert.match(String(response.message), /reserved/)
      }
      await post(
        deviceId,
        'fileTransfer.ServerToDevice',
        download('full-3', files.url('/ft/too-big.bin'), { fileSizeBytes: 2_000_000 }),
      )
      assert.equal(num((await responseOf(deviceId, 'full-3')).code), errno.ENOSPC)
      assert.equal(
        files.requestCount('/ft/too-big.bin'),
        1,
        'fileSizeBytes refused before any request',
      )
      assert.deepEqual(await readdir(dir), ['.incoming'])
      assert.deepEqual(await readdir(join(dir, '.incoming')), [])
      const published = (await env.api('GET', `devices/${deviceId}/interfaces/${E}storage.File`))
        .data
      assert.ok(
        published === undefined || Object.keys(published as Row).length === 0,
        JSON.stringify(published),
      )
    } finally {
      await agent.stop()
    }
  })

  test('ttlSeconds: a stored file goes when its time is up, and its storage.File with it', async () => {
    const agent = await startAgent()
    const { deviceId } = agent.run
    try {
      files.serve('/ft/short-lived.bin', { body: randomBytes(10_000) })
      await post(
        deviceId,
        'fileTransfer.ServerToDevice',
        download('ttl-1', files.url('/ft/short-lived.bin'), { ttlSeconds: 3600, progress: false }),
      )
      assert.equal(num((await responseOf(deviceId, 'ttl-1')).code), 0)
      const stored = join(agent.storageDir, 'ttl-1')
      assert.ok(existsSync(stored))
      await eventually(
        'storage.File set',
        () => env.read(deviceId, `${E}storage.File`),
        (d) => (d as Row | undefined)?.['ttl-1'] !== undefined,
      )
      agent.time.advance(3_599_000)
      assert.ok(existsSync(stored), 'kept until the ttl ran out')
      agent.time.advance(1_000)
      await eventually(
        'the file deleted',
        () => existsSync(stored),
        (exists) => !exists,
      )
      await eventually(
        'storage.File unset',
        async () => (await env.api('GET', `devices/${deviceId}/interfaces/${E}storage.File`)).data,
        (d) => (d as Row | undefined)?.['ttl-1'] === undefined,
      )
    } finally {
      await agent.stop()
    }
  })

  test('a file being uploaded is deleted only with force; secrets of the URL stay out of the logs', async () => {
    const agent = await startAgent()
    const { deviceId } = agent.run
    try {
      files.serve('/ft/busy.bin', { body: randomBytes(200_000) })
      await post(
        deviceId,
        'fileTransfer.ServerToDevice',
        download('busy-1', `${files.url('/ft/busy.bin')}?X-Amz-Signature=topsecret`, {
          progress: false,
        }),
      )
      assert.equal(num((await responseOf(deviceId, 'busy-1')).code), 0)
      files.fault('/ft/busy-upload.bin', { type: 'stall', afterBytes: 50_000 })
      await post(
        deviceId,
        'fileTransfer.DeviceToServer',
        uploadRequest('busy-up', files.url('/ft/busy-upload.bin'), {
          source: 'busy-1',
          progress: false,
        }),
      )
      await eventually(
        'the upload stalled',
        () => files.requests.some((r) => r.path === '/ft/busy-upload.bin'),
        (stalled) => stalled,
      )
      await post(deviceId, 'storage.DeleteFile', {
        id: 'busy-del-1',
        fileId: 'busy-1',
        force: false,
      })
      const refused = await responseOf(deviceId, 'busy-del-1', 'storage.Response')
      assert.equal(num(refused.code), errno.EBUSY)
      assert.ok(existsSync(join(agent.storageDir, 'busy-1')))
      await post(deviceId, 'storage.DeleteFile', {
        id: 'busy-del-2',
        fileId: 'busy-1',
        force: true,
      })
      assert.equal(num((await responseOf(deviceId, 'busy-del-2', 'storage.Response')).code), 0)
      assert.ok(!existsSync(join(agent.storageDir, 'busy-1')))
      const logged = JSON.stringify(agent.logger.entries)
      assert.match(logged, /busy\.bin\?…/)
      assert.ok(!logged.includes('topsecret'))
    } finally {
      await agent.stop()
    }
  })

  test('a download the retries gave up on answers its errno and leaves no part; strays are swept at start', async () => {
    const storageDir = await mkdtemp(join(env.tmp, 'file-store-'))
    await mkdir(join(storageDir, '.incoming'))
    await writeFile(join(storageDir, '.incoming', 'stray.part'), 'left by a crash')
    await writeFile(join(storageDir, '.incoming', 'stray.part.json'), '{}')
    const agent = await startAgent({ storageDir })
    const { deviceId } = agent.run
    try {
      assert.deepEqual(await readdir(join(storageDir, '.incoming')), [])
      files.serve('/ft/flaky.bin', { body: randomBytes(100_000) })
      files.fault('/ft/flaky.bin', { type: 'drop', afterBytes: 0, times: Infinity })
      await post(
        deviceId,
        'fileTransfer.ServerToDevice',
        download('flaky-1', files.url('/ft/flaky.bin')),
      )
      const response = await responseOf(deviceId, 'flaky-1')
      assert.equal(num(response.code), errno.ECONNRESET, String(response.message))
      assert.equal(files.requestCount('/ft/flaky.bin'), FAST_RETRY.attempts)
      assert.deepEqual(await readdir(join(storageDir, '.incoming')), [])
      assert.deepEqual(await readdir(storageDir), ['.incoming'])
    } finally {
      files.clearFaults('/ft/flaky.bin')
      await agent.stop()
    }
  })
})
