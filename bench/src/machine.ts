/** @module bench machine: describes where a run happened, so results are read in context. */
import { cpus, platform, release, totalmem, arch } from 'node:os'

export interface Machine {
  readonly cpuModel: string
  readonly cpuCount: number
  readonly memoryBytes: number
  readonly node: string
  readonly os: string
  readonly arch: string
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
  }
}
