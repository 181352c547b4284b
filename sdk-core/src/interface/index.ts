/** @module interface: parse and validate Astarte interfaces (spec §1) and resolve paths. */
export { interfaceIssueCodes, type InterfaceIssueCode } from './codes.js'
export {
  endpointParameters,
  objectKey,
  resolveIndividualPath,
  resolveObjectPath,
} from './resolve.js'
