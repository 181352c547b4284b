/*
 * Consistent Overhead Byte Stuffing (Cheshire & Baker, 1999): rewrites a buffer so that it holds
 * no 0x00, at a cost of one byte per 254 plus one, so that 0x00 can delimit frames on the line
 * and a receiver resynchronises at the next 0x00 whatever garbage came before.
 */
#ifndef AB_COBS_H
#define AB_COBS_H

#include <stddef.h>
#include <stdint.h>

/* Largest encoding of `n` bytes (delimiter not included). */
#define AB_COBS_MAX_ENCODED(n) ((n) + (n) / 254u + 1u)

/*
 * Encodes `len` bytes of `src` into `dst` (no delimiter appended). Returns the encoded length,
 * or 0 when `cap` is too small (an encoding is never empty). `src` and `dst` must not overlap.
 */
size_t ab_cobs_encode(const uint8_t *src, size_t len, uint8_t *dst, size_t cap);

/*
 * Decodes `len` bytes (one frame without its delimiter) into `dst`, which may be `src` itself
 * (decoding in place never overtakes the input). Returns the decoded length, or -1 when the input
 * is not a COBS encoding (a zero byte, or a block running past the end).
 */
long ab_cobs_decode(const uint8_t *src, size_t len, uint8_t *dst);

#endif
