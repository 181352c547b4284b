/* A fake line and clock for driving an ab_device in tests, and the example board's mappings. */
#ifndef FAKE_H
#define FAKE_H

#include <stddef.h>
#include <stdint.h>

#include "astarte_bridge.h"

typedef struct {
    uint8_t out[16384];
    size_t out_len;
    uint32_t now;
} fake_io;

/* A frame read back from what the device wrote: type, seq, body (CRC checked and removed). */
typedef struct {
    uint8_t bytes[1100];
    size_t len;
} fake_frame;

void fake_write(void *ctx, const uint8_t *data, size_t len);
uint32_t fake_millis(void *ctx);
/* Decodes and clears what the device wrote; returns the number of frames (all must be valid). */
size_t fake_take(fake_io *io, fake_frame *frames, size_t max);

/* The example sensor board: buffers, interfaces, mappings, as in vectors/frames.json. */
typedef struct {
    fake_io io;
    ab_device dev;
    ab_config cfg;
    uint8_t rx[AB_RX_BUFFER_SIZE(256)];
    uint8_t hello[256];
    uint8_t slots[5 * 128];
    ab_mapping map[6];
    /* what the callbacks saw */
    ab_server_data last_data;
    double last_double;
    int data_calls;
    int data_answer;
    ab_event last_event;
    int events[8];
} fake_board;

enum { M_TEMPERATURE, M_UPTIME, M_FIRMWARE, M_PERIOD, M_SETPOINT, M_AIR };

/* Configures `b` (boot counter 7, identity mps2-0001, window 2) and initialises its device. */
void fake_board_init(fake_board *b);
/* Feeds `len` bytes at once. */
void fake_feed(fake_board *b, const uint8_t *data, size_t len);
/* Feeds a frame (type, seq, body) sealed and COBS-encoded as the host would. */
void fake_feed_frame(fake_board *b, const uint8_t *frame, size_t len);
/* Polls, then takes the HELLO and answers with the golden HELLO_ACK: the session is up. */
void fake_board_connect(fake_board *b);

#endif
