/** @module interface: parse and validate Astarte interfaces (spec §1) and resolve paths. */
export { interfaceIssueCodes, type InterfaceIssueCode } from './codes.js'
export { isValidInterfaceName } from './name.js'
export { endpointsOverlap } from './overlap.js'
export { parseInterface, parseInterfaceText } from './parse-interface.js'
export {
  endpointParameters,
  objectKey,
  resolveIndividualPath,
  resolveObjectPath,
} from './resolve.js'
