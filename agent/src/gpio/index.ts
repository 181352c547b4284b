/**
 * @module gpio: GPIO input and output ports, their `onoff` adapters and the simulated chip.
 */
export type {
  GpioEdge,
  GpioInput,
  GpioInputOptions,
  GpioListener,
  GpioOutput,
  GpioOutputOptions,
} from './gpio.js'
export { OnoffInput, OnoffOutput, checkGpioLine } from './onoff-gpio.js'
export { SimulatedGpio } from './simulated-gpio.js'
export { gpioSink, gpioSource, levelOf, type GpioEndpointOptions } from './gpio-endpoints.js'
