/** @module interface: parse and validate Astarte interfaces (spec §1) and resolve paths. */
export { interfaceIssueCodes, type InterfaceIssueCode } from './codes.js'
export {
  compileInterface,
  loadCompiledInterface,
  type CompiledInterface,
  type CompiledMapping,
} from './compiled.js'
export { defineInterface } from './define-interface.js'
export { isValidInterfaceName } from './name.js'
export { endpointsOverlap } from './overlap.js'
export { parseInterface, parseInterfaceText } from './parse-interface.js'
export { astarteTypes } from './astarte-types.js'
export { checkSupportedInterface } from './supported.js'
export {
  endpointParameters,
  objectKey,
  resolveIndividualPath,
  resolveObjectPath,
} from './resolve.js'
export type {
  EndpointPath,
  InterfaceJson,
  InterfaceJsonMapping,
  InterfacePaths,
  InterfaceValue,
  IsDeviceOwned,
  ObjectPaths,
  ObjectValue,
  TypedInterface,
} from './typed.js'
