/**
 * @module sensors: I2C sensor drivers (Bosch BME280, Sensirion SHT3x) behind the `I2cBus` port,
 * its Linux adapter over `i2c-bus`, and the simulated bus with chip models for tests and demos.
 */
export {
  checkI2cAddress,
  hexAddress,
  i2cError,
  type I2cBus,
  type I2cTransfer,
} from './i2c/i2c-bus.js'
export { openLinuxI2cBus } from './i2c/linux-i2c-bus.js'
export { I2C_NACK, SimulatedI2cBus, type SimulatedI2cChip } from './i2c/simulated-i2c-bus.js'
export { SimulatedTime, realSleep, type Sleep } from './simulated-time.js'
export type { Quantity, Sensor, SensorReading } from './sensor.js'
export { Bme280, rawOf, type Bme280Options, type Bme280Raw } from './bme280/bme280.js'
export {
  decodeBme280Calibration,
  encodeBme280Calibration,
  type Bme280Calibration,
} from './bme280/calibration.js'
export {
  compensateHumidity,
  compensatePressure,
  compensateTemperature,
} from './bme280/compensate.js'
export {
  maxMeasurementMs,
  type Bme280Oversampling,
  type FilterCoefficient,
  type Oversampling,
} from './bme280/registers.js'
export {
  EXAMPLE_CALIBRATION,
  SimulatedBme280,
  adcFor,
  humidityDouble,
  pressureDouble,
  temperatureDouble,
  type Bme280AdcValues,
  type Environment,
  type SimulatedBme280Options,
} from './bme280/simulated-bme280.js'
export { Sht3x, type Sht3xOptions, type Sht3xStatus } from './sht3x/sht3x.js'
export { sht3xCrc8, sht3xWord } from './sht3x/crc8.js'
export { SimulatedSht3x, type Sht3xWordName } from './sht3x/simulated-sht3x.js'
export {
  sht3xHumidity,
  sht3xRawHumidity,
  sht3xRawTemperature,
  sht3xTemperature,
  type Repeatability,
} from './sht3x/commands.js'
export {
  sensorSource,
  type SensorEndpoint,
  type SensorSourceOptions,
  type SensorSourceStats,
} from './sensor-source.js'
