/** MQTT packets in the chunks the device writes (`XsDeviceOptions.onDeviceBytes`). */

/**
 * The packet types in a chunk the device wrote. Its writes are whole packets (the session
 * transport writes packet by packet; a chunk holds one or more), so the chunk is walked by each
 * fixed header's remaining length [MQTT-2.2.3].
 */
export function packetTypes(bytes: Buffer): number[] {
  const types: number[] = []
  let at = 0
  while (at < bytes.length) {
    types.push((bytes[at] ?? 0) >> 4)
    let length = 0
    let shift = 0
    let i = at + 1
    for (; i < bytes.length; i++) {
      const b = bytes[i] ?? 0
      length += (b & 0x7f) << shift
      shift += 7
      if ((b & 0x80) === 0) break
    }
    at = i + 1 + length
  }
  return types
}
