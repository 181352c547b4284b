/** @module flow notation errors: one typed error naming where the text went wrong and what would have fit. */
import { SdkError } from '@astarte-ts/sdk-core'
import type { Position } from './ast.js'

/**
 * A flow text that doesn't parse (`local.flow_syntax`), or names something that doesn't
 * resolve (`local.flow_reference`: an unknown processor or endpoint, a path its interface
 * lacks). `expected` lists what would have been accepted at `position`; `found` is what was
 * there (`end of input` at the end).
 */
export class FlowSyntaxError extends SdkError {
  readonly position: Position
  readonly expected: readonly string[]
  readonly found: string

  constructor(
    code: 'local.flow_syntax' | 'local.flow_reference',
    position: Position,
    expected: readonly string[],
    found: string,
    why?: string,
  ) {
    const where = `line ${position.line}, column ${position.column}`
    const wanted =
      expected.length === 0 ? '' : `: expected ${expected.join(' or ')}, found ${found}`
    super(
      code,
      `couldn't read the flow at ${where}${wanted}${why === undefined ? '' : ` (${why})`}`,
      {
        ctx: { ...position, expected, found },
      },
    )
    this.position = position
    this.expected = expected
    this.found = found
  }
}
