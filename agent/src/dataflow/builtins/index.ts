/** @module built-in processors, by the names flows use. */
import type { ProcessorFactory, ProcessorRegistry } from '../processor.js'
import { average } from './average.js'
import { calibrate } from './calibrate.js'
import { deadband } from './deadband.js'
import { filter } from './filter.js'
import { pick } from './pick.js'
import { scale } from './scale.js'
import { split } from './split.js'
import { threshold } from './threshold.js'

export { average, calibrate, deadband, filter, pick, scale, split, threshold }

/** Every built-in processor: calibrate, scale, average, filter, deadband, threshold, split, pick. */
export const builtinProcessors: ProcessorRegistry = new Map<string, ProcessorFactory>([
  ['calibrate', calibrate],
  ['scale', scale],
  ['average', average],
  ['filter', filter],
  ['deadband', deadband],
  ['threshold', threshold],
  ['split', split],
  ['pick', pick],
])
