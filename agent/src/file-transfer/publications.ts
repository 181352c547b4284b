/**
 * @module file transfer publications: the device-owned properties of the feature, the
 * capabilities it advertises and the `storage.File` entry of each stored file.
 */
import type { AstarteDevice } from '@astarte-ts/sdk-core'
import type { FileStore } from './file-store.js'
import { FILE_TRANSFER_INTERFACES, FILE_TRANSFER_TARGETS } from './interfaces.js'

/** `fileTransfer.Capabilities`: unix permissions, the targets both ways, no encodings. */
export async function publishCapabilities(device: AstarteDevice): Promise<void> {
  const iface = FILE_TRANSFER_INTERFACES.capabilities
  await device.setProperty(iface, '/transfer/unixPermissions', true)
  for (const direction of ['serverToDevice', 'deviceToServer'] as const) {
    await device.setProperty(iface, `/transfer/${direction}/targets`, [...FILE_TRANSFER_TARGETS])
    for (const target of FILE_TRANSFER_TARGETS) {
      await device.setProperty(iface, `/${direction}/${target}/encodings`, [])
    }
  }
}

/** `storage.File /<id>/pathOnDevice` and `/<id>/sizeBytes` of a stored file. */
export async function publishStored(
  device: AstarteDevice,
  files: FileStore,
  fileId: string,
): Promise<void> {
  const size = (await files.sizeOf(fileId)) ?? 0
  const iface = FILE_TRANSFER_INTERFACES.storageFile
  await device.setProperty(iface, `/${fileId}/pathOnDevice`, files.pathOf(fileId))
  await device.setProperty(iface, `/${fileId}/sizeBytes`, size)
}

/** Unsets the `storage.File` entry of a file that is gone. */
export async function unpublishStored(device: AstarteDevice, fileId: string): Promise<void> {
  const iface = FILE_TRANSFER_INTERFACES.storageFile
  for (const leaf of ['pathOnDevice', 'sizeBytes']) {
    const path = `/${fileId}/${leaf}`
    if (device.getProperty(iface, path) !== undefined) await device.unsetProperty(iface, path)
  }
}
