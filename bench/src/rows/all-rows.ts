/** @module bench all-rows: every row in table order. */
import type { RowSpec } from '../context.js'
import { bsonRows } from './bson.js'
import { laterRows } from './later.js'

export const allRows: readonly RowSpec[] = [...bsonRows, ...laterRows]
