export { consoleLogger, type ConsoleLoggerOptions } from './console-logger.js'
export { redact } from './redact.js'
