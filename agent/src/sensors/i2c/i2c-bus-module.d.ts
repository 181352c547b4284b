/** The part of `i2c-bus` (which ships no types) that `openLinuxI2cBus` uses. */
declare module 'i2c-bus' {
  export interface PromisifiedBus {
    i2cWrite(address: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number }>
    i2cRead(address: number, length: number, buffer: Buffer): Promise<{ bytesRead: number }>
    readI2cBlock(
      address: number,
      command: number,
      length: number,
      buffer: Buffer,
    ): Promise<{ bytesRead: number }>
    close(): Promise<void>
  }
  export function openPromisified(busNumber: number): Promise<PromisifiedBus>
}
