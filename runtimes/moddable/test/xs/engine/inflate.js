export { Inflate as default } from './zlib.js'
