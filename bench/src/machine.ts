/** @module bench machine: describes where a run happened, so results are read in context. */
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os'

export interface Machine {
  readonly cpuModel: string
  readonly cpuCount: number
  readonly memoryBytes: number
  readonly node: string
  readonly os: string
  readonly arch: string
  /** 1, 5 and 15 minute load averages when the run started: how busy the machine already was. */
  readonly loadAverage: readonly number[]
}

export function describeMachine(): Machine {
  const list = cpus()
  return {
    cpuModel: list[0]?.model ?? 'unknown',
    cpuCount: list.length,
    memoryBytes: totalmem(),
    node: process.version,
    os: `${platform()} ${release()}`,
    arch: arch(),
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  }
}
