/** @module zlib: the Inflater port over node:zlib, for purge-properties payloads (spec §3.6). */
import { deflateSync, inflateSync } from 'node:zlib'
import type { Inflater } from '@astarte-ts/sdk-core'

export const nodeInflater = {
  inflate: (data, maxBytes) =>
    new Uint8Array(inflateSync(data, { maxOutputLength: Math.max(1, maxBytes) })),
  deflate: (data) => new Uint8Array(deflateSync(data)),
} satisfies Inflater
