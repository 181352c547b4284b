/** Thrown by a command for bad flags or arguments; the dispatcher prints it and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}
