export { nodeInflater } from './node-inflater.js'
