/**
 * @module bson pool: small byte arrays carved from shared 8 KiB slabs, as Node's Buffer pool
 * does. A fresh ArrayBuffer per value costs more than encoding it (V8 gives each array over 64
 * bytes a backing store of its own, which the collector must then track and free), so encoders
 * of short-lived bytes take them from here. A region is handed out once and never reused; a slab
 * lives as long as any view of it: a payload in flight pins its slab until its ack (at most
 * `maxInflight` of them), stores that keep payloads copy them (the ESP32 runtimes' do), and an
 * MQTT packet kept until its ack is allocated alone. A view's `.buffer` is the whole slab: use
 * `byteOffset`/`byteLength`.
 */
const SLAB_SIZE = 8192
const POOLED_MAX = 1024
let slab = new ArrayBuffer(SLAB_SIZE)
let slabOffset = 0

/** `size` zeroed bytes, from the current slab when small. */
export function pooledBytes(size: number): Uint8Array {
  if (size > POOLED_MAX) return new Uint8Array(size)
  if (slabOffset + size > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE)
    slabOffset = 0
  }
  const out = new Uint8Array(slab, slabOffset, size)
  // 8-byte alignment, so that callers may view the bytes through other typed arrays
  slabOffset += (size + 7) & ~7
  return out
}
