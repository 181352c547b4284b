/**
 * @module hardware: the configured sensors and GPIO lines as dataflow endpoints.
 */
export {
  hardwareEndpoints,
  type HardwareEndpoints,
  type HardwareEndpointsOptions,
  type HardwareSimulation,
} from './endpoints.js'
export { LazyI2cBus } from './lazy-i2c-bus.js'
