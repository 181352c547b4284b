export { BsonType, MAX_DEPTH } from './model.js'
export type { BsonDocument, BsonValue } from './model.js'
export { decodeBson } from './decode.js'
export { encodeBson } from './encode.js'
