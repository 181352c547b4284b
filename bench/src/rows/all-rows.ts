/** @module bench all-rows: every row in table order. */
import type { RowSpec } from '../context.js'
import { bridgeRows } from './bridge.js'
import { bsonRows } from './bson.js'
import { bundleRows } from './bundles.js'
import { coldStartRows } from './cold-start.js'
import { dataflowRows } from './dataflow.js'
import { fleetRows } from './fleet.js'
import { memoryRows } from './memory.js'
import { espruinoRows } from './espruino.js'
import { moddableRows } from './moddable.js'
import { retentionRows } from './retention.js'
import { sendRows } from './send.js'

export const allRows: readonly RowSpec[] = [
  ...sendRows,
  ...bsonRows,
  ...retentionRows,
  ...coldStartRows,
  ...bundleRows,
  ...memoryRows,
  ...fleetRows,
  ...bridgeRows,
  ...dataflowRows,
  ...moddableRows,
  ...espruinoRows,
]
