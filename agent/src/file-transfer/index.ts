/** @module file transfer: Edgehog's `fileTransfer.*` and `storage.*` interfaces (spec §9). */
export { fileTransferFeature, type FileTransferFeatureOptions } from './file-transfer-feature.js'
export { FILE_TRANSFER_INTERFACES, FILE_TRANSFER_TARGETS } from './interfaces.js'
