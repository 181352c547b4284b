#include "ab_cobs.h"

size_t ab_cobs_encode(const uint8_t *src, size_t len, uint8_t *dst, size_t cap)
{
    size_t in = 0;
    size_t out = 1;
    size_t code_at = 0;
    uint8_t code = 1;

    if (cap == 0) return 0;
    while (in < len) {
        if (src[in] == 0) {
            dst[code_at] = code;
            code_at = out++;
            code = 1;
        } else {
            if (out >= cap) return 0;
            dst[out++] = src[in];
            if (++code == 0xFF) {
                dst[code_at] = code;
                code_at = out++;
                code = 1;
            }
        }
        in++;
        if (out > cap) return 0;
    }
    dst[code_at] = code;
    return out;
}

long ab_cobs_decode(const uint8_t *src, size_t len, uint8_t *dst)
{
    size_t in = 0;
    size_t out = 0;

    while (in < len) {
        uint8_t code = src[in++];
        size_t run;
        if (code == 0 || (size_t)code - 1u > len - in) return -1;
        for (run = (size_t)code - 1u; run > 0; run--) {
            if (src[in] == 0) return -1;
            dst[out++] = src[in++];
        }
        /* a block shorter than 254 data bytes stands for a zero, unless it ends the frame */
        if (code != 0xFF && in < len) dst[out++] = 0;
    }
    return (long)out;
}
