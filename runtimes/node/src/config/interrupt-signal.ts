/** @module interrupt signal: an AbortSignal for SIGINT/SIGTERM, so CLI commands end cleanly. */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController()
  const onSignal = (): void => {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return controller.signal
}
