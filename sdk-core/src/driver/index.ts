/** @module driver: the host-neutral device every runtime wraps, and the device API it serves. */
export { DeviceDriver, abortReason, type DeviceDriverOptions } from './device-driver.js'
export { ActionRunner, type ActionRunnerPorts, type TlsMaterial } from './action-runner.js'
export { InputQueue, type InputQueueHost } from './input-queue.js'
export { TimerTable } from './timer-table.js'
export {
  createMessageStream,
  type MessageSink,
  type MessageStreamFactory,
} from './message-stream.js'
export { toSdkError } from './sdk-error-of.js'
export type * from './device-api.js'
