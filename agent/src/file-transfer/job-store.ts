/**
 * @module file transfer jobs: the accepted transfers not finished yet, one JSON file each under
 * `<stateDir>/jobs` (0700; URLs may carry presigned secrets), so a restart continues them (a
 * download from its synced part). Removed once the transfer's Response was handed over.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileDurably } from '../transfer/index.js'
import type { TransferRequest } from './requests.js'

export interface Job {
  /** The file name; sorts in arrival order. */
  readonly name: string
  readonly request: TransferRequest
}

export class JobStore {
  readonly #dir: string
  #seq = 0

  constructor(stateDir: string) {
    this.#dir = join(stateDir, 'jobs')
  }

  /** The jobs a previous run left, oldest first; unreadable ones are dropped. */
  async load(): Promise<{ jobs: Job[]; dropped: string[] }> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 })
    const names = (await readdir(this.#dir)).filter((n) => n.endsWith('.json')).sort()
    const jobs: Job[] = []
    const dropped: string[] = []
    for (const name of names) {
      try {
        const request = JSON.parse(await readFile(join(this.#dir, name), 'utf8')) as TransferRequest
        if (request.kind !== 'server_to_device' && request.kind !== 'device_to_server')
          throw new Error()
        jobs.push({ name, request })
      } catch {
        dropped.push(name)
        await rm(join(this.#dir, name), { force: true })
      }
      this.#seq = Math.max(this.#seq, Number.parseInt(name, 10) || 0)
    }
    return { jobs, dropped }
  }

  async add(request: TransferRequest): Promise<Job> {
    this.#seq += 1
    const name = `${String(this.#seq).padStart(12, '0')}.json`
    await writeFileDurably(join(this.#dir, name), JSON.stringify(request))
    return { name, request }
  }

  async remove(job: Job): Promise<void> {
    await rm(join(this.#dir, job.name), { force: true })
  }
}
