/** @module file transfer: Edgehog's `fileTransfer.*` and `storage.*` interfaces (spec §9). */
export {
  FILE_TRANSFER_INTERFACES,
  FILE_TRANSFER_TARGETS,
  fileTransferFeature,
  type FileTransferFeatureOptions,
} from './file-transfer-feature.js'
