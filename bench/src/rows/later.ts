/**
 * @module bench later rows: parts of the project that don't exist yet, listed so the table is
 * whole.
 */
import type { LaterRowSpec } from '../context.js'

export const laterRows: readonly LaterRowSpec[] = [
  {
    id: 'esp32.bundle.espruino',
    title: 'ESP32 bundle size (Espruino)',
    unit: 'KiB',
    needs: 'runtimes/espruino',
  },
]
