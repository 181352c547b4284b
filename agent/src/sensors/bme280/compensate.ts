/**
 * @module bme280 compensation: the datasheet's integer formulas (BST-BME280-DS002 §4.2.3, the
 * same as BMP280's §3.11.3), bit for bit. The 32-bit ones wrap as C's `int32_t` does on the chip's
 * reference platforms: every product is `Math.imul`, every sum `| 0`, shifts are `>>`
 * (arithmetic). Pressure is the 64-bit formula in `BigInt`, each step wrapped to `int64_t` with
 * `BigInt.asIntN(64, …)`; `BigInt`'s `/` truncates toward zero as C's does. The results are the
 * formulas' fixed-point outputs, so tests compare them with the datasheet's to the last bit.
 */
import type { Bme280Calibration } from './calibration.js'

const mul = Math.imul
const add = (a: number, b: number): number => (a + b) | 0
const sub = (a: number, b: number): number => (a - b) | 0

/** `BME280_compensate_T_int32`: temperature in 0.01 °C, and t_fine for P and H. */
export function compensateTemperature(
  adcT: number,
  c: Bme280Calibration,
): { readonly centiCelsius: number; readonly tFine: number } {
  const var1 = mul(sub(adcT >> 3, c.digT1 << 1), c.digT2) >> 11
  const d = sub(adcT >> 4, c.digT1)
  const var2 = mul(mul(d, d) >> 12, c.digT3) >> 14
  const tFine = add(var1, var2)
  return { centiCelsius: add(mul(tFine, 5), 128) >> 8, tFine }
}

const i64 = (x: bigint): bigint => BigInt.asIntN(64, x)

/**
 * `BME280_compensate_P_int64`: pressure in Pa as unsigned Q24.8 (divide by 256 for Pa); 0 when
 * the calibration would divide by zero, as the datasheet returns.
 */
export function compensatePressure(adcP: number, tFine: number, c: Bme280Calibration): number {
  let var1 = i64(BigInt(tFine) - 128000n)
  let var2 = i64(i64(var1 * var1) * BigInt(c.digP6))
  var2 = i64(var2 + i64(i64(var1 * BigInt(c.digP5)) << 17n))
  var2 = i64(var2 + i64(BigInt(c.digP4) << 35n))
  var1 = i64(
    (i64(i64(var1 * var1) * BigInt(c.digP3)) >> 8n) + i64(i64(var1 * BigInt(c.digP2)) << 12n),
  )
  var1 = i64(i64(i64((1n << 47n) + var1) * BigInt(c.digP1)) >> 33n)
  if (var1 === 0n) return 0
  let p = i64(1048576n - BigInt(adcP))
  p = i64(i64(i64(i64(p << 31n) - var2) * 3125n) / var1)
  var1 = i64(i64(i64(BigInt(c.digP9) * (p >> 13n)) * (p >> 13n)) >> 25n)
  var2 = i64(i64(BigInt(c.digP8) * p) >> 19n)
  p = i64((i64(i64(p + var1) + var2) >> 8n) + i64(BigInt(c.digP7) << 4n))
  // the datasheet returns it as uint32_t
  return Number(BigInt.asUintN(32, p))
}

/** `bme280_compensate_H_int32`: relative humidity in %RH as unsigned Q22.10 (divide by 1024). */
export function compensateHumidity(adcH: number, tFine: number, c: Bme280Calibration): number {
  let v = sub(tFine, 76800)
  const a = add(sub(sub(adcH << 14, c.digH4 << 20), mul(c.digH5, v)), 16384) >> 15
  const b =
    add(
      mul(
        add(mul(mul(v, c.digH6) >> 10, add(mul(v, c.digH3) >> 11, 32768)) >> 10, 2097152),
        c.digH2,
      ),
      8192,
    ) >> 14
  v = mul(a, b)
  v = sub(v, mul(mul(v >> 15, v >> 15) >> 7, c.digH1) >> 4)
  v = v < 0 ? 0 : v
  v = v > 419430400 ? 419430400 : v
  return v >>> 12
}
