/** Spec §2.4 vectors as annotated bytes with their tagged documents (shared by bson/value tests). */
import type { BsonDocument, BsonValue } from '@astarte-ts/sdk-core'

const doc = (entries: [string, BsonValue][]): BsonDocument => new Map(entries)
const v = (value: BsonValue): BsonDocument => doc([['v', value]])
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0))

/** The §2.4 vectors: name, tagged document, annotated bytes. */
export const goldenVectors: [string, BsonDocument, number[]][] = [
  [
    '{"v": int32 10}',
    v({ type: 'int32', value: 10 }),
    [0x0c, 0x00, 0x00, 0x00 /* total length 12 */, 0x10 /* int32 */, 0x76, 0x00 /* "v" */,
      0x0a, 0x00, 0x00, 0x00 /* 10 */, 0x00 /* end */],
  ],
  [
    '{"v": true}',
    v({ type: 'boolean', value: true }),
    [0x09, 0x00, 0x00, 0x00 /* length 9 */, 0x08 /* boolean */, 0x76, 0x00 /* "v" */,
      0x01 /* true */, 0x00 /* end */],
  ],
  [
    '{"v": 16.73, "t": 1537449422890 ms}',
    doc([
      ['v', { type: 'double', value: 16.73 }],
      ['t', { type: 'datetime', value: 1537449422890n }],
    ]),
    [0x1b, 0x00, 0x00, 0x00 /* length 27 */, 0x01 /* double */, 0x76, 0x00 /* "v" */,
      0x7b, 0x14, 0xae, 0x47, 0xe1, 0xba, 0x30, 0x40 /* 16.73 */, 0x09 /* datetime */,
      0x74, 0x00 /* "t" */, 0x2a, 0x70, 0x20, 0xf7, 0x65, 0x01, 0x00, 0x00 /* ms */, 0x00 /* end */],
  ],
  [
    '{"v": int64 45543543534}',
    v({ type: 'int64', value: 45543543534n }),
    [0x10, 0x00, 0x00, 0x00 /* length 16 */, 0x12 /* int64 */, 0x76, 0x00 /* "v" */,
      0xee, 0x52, 0x9b, 0x9a, 0x0a, 0x00, 0x00, 0x00 /* 45543543534 */, 0x00 /* end */],
  ],
  [
    '{"v": "hi"}',
    v({ type: 'string', value: 'hi' }),
    [0x0f, 0x00, 0x00, 0x00 /* length 15 */, 0x02 /* string */, 0x76, 0x00 /* "v" */,
      0x03, 0x00, 0x00, 0x00 /* string length incl. NUL */, 0x68, 0x69, 0x00 /* "hi" */,
      0x00 /* end */],
  ],
  [
    '{"v": binary(0x00) "hello"}',
    v({ type: 'binary', value: ascii('hello'), subtype: 0 }),
    [0x12, 0x00, 0x00, 0x00 /* length 18 */, 0x05 /* binary */, 0x76, 0x00 /* "v" */,
      0x05, 0x00, 0x00, 0x00 /* 5 bytes */, 0x00 /* subtype generic */,
      0x68, 0x65, 0x6c, 0x6c, 0x6f /* "hello" */, 0x00 /* end */],
  ],
  [
    '{"v": [int32 1, int32 2]}',
    v({ type: 'array', value: [{ type: 'int32', value: 1 }, { type: 'int32', value: 2 }] }),
    [0x1b, 0x00, 0x00, 0x00 /* length 27 */, 0x04 /* array */, 0x76, 0x00 /* "v" */,
      0x13, 0x00, 0x00, 0x00 /* array length 19 */, 0x10, 0x30, 0x00 /* int32 "0" */,
      0x01, 0x00, 0x00, 0x00 /* 1 */, 0x10, 0x31, 0x00 /* int32 "1" */,
      0x02, 0x00, 0x00, 0x00 /* 2 */, 0x00 /* end array */, 0x00 /* end */],
  ],
  [
    '{"v": {"hum": 67.112, "temp": 25.3123}}',
    v({
      type: 'document',
      value: doc([
        ['hum', { type: 'double', value: 67.112 }],
        ['temp', { type: 'double', value: 25.3123 }],
      ]),
    }),
    [0x28, 0x00, 0x00, 0x00 /* length 40 */, 0x03 /* document */, 0x76, 0x00 /* "v" */,
      0x20, 0x00, 0x00, 0x00 /* inner length 32 */, 0x01 /* double */,
      0x68, 0x75, 0x6d, 0x00 /* "hum" */, 0xba, 0x49, 0x0c, 0x02, 0x2b, 0xc7, 0x50, 0x40 /* 67.112 */,
      0x01 /* double */, 0x74, 0x65, 0x6d, 0x70, 0x00 /* "temp" */,
      0x72, 0x8a, 0x8e, 0xe4, 0xf2, 0x4f, 0x39, 0x40 /* 25.3123 */, 0x00 /* end inner */,
      0x00 /* end */],
  ],
]
