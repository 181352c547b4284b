export { NodeCryptoProvider, nodeCryptoProvider } from './node-crypto-provider.js'
export { toPem } from './pem.js'
