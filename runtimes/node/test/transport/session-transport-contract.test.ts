/**
 * The transport contract on sdk-core's `SessionTransport` over `node:tls` (the ESP32 runtimes'
 * code path), against Mosquitto over mutual TLS.
 */
import { describeTransportContract } from '@astarte-ts/runtime-testing'
import { sessionTransport } from '../../src/index.js'
import { mosquittoContractEnv } from './contract-env.js'

describeTransportContract('MqttSession over node:tls', () =>
  mosquittoContractEnv(() => sessionTransport()),
)
