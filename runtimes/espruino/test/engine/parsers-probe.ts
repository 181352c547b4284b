/**
 * The matchers that replaced regexes Espruino's RegExp can't run, and the Pairing client (which
 * reads a URL's port), as the entry of a probe bundle built by the Espruino build itself (same
 * swaps: sdk-core's date-time and broker-URL grammars become this runtime's readers, as in
 * `dist/astarte-espruino.js`): `test/real-espruino-parsers.manual.ts` runs it in a real Espruino
 * and in Node, `test/espruino-number.test.ts` under a model of Espruino's `Number`.
 */
export { parseBrokerUrl } from '../../../../sdk-core/src/pairing/broker-url.js'
export { isAbsoluteHttpUrl, isRealmSyntax } from '../../../../sdk-core/src/pairing/target.js'
export {
  isIntrospectionName,
  parseIntrospection,
} from '../../../../sdk-core/src/protocol/introspection.js'
export { parseLevel } from '../../../../sdk-core/src/interface/endpoint.js'
export { encodePublish } from '../../../../sdk-core/src/mqtt/encode.js'
export { parseDateTime } from '../../../../sdk-core/src/value/iso-date.js'
export { brokerUrlParts } from '../../src/broker-url-parts.js'
export { hasLineEnd, isSpaceCode } from '../../src/chars.js'
export { dateTimeParts } from '../../src/date-time-parts.js'
export { isTlsFailure, tlsFailure } from '../../src/handshake-errors.js'
export { espruinoHttpClient, urlParts } from '../../src/http.js'
export { isInt64, isInt64Syntax } from '../../src/int64.js'
