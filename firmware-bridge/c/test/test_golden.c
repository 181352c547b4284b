/*
 * The golden frames of vectors/ (generated into vectors.h), byte for byte: the codec both ways,
 * the bad frames, and the example board's session, whose frames must come out exactly as the
 * vectors have them and whose incoming vectors must have the documented effect.
 */
#include <stdlib.h>
#include <string.h>

#include "ab_cobs.h"
#include "ab_crc.h"
#include "check.h"
#include "fake.h"
#include "tests.h"
#include "vectors.h"

static const golden_frame *golden(const char *name)
{
    size_t i;
    for (i = 0; i < GOLDEN_COUNT(golden_frames); i++) {
        if (strcmp(golden_frames[i].name, name) == 0) return &golden_frames[i];
    }
    fprintf(stderr, "no golden frame %s\n", name);
    abort();
}

const uint8_t *golden_wire(const char *name, size_t *len)
{
    *len = golden(name)->wire_len;
    return golden(name)->wire;
}

const uint8_t *golden_frame_bytes(const char *name, size_t *len)
{
    *len = golden(name)->frame_len;
    return golden(name)->frame;
}

static void collect(void *ctx, const uint8_t *data, size_t len)
{
    fake_write(ctx, data, len);
}

void test_golden_codec(void)
{
    static uint8_t rxbuf[AB_RX_BUFFER_SIZE(1024)];
    static fake_io io;
    uint8_t buf[1200];
    size_t i;
    for (i = 0; i < GOLDEN_COUNT(golden_cobs_cases); i++) {
        const golden_cobs *c = &golden_cobs_cases[i];
        size_t n = ab_cobs_encode(c->raw, c->raw_len, buf, sizeof buf);
        long m;
        CHECK_BYTES(buf, n, c->encoded, c->encoded_len);
        m = ab_cobs_decode(c->encoded, c->encoded_len, buf);
        CHECK_BYTES(buf, m < 0 ? 0 : (size_t)m, c->raw, c->raw_len);
        /* the streaming writer COBS-encodes exactly the same way */
        io.out_len = 0;
        ab_frame_write(collect, &io, c->raw, c->raw_len);
        CHECK_BYTES(io.out, io.out_len - 1, c->encoded, c->encoded_len);
    }
    for (i = 0; i < GOLDEN_COUNT(golden_crc_cases); i++) {
        const golden_crc *c = &golden_crc_cases[i];
        CHECK_EQ_INT(ab_crc16(AB_CRC16_INIT, (const uint8_t *)c->ascii, strlen(c->ascii)), c->crc);
    }
    for (i = 0; i < GOLDEN_COUNT(golden_frames); i++) {
        const golden_frame *g = &golden_frames[i];
        ab_frame_rx rx;
        ab_frame_result r;
        ab_cbor_reader body;
        size_t used;
        size_t k;
        /* frame -> wire */
        memcpy(buf, g->frame, g->frame_len - 2);
        CHECK_EQ_INT(ab_frame_seal(buf, g->frame_len - 2), g->frame_len);
        CHECK_BYTES(buf, g->frame_len, g->frame, g->frame_len);
        io.out_len = 0;
        ab_frame_write(collect, &io, g->frame, g->frame_len);
        CHECK_BYTES(io.out, io.out_len, g->wire, g->wire_len);
        /* wire -> frame, at once */
        ab_frame_rx_init(&rx, rxbuf, sizeof rxbuf);
        used = ab_frame_rx_push(&rx, g->wire, g->wire_len, &r);
        CHECK_EQ_INT(used, g->wire_len);
        CHECK_EQ_INT(r.status, AB_OK);
        if (r.status == AB_OK) CHECK_BYTES(r.frame, r.len, g->frame, g->frame_len - 2);
        /* ... then one byte at a time: only the delimiter completes it */
        for (k = 0; k < g->wire_len; k++) {
            ab_frame_rx_push(&rx, g->wire + k, 1, &r);
            CHECK_EQ_INT(r.status, k + 1 == g->wire_len ? AB_OK : AB_FRAME_MORE);
        }
        if (r.status == AB_OK) CHECK_BYTES(r.frame, r.len, g->frame, g->frame_len - 2);
        /* the body is one well-formed item, or nothing */
        if (g->frame_len > 4) {
            ab_cbor_reader_init(&body, g->frame + 2, g->frame_len - 4);
            CHECK_EQ_INT(ab_cbor_skip(&body), AB_OK);
            CHECK(body.p == body.end);
        }
    }
}

void test_golden_bad_frames(void)
{
    static uint8_t rxbuf[AB_RX_BUFFER_SIZE(1024)];
    size_t i;
    for (i = 0; i < GOLDEN_COUNT(golden_bad_frames); i++) {
        const golden_bad *g = &golden_bad_frames[i];
        static fake_board b;
        fake_frame out[4];
        ab_frame_rx rx;
        ab_frame_result r;
        int want;
        ab_frame_rx_init(&rx, rxbuf, sizeof rxbuf);
        ab_frame_rx_push(&rx, g->wire, g->wire_len, &r);
        if (strcmp(g->error, "bad_crc") == 0) want = AB_E_CRC;
        else if (strcmp(g->error, "short") == 0) want = AB_E_SHORT;
        else if (strcmp(g->error, "bad_cobs") == 0) want = AB_E_COBS;
        else if (strcmp(g->error, "oversize") == 0) want = AB_E_OVERFLOW;
        else want = AB_OK; /* the frame layer passes it; the message layer judges */
        CHECK_EQ_INT(r.status, want);

        /* a connected device drops the frame, answers at most UNKNOWN_TYPE, and stays in sync */
        fake_board_init(&b);
        fake_board_connect(&b);
        fake_feed(&b, g->wire, g->wire_len);
        if (strcmp(g->error, "bad_cbor") == 0) {
            CHECK_EQ_INT(b.dev.stats.malformed, 1);
            CHECK_EQ_INT(fake_take(&b.io, out, 4), 0);
        } else if (want == AB_OK) {
            /* bad_shape (a SEND) and unknown_type: neither is a message the MCU takes */
            CHECK_EQ_INT(fake_take(&b.io, out, 4), 1);
            CHECK_EQ_INT(out[0].bytes[0], 0x04);
            CHECK_EQ_INT(out[0].bytes[1], r.frame[1]);
            CHECK_EQ_INT(out[0].bytes[3], AB_NACK_UNKNOWN_TYPE);
        } else {
            CHECK_EQ_INT(b.dev.stats.bad_frames + b.dev.stats.oversize, 1);
            CHECK_EQ_INT(fake_take(&b.io, out, 4), 0);
        }
        {
            size_t len;
            const uint8_t *ping = golden_wire("ping", &len);
            fake_feed(&b, ping, len);
            CHECK_EQ_INT(fake_take(&b.io, out, 4), 1);
            CHECK_EQ_INT(out[0].bytes[0], 0x06);
        }
    }
}

/* What the device wrote since the last check is exactly the golden frame `name`'s wire. */
static void check_wrote(fake_board *b, const char *name)
{
    const golden_frame *g = golden(name);
    CHECK_BYTES(b->io.out, b->io.out_len, g->wire, g->wire_len);
    if (b->io.out_len != g->wire_len || memcmp(b->io.out, g->wire, g->wire_len) != 0) {
        fprintf(stderr, "  (golden frame %s)\n", name);
    }
    b->io.out_len = 0;
}

static void feed_golden(fake_board *b, const char *name)
{
    const golden_frame *g = golden(name);
    fake_feed(b, g->wire, g->wire_len);
}

void test_golden_session(void)
{
    static fake_board b;
    static const int64_t T = 1796605200000LL;
    static const double batch[] = {21.53, 21.54, 21.56, 21.55, 21.57, 21.6, 21.58, 21.61};
    static const char *const lab[] = {"lab"};
    ab_value v;
    ab_value air[2];
    fake_frame out[4];
    int i;

    fake_board_init(&b);
    CHECK_EQ_INT(ab_send(&b.dev, &b.map[M_TEMPERATURE], NULL, &v, T), AB_E_STATE);
    /* after boot: a lone delimiter flushes the host's receiver, then HELLO */
    ab_poll(&b.dev);
    CHECK(b.io.out_len > 0 && b.io.out[0] == 0);
    memmove(b.io.out, b.io.out + 1, --b.io.out_len);
    check_wrote(&b, "hello");
    /* unanswered, HELLO is repeated each second with the same token */
    b.io.now += 999;
    ab_poll(&b.dev);
    CHECK_EQ_INT(b.io.out_len, 0);
    b.io.now += 1;
    ab_poll(&b.dev);
    check_wrote(&b, "hello");

    feed_golden(&b, "hello_ack");
    CHECK(ab_ready(&b.dev));
    CHECK_EQ_INT(b.events[AB_EV_READY], 1);
    CHECK(strcmp(ab_device_id(&b.dev), "Jb4d3eD9Si2NbXxWtqW-7g") == 0);
    CHECK_EQ_INT(ab_now(&b.dev), T);
    CHECK_EQ_INT(b.map[M_TEMPERATURE].index, 0);
    CHECK_EQ_INT(b.map[M_UPTIME].type, AB_T_LONGINTEGER);
    CHECK_EQ_INT(b.map[M_SETPOINT].index, 4);
    CHECK_EQ_INT(b.map[M_AIR].index, 5);
    CHECK_EQ_INT(b.map[M_AIR].type, AB_T_OBJECT);
    CHECK_EQ_INT(b.map[M_AIR].field_index[1], 1);
    CHECK_EQ_INT(b.io.out_len, 0);

    v = ab_double(21.53);
    CHECK_EQ_INT(ab_send(&b.dev, &b.map[M_TEMPERATURE], NULL, &v, T + 250), AB_OK);
    /* the batch waits for more until batch_ms */
    CHECK_EQ_INT(b.io.out_len, 0);
    b.io.now += 100;
    ab_poll(&b.dev);
    check_wrote(&b, "send_one");

    /* eight samples fill a batch, which goes out at once */
    for (i = 0; i < 8; i++) {
        v = ab_double(batch[i]);
        CHECK_EQ_INT(ab_send(&b.dev, &b.map[M_TEMPERATURE], NULL, &v, T + 1000 + 100 * i), AB_OK);
    }
    check_wrote(&b, "send_batch8");

    v = ab_longinteger(86400000);
    CHECK_EQ_INT(ab_send(&b.dev, &b.map[M_UPTIME], NULL, &v, AB_TS_NONE), AB_OK);
    ab_flush(&b.dev);
    check_wrote(&b, "send_no_timestamp");

    air[0] = ab_double(22.5);
    air[1] = ab_double(41.25);
    CHECK_EQ_INT(ab_send_object(&b.dev, &b.map[M_AIR], lab, air, T + 2000), AB_OK);
    ab_flush(&b.dev);
    check_wrote(&b, "send_object");

    /* the window (4) is full: a SET waits in its slot */
    CHECK_EQ_INT(ab_pending(&b.dev), 4);
    v = ab_string("sensor 1.0.0");
    CHECK_EQ_INT(ab_set(&b.dev, &b.map[M_FIRMWARE], NULL, &v), AB_OK);
    CHECK_EQ_INT(b.io.out_len, 0);
    /* ACK 3 acknowledges 0 to 3 at once; the SET goes out */
    feed_golden(&b, "ack");
    CHECK_EQ_INT(ab_pending(&b.dev), 1);
    check_wrote(&b, "set");
    CHECK_EQ_INT(ab_unset(&b.dev, &b.map[M_PERIOD], NULL), AB_OK);
    check_wrote(&b, "unset");

    /* server data: handed over, acknowledged */
    feed_golden(&b, "server_data");
    CHECK_EQ_INT(b.data_calls, 1);
    CHECK(b.last_data.mapping == &b.map[M_SETPOINT]);
    CHECK(!b.last_data.unset);
    CHECK(b.last_double == 19.5);
    CHECK_EQ_INT(fake_take(&b.io, out, 4), 1);
    CHECK_EQ_INT(out[0].len, 2);
    CHECK(out[0].bytes[0] == 0x03 && out[0].bytes[1] == 0);
    feed_golden(&b, "server_unset");
    CHECK_EQ_INT(b.data_calls, 2);
    CHECK(b.last_data.unset);
    CHECK_EQ_INT(fake_take(&b.io, out, 4), 1);
    CHECK(out[0].bytes[0] == 0x03 && out[0].bytes[1] == 1);
    /* the same SERVER_DATA again (its ACK was lost): acknowledged, not handed over twice */
    feed_golden(&b, "server_unset");
    CHECK_EQ_INT(b.data_calls, 2);
    CHECK_EQ_INT(fake_take(&b.io, out, 4), 1);
    CHECK(out[0].bytes[0] == 0x03 && out[0].bytes[1] == 1);

    feed_golden(&b, "ping");
    check_wrote(&b, "pong");
    ab_request_time(&b.dev);
    check_wrote(&b, "time_request");
    feed_golden(&b, "time");
    CHECK_EQ_INT(ab_now(&b.dev), 1796605800000LL);
    b.io.now += 1500;
    CHECK_EQ_INT(ab_now(&b.dev), 1796605801500LL);
    v = ab_double(1.5);
    CHECK_EQ_INT(ab_send(&b.dev, &b.map[M_SETPOINT], NULL, &v, AB_TS_NOW), AB_OK);
}

void test_golden_refusals(void)
{
    static fake_board b;
    fake_frame out[4];
    size_t len;
    ab_value v;
    int i;

    /* HELLO refused for an unknown interface: the library stops and stays silent */
    fake_board_init(&b);
    ab_poll(&b.dev);
    b.io.out_len = 0;
    feed_golden(&b, "nack_unknown_interface");
    CHECK_EQ_INT(b.events[AB_EV_STOPPED], 1);
    CHECK_EQ_INT(b.last_event.reason, AB_NACK_UNKNOWN_INTERFACE);
    b.io.now += 5000;
    ab_poll(&b.dev);
    CHECK_EQ_INT(b.io.out_len, 0);

    /* a SEND refused for good (seq 6, sample 0, TYPE_MISMATCH): dropped and reported */
    fake_board_init(&b);
    fake_board_connect(&b);
    b.dev.oldest = 6; /* as if frames 0-5 had come and gone */
    v = ab_double(20.0);
    CHECK_EQ_INT(ab_send(&b.dev, &b.map[M_TEMPERATURE], NULL, &v, 1796605200000LL), AB_OK);
    ab_flush(&b.dev);
    CHECK_EQ_INT(fake_take(&b.io, out, 4), 1);
    CHECK_EQ_INT(out[0].bytes[1], 6);
    feed_golden(&b, "nack_type");
    CHECK_EQ_INT(b.events[AB_EV_REFUSED], 1);
    CHECK_EQ_INT(b.last_event.seq, 6);
    CHECK_EQ_INT(b.last_event.reason, AB_NACK_TYPE_MISMATCH);
    CHECK_EQ_INT(b.last_event.sample, 0);
    CHECK(b.last_event.detail_len == 15 && memcmp(b.last_event.detail, "expected double", 15) == 0);
    CHECK_EQ_INT(ab_pending(&b.dev), 0);

    /* NO_SESSION (the host restarted): HELLO again with a new token, nothing dropped; the frame
       goes out again once the new session says the host expects it */
    for (i = 0; i < 4; i++) {
        v = ab_double(20.0 + i);
        CHECK_EQ_INT(ab_send(&b.dev, &b.map[M_TEMPERATURE], NULL, &v, AB_TS_NONE), AB_OK);
    }
    ab_flush(&b.dev);
    CHECK_EQ_INT(fake_take(&b.io, out, 4), 1);
    CHECK_EQ_INT(out[0].bytes[1], 7);
    b.dev.oldest = 9; /* renumber for the golden NACK of seq 9 */
    feed_golden(&b, "nack_no_session");
    CHECK(!ab_ready(&b.dev));
    CHECK_EQ_INT(ab_pending(&b.dev), 1);
    CHECK_EQ_INT(fake_take(&b.io, out, 4), 1);
    CHECK_EQ_INT(out[0].bytes[0], 0x01);
    CHECK_EQ_INT(out[0].bytes[1], 2);
    (void)len;
}
