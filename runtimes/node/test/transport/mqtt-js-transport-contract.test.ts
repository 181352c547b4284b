/** The transport contract on MQTT.js's transport, against Mosquitto over mutual TLS. */
import { describeTransportContract } from '@astarte-ts/runtime-testing'
import { MqttJsTransport } from '../../src/index.js'
import { mosquittoContractEnv } from './contract-env.js'

describeTransportContract('MQTT.js', () => mosquittoContractEnv(() => new MqttJsTransport()))
