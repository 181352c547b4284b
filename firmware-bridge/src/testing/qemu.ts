/**
 * @module the example firmware on QEMU, for the tests and the bench: built by `c/build.mjs`
 * (Debian's arm-none-eabi-gcc), run on the mps2-an385 board with its UART on a pseudo-terminal.
 */
export { buildQemuFirmware, qemuArgs } from '../../c/build.mjs'
