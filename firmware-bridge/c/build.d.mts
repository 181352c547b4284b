/** Types of build.mjs for the TypeScript tests and scripts that drive it. */
export declare const C_DIR: string
export declare const BUILD_DIR: string
export declare const STRICT: readonly string[]
export declare const ARM: readonly string[]
/** The library's text-size ceiling on Cortex-M3, in bytes (`npm run size` enforces it). */
export declare const LIBRARY_TEXT_CEILING: number
export declare function librarySources(): string[]
export declare function buildTests(cc: 'gcc' | 'clang'): Promise<{ unit: string; fuzz: string; echo: string }>
export declare function buildHostFirmware(cc?: 'gcc' | 'clang'): string
export declare function buildQemuFirmware(): string
export declare function armLibrarySize(): {
  text: number
  perFile: { file: string; text: number; data: number; bss: number }[]
}
/** The qemu-system-arm arguments that run `elf` with the given semihosting words (boot=N ...). */
export declare function qemuArgs(elf: string, words?: readonly string[]): string[]
