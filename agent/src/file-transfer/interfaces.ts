/** @module file transfer interfaces: the names the feature owns and the targets it handles. */
import { EDGEHOG } from '../device-info/edgehog-interfaces.js'

/** The interfaces of the feature. */
export const FILE_TRANSFER_INTERFACES = {
  capabilities: `${EDGEHOG}fileTransfer.Capabilities`,
  serverToDevice: `${EDGEHOG}fileTransfer.ServerToDevice`,
  deviceToServer: `${EDGEHOG}fileTransfer.DeviceToServer`,
  progress: `${EDGEHOG}fileTransfer.Progress`,
  response: `${EDGEHOG}fileTransfer.Response`,
  storageFile: `${EDGEHOG}storage.File`,
  deleteFile: `${EDGEHOG}storage.DeleteFile`,
  storageResponse: `${EDGEHOG}storage.Response`,
} as const

/** The targets this agent handles, both directions (`streaming` needs a local service). */
export const FILE_TRANSFER_TARGETS = ['storage', 'filesystem'] as const
