export { Deflate as default } from './zlib.js'
