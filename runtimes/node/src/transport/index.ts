export { classifyConnectError, type ConnectFailureContext } from './classify-connect-error.js'
export { MqttJsTransport, type MqttJsTransportOptions } from './mqtt-js-transport.js'
export { RollingMessageIdProvider, type IdCursor } from './rolling-message-id-provider.js'
export {
  sessionTransport,
  tlsByteStreamConnector,
  type SessionTransportNodeOptions,
} from './tls-byte-stream.js'
