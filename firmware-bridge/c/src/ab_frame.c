#include "ab_frame.h"

#include "ab_cobs.h"
#include "ab_crc.h"

void ab_frame_rx_init(ab_frame_rx *rx, uint8_t *buf, size_t cap)
{
    rx->buf = buf;
    rx->cap = cap;
    rx->len = 0;
    rx->discarding = 0;
}

size_t ab_frame_rx_max(const ab_frame_rx *rx)
{
    /* the largest n with n + ceil(n / 254) <= cap */
    return rx->cap - (rx->cap + 254u) / 255u;
}

static int check(ab_frame_rx *rx, ab_frame_result *out)
{
    long n = ab_cobs_decode(rx->buf, rx->len, rx->buf);
    uint16_t crc;
    size_t len;
    if (n < 0) return AB_E_COBS;
    len = (size_t)n;
    if (len < AB_FRAME_MIN) return AB_E_SHORT;
    len -= 2;
    crc = (uint16_t)(rx->buf[len] << 8 | rx->buf[len + 1]);
    if (ab_crc16(AB_CRC16_INIT, rx->buf, len) != crc) return AB_E_CRC;
    out->frame = rx->buf;
    out->len = len;
    return AB_OK;
}

size_t ab_frame_rx_push(ab_frame_rx *rx, const uint8_t *data, size_t len, ab_frame_result *out)
{
    size_t i;
    for (i = 0; i < len; i++) {
        uint8_t b = data[i];
        if (b != 0) {
            if (rx->discarding) continue;
            if (rx->len == rx->cap) {
                rx->discarding = 1;
                rx->len = 0;
                out->status = AB_E_OVERFLOW;
                return i + 1;
            }
            rx->buf[rx->len++] = b;
            continue;
        }
        if (rx->discarding) {
            rx->discarding = 0;
            continue;
        }
        if (rx->len == 0) continue;
        out->status = check(rx, out);
        rx->len = 0;
        return i + 1;
    }
    out->status = AB_FRAME_MORE;
    return len;
}

size_t ab_frame_seal(uint8_t *frame, size_t len)
{
    uint16_t crc = ab_crc16(AB_CRC16_INIT, frame, len);
    frame[len] = (uint8_t)(crc >> 8);
    frame[len + 1] = (uint8_t)crc;
    return len + 2;
}

void ab_frame_write(ab_write_fn write, void *ctx, const uint8_t *frame, size_t len)
{
    static const uint8_t delimiter = 0;
    size_t at = 0;
    /*
     * One block per run of up to 254 non-zero bytes. A shorter run stands for the zero after it
     * (or the end); a full one implies no zero, so the encoding of a frame ending in a full run
     * or in a zero closes with an empty block, as ab_cobs_encode does.
     */
    for (;;) {
        size_t run = 0;
        uint8_t code;
        while (at + run < len && run < 254 && frame[at + run] != 0) run++;
        code = (uint8_t)(run + 1);
        write(ctx, &code, 1);
        if (run > 0) write(ctx, frame + at, run);
        at += run;
        if (run == 254) continue;
        if (at == len) break;
        at++;
    }
    write(ctx, &delimiter, 1);
}
