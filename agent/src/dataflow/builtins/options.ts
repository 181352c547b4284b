/**
 * @module processor options: reading a processor's options with the name of what is wrong.
 * Unknown options are errors, as in the configuration: a misspelt `ofset` never silently falls
 * back to a default.
 */
import { SdkError } from '@astarte-ts/sdk-core'
import type { ProcessorOptions } from '../processor.js'

/** Reads `options` for processor `processor`; `done()` refuses the keys nobody read. */
export class OptionReader {
  readonly #seen = new Set<string>()
  constructor(
    readonly processor: string,
    readonly options: ProcessorOptions,
  ) {}

  number(key: string, fallback?: number): number {
    const v = this.#get(key)
    if (v === undefined && fallback !== undefined) return fallback
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw this.problem(key, 'must be a finite number')
    return v
  }

  optionalNumber(key: string): number | undefined {
    return this.#get(key) === undefined ? undefined : this.number(key)
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.#get(key)
    if (v === undefined) return fallback
    if (typeof v !== 'boolean') throw this.problem(key, 'must be true or false')
    return v
  }

  optionalString(key: string): string | undefined {
    const v = this.#get(key)
    if (v === undefined) return undefined
    if (typeof v !== 'string' || v === '') throw this.problem(key, 'must be a non-empty string')
    return v
  }

  done(): void {
    for (const key of Object.keys(this.options)) {
      if (!this.#seen.has(key)) throw this.problem(key, 'is not an option of this processor')
    }
  }

  problem(key: string, why: string): SdkError {
    return new SdkError(
      'local.invalid_config',
      `couldn't configure ${this.processor}: ${key} ${why}`,
      {
        ctx: { processor: this.processor, option: key },
      },
    )
  }

  #get(key: string): unknown {
    this.#seen.add(key)
    return Object.hasOwn(this.options, key) ? this.options[key] : undefined
  }
}
