export { fetchHttpClient, nodeHttpClient, type NodeHttpClientOptions } from './node-http-client.js'
