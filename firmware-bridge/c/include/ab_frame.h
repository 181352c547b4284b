/*
 * Frames on the wire (PROTOCOL.md §1): frame := type seq body? crc16be, sent as COBS(frame) 00.
 * The receiver is a streaming state machine over a caller buffer that resynchronises at every
 * 00; the sender streams the COBS encoding straight from the frame to the UART, so sending needs
 * no buffer of its own.
 */
#ifndef AB_FRAME_H
#define AB_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include "ab_status.h"

/* Writes all `len` bytes to the line (the caller's UART). */
typedef void (*ab_write_fn)(void *ctx, const uint8_t *data, size_t len);

/* type + seq + CRC */
#define AB_FRAME_MIN 4u
/* Receive buffer that holds an encoded frame of up to `max_frame` bytes (delimiter not stored). */
#define AB_RX_BUFFER_SIZE(max_frame) ((max_frame) + ((max_frame) + 253u) / 254u)

typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
    /* oversize: dropping bytes up to the next delimiter */
    uint8_t discarding;
} ab_frame_rx;

/* What ab_frame_rx_push found. */
typedef struct {
    /*
     * AB_OK: `frame`/`len` hold a frame (type, seq, body; the CRC checked and cut off), valid
     * until the next push. AB_E_OVERFLOW, AB_E_COBS, AB_E_SHORT, AB_E_CRC: a frame was dropped.
     * AB_FRAME_MORE: the input was used up without completing a frame.
     */
    int status;
    const uint8_t *frame;
    size_t len;
} ab_frame_result;

#define AB_FRAME_MORE 1

void ab_frame_rx_init(ab_frame_rx *rx, uint8_t *buf, size_t cap);
/* Largest frame (type to CRC) the buffer receives. */
size_t ab_frame_rx_max(const ab_frame_rx *rx);
/*
 * Consumes bytes up to and including the first delimiter that completes (or rejects) a frame and
 * returns how many it consumed; call again with the rest. Empty frames (00 00) are skipped.
 */
size_t ab_frame_rx_push(ab_frame_rx *rx, const uint8_t *data, size_t len, ab_frame_result *out);

/*
 * Appends the CRC to `frame[0..len)` (the buffer must have 2 more bytes) and returns the sealed
 * length.
 */
size_t ab_frame_seal(uint8_t *frame, size_t len);
/* Writes a sealed frame as COBS + 00 through `write`. */
void ab_frame_write(ab_write_fn write, void *ctx, const uint8_t *frame, size_t len);

#endif
