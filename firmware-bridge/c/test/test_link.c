/*
 * The link layer of a connected device, driven with a fake line and clock: retransmission and
 * its doubling timeout, the window, resuming after a new session, resynchronisation after
 * garbage, server data in order and once, keep-alive, and the errors the API gives.
 */
#include <string.h>

#include "check.h"
#include "fake.h"
#include "tests.h"

static fake_frame out[8];

static size_t take(fake_board *b)
{
    return fake_take(&b->io, out, 8);
}

static void tick(fake_board *b, uint32_t ms)
{
    b->io.now += ms;
    ab_poll(&b->dev);
}

static ab_status set_period(fake_board *b, int32_t v)
{
    ab_value value = ab_integer(v);
    return ab_set(&b->dev, &b->map[M_PERIOD], NULL, &value);
}

/* The golden HELLO_ACK with another token and sequence numbers (keys 7 and 8, one byte each). */
static void answer_hello(fake_board *b, uint8_t token, uint8_t host_next, uint8_t host_expects)
{
    static const uint8_t tail[] = {0x07, 0x00, 0x08, 0x00, 0x0a, 0x04};
    uint8_t f[200];
    size_t len;
    const uint8_t *golden = golden_frame_bytes("hello_ack", &len);
    len -= 2; /* the CRC: fake_feed_frame seals again */
    memcpy(f, golden, len);
    CHECK(memcmp(f + len - sizeof tail, tail, sizeof tail) == 0);
    f[1] = token;
    f[len - 5] = host_next;
    f[len - 3] = host_expects;
    fake_feed_frame(b, f, len);
}

static void test_retransmission(void)
{
    static fake_board b;
    static const uint32_t waits[] = {500, 1000, 2000, 4000, 4000, 4000, 4000, 4000};
    size_t i;
    fake_board_init(&b);
    fake_board_connect(&b);
    CHECK_EQ_INT(set_period(&b, 1000), AB_OK);
    CHECK_EQ_INT(take(&b), 1);
    /* unacknowledged: the same frame again after 500 ms, then doubling up to 4 s (the host
       answers something meanwhile, so that silence does not end the link first) */
    for (i = 0; i < sizeof waits / sizeof waits[0]; i++) {
        static const uint8_t pong[] = {0x06, 0x00};
        fake_feed_frame(&b, pong, sizeof pong);
        tick(&b, waits[i] - 1);
        CHECK_EQ_INT(take(&b), 0);
        tick(&b, 1);
        CHECK_EQ_INT(take(&b), 1);
        CHECK(out[0].bytes[0] == 0x11 && out[0].bytes[1] == 0);
    }
    CHECK_EQ_INT(b.dev.stats.retransmissions, 8);
    /* eight rounds unanswered: the link is lost, HELLO again (new token), the frame kept */
    {
        static const uint8_t pong[] = {0x06, 0x00};
        fake_feed_frame(&b, pong, sizeof pong);
    }
    tick(&b, 4000);
    CHECK_EQ_INT(b.events[AB_EV_LINK_LOST], 1);
    CHECK(!ab_ready(&b.dev));
    CHECK_EQ_INT(take(&b), 1);
    CHECK(out[0].bytes[0] == 0x01 && out[0].bytes[1] == 2);
    CHECK_EQ_INT(ab_pending(&b.dev), 1);
    /* the host already had it (only the ACK was lost): the new session drops it */
    answer_hello(&b, 2, 0, 1);
    CHECK(ab_ready(&b.dev));
    CHECK_EQ_INT(ab_pending(&b.dev), 0);
    CHECK_EQ_INT(take(&b), 0);
}

static void test_window_and_resume(void)
{
    static fake_board b;
    int i;
    fake_board_init(&b);
    fake_board_connect(&b);
    /* five slots, window 4: four frames on the line, the fifth waits; a sixth is refused */
    for (i = 0; i < 5; i++) CHECK_EQ_INT(set_period(&b, i), AB_OK);
    CHECK_EQ_INT(set_period(&b, 5), AB_E_BUSY);
    CHECK_EQ_INT(take(&b), 4);
    CHECK_EQ_INT(out[3].bytes[1], 3);
    /* ACK 1 (cumulative) frees two slots and lets the fifth out */
    {
        static const uint8_t ack1[] = {0x03, 0x01};
        fake_feed_frame(&b, ack1, sizeof ack1);
    }
    CHECK_EQ_INT(take(&b), 1);
    CHECK_EQ_INT(out[0].bytes[1], 4);
    CHECK_EQ_INT(ab_pending(&b.dev), 3);
    /* the host restarts: NO_SESSION; HELLO says frames from 2 on are unacknowledged */
    {
        static const uint8_t nack[] = {0x04, 0x02, 0x81, 0x03};
        fake_feed_frame(&b, nack, sizeof nack);
    }
    CHECK_EQ_INT(take(&b), 1);
    CHECK(out[0].bytes[0] == 0x01 && out[0].bytes[1] == 2);
    CHECK(memcmp(out[0].bytes + out[0].len - 4, "\x07\x02\x08\x00", 4) == 0);
    /* the new host process got frame 2 before dying: it expects 3; 3 and 4 go out again */
    answer_hello(&b, 2, 0, 3);
    CHECK_EQ_INT(take(&b), 2);
    CHECK(out[0].bytes[1] == 3 && out[1].bytes[1] == 4);
    CHECK_EQ_INT(ab_pending(&b.dev), 2);
    /* a host that lost everything expects 9: the queue is renumbered from it */
    {
        static const uint8_t nack[] = {0x04, 0x03, 0x81, 0x03};
        fake_feed_frame(&b, nack, sizeof nack);
    }
    take(&b);
    answer_hello(&b, 3, 0, 9);
    CHECK_EQ_INT(take(&b), 2);
    CHECK(out[0].bytes[1] == 9 && out[1].bytes[1] == 10);
    CHECK_EQ_INT(set_period(&b, 7), AB_OK);
    CHECK_EQ_INT(take(&b), 1);
    CHECK_EQ_INT(out[0].bytes[1], 11);
}

static void test_busy_and_refused(void)
{
    static fake_board b;
    fake_board_init(&b);
    fake_board_connect(&b);
    CHECK_EQ_INT(set_period(&b, 1), AB_OK);
    CHECK_EQ_INT(set_period(&b, 2), AB_OK);
    CHECK_EQ_INT(take(&b), 2);
    /* BUSY for frame 1: frame 0 counts as delivered, frame 1 goes again after 1 s */
    {
        static const uint8_t busy[] = {0x04, 0x01, 0x81, 0x08};
        fake_feed_frame(&b, busy, sizeof busy);
    }
    CHECK_EQ_INT(ab_pending(&b.dev), 1);
    tick(&b, 999);
    CHECK_EQ_INT(take(&b), 0);
    tick(&b, 1);
    CHECK_EQ_INT(take(&b), 1);
    CHECK_EQ_INT(out[0].bytes[1], 1);
    /* OWNERSHIP with a text detail: dropped for good, reported */
    {
        static const uint8_t refused[] = {0x04, 0x01, 0x82, 0x06, 0x62, 'n', 'o'};
        fake_feed_frame(&b, refused, sizeof refused);
    }
    CHECK_EQ_INT(ab_pending(&b.dev), 0);
    CHECK_EQ_INT(b.events[AB_EV_REFUSED], 1);
    CHECK_EQ_INT(b.last_event.reason, AB_NACK_OWNERSHIP);
    CHECK_EQ_INT(b.last_event.sample, -1);
    CHECK(b.last_event.detail_len == 2 && memcmp(b.last_event.detail, "no", 2) == 0);
    /* an ACK or NACK for nothing on the line changes nothing */
    {
        static const uint8_t ack[] = {0x03, 0x07};
        fake_feed_frame(&b, ack, sizeof ack);
    }
    CHECK_EQ_INT(b.dev.oldest, 2);
}

static void test_resync(void)
{
    static fake_board b;
    static const uint8_t garbage[] = {0x13, 0x37, 0xFF, 0x00, 0x05, 0x2a, 0x00, 0x42, 0x42};
    static const uint8_t ping[] = {0x05, 0x2a};
    size_t len;
    const uint8_t *wire = golden_wire("ping", &len);
    uint8_t flipped[16];
    fake_board_init(&b);
    fake_board_connect(&b);
    /* boot noise, a frame cut short, then a half frame: only counted */
    fake_feed(&b, garbage, sizeof garbage);
    CHECK_EQ_INT(take(&b), 0);
    CHECK_EQ_INT(b.dev.stats.bad_frames, 2);
    /* the half frame swallows the next frame's start: that one is lost, the following passes */
    fake_feed_frame(&b, ping, sizeof ping);
    CHECK_EQ_INT(take(&b), 0);
    fake_feed_frame(&b, ping, sizeof ping);
    CHECK_EQ_INT(take(&b), 1);
    CHECK_EQ_INT(out[0].bytes[0], 0x06);
    /* one flipped bit: dropped by the CRC, never answered */
    memcpy(flipped, wire, len);
    flipped[2] ^= 0x10;
    fake_feed(&b, flipped, len);
    CHECK_EQ_INT(take(&b), 0);
    CHECK_EQ_INT(b.dev.stats.bad_frames, 4);
    /* the same frame byte by byte */
    {
        size_t i;
        for (i = 0; i < len; i++) fake_feed(&b, wire + i, 1);
    }
    CHECK_EQ_INT(take(&b), 1);
    /* a frame longer than the receive buffer: oversize, then back in sync */
    {
        static uint8_t big[400];
        memset(big, 0x41, sizeof big);
        fake_feed(&b, big, sizeof big);
        fake_feed(&b, (const uint8_t *)"", 1);
        CHECK_EQ_INT(b.dev.stats.oversize, 1);
        fake_feed(&b, wire, len);
        CHECK_EQ_INT(take(&b), 1);
    }
}

static void test_server_data_order(void)
{
    static fake_board b;
    static const uint8_t sd0[] = {0x20, 0x00, 0x82, 0x04, 0xf9, 0x4d, 0x60}; /* 21.5, half */
    static const uint8_t sd1[] = {0x20, 0x01, 0x82, 0x04, 0x18, 0x14};       /* 20, integer */
    static const uint8_t sd2_bad[] = {0x20, 0x02, 0x82, 0x04, 0x61, 'x'};
    static const uint8_t sd3_unknown[] = {0x20, 0x03, 0x82, 0x07, 0x01};
    static const uint8_t sd4_shape[] = {0x20, 0x04, 0xa0};
    fake_board_init(&b);
    /* before the session: NO_SESSION */
    ab_poll(&b.dev);
    take(&b);
    fake_feed_frame(&b, sd0, sizeof sd0);
    CHECK_EQ_INT(take(&b), 1);
    CHECK(out[0].bytes[0] == 0x04 && out[0].bytes[3] == AB_NACK_NO_SESSION);
    b.io.out_len = 0;
    fake_board_connect(&b);
    /* ahead of a lost frame: dropped without answer */
    fake_feed_frame(&b, sd1, sizeof sd1);
    CHECK_EQ_INT(take(&b), 0);
    CHECK_EQ_INT(b.data_calls, 0);
    /* the application is busy: NACK BUSY, the same frame is taken when it comes again */
    b.data_answer = AB_NACK_BUSY;
    fake_feed_frame(&b, sd0, sizeof sd0);
    CHECK_EQ_INT(take(&b), 1);
    CHECK(out[0].bytes[0] == 0x04 && out[0].bytes[1] == 0 && out[0].bytes[3] == AB_NACK_BUSY);
    b.data_answer = 0;
    fake_feed_frame(&b, sd0, sizeof sd0);
    CHECK_EQ_INT(take(&b), 1);
    CHECK(out[0].bytes[0] == 0x03 && out[0].bytes[1] == 0);
    CHECK(b.last_double == 21.5);
    /* a double may come as an integer */
    fake_feed_frame(&b, sd1, sizeof sd1);
    CHECK_EQ_INT(take(&b), 1);
    CHECK(b.last_double == 20.0);
    CHECK_EQ_INT(b.data_calls, 3);
    /* wrong type, unbound mapping, wrong shape: refused, counted as delivered */
    fake_feed_frame(&b, sd2_bad, sizeof sd2_bad);
    fake_feed_frame(&b, sd3_unknown, sizeof sd3_unknown);
    fake_feed_frame(&b, sd4_shape, sizeof sd4_shape);
    CHECK_EQ_INT(take(&b), 3);
    CHECK_EQ_INT(out[0].bytes[3], AB_NACK_TYPE_MISMATCH);
    CHECK_EQ_INT(out[1].bytes[3], AB_NACK_UNKNOWN_MAPPING);
    CHECK_EQ_INT(out[2].bytes[3], AB_NACK_MALFORMED);
    CHECK_EQ_INT(b.data_calls, 3);
    CHECK_EQ_INT(b.dev.expected, 5);
}

static void test_keepalive(void)
{
    static fake_board b;
    fake_board_init(&b);
    fake_board_connect(&b);
    tick(&b, 4999);
    CHECK_EQ_INT(take(&b), 0);
    tick(&b, 1);
    CHECK_EQ_INT(take(&b), 1);
    CHECK_EQ_INT(out[0].bytes[0], 0x05);
    tick(&b, 5000);
    CHECK_EQ_INT(take(&b), 1);
    /* silence for 15 s: the link is lost */
    tick(&b, 5000);
    CHECK_EQ_INT(b.events[AB_EV_LINK_LOST], 1);
    CHECK_EQ_INT(take(&b), 1);
    CHECK_EQ_INT(out[0].bytes[0], 0x01);
}

static void test_tick_wraps(void)
{
    static fake_board b;
    fake_board_init(&b);
    b.io.now = 0xFFFFFF00u;
    CHECK_EQ_INT(ab_init(&b.dev, &b.cfg), AB_OK);
    fake_board_connect(&b);
    CHECK_EQ_INT(set_period(&b, 1), AB_OK);
    CHECK_EQ_INT(take(&b), 1);
    tick(&b, 499);
    CHECK_EQ_INT(take(&b), 0);
    tick(&b, 1);
    CHECK_EQ_INT(take(&b), 1);
    CHECK_EQ_INT(ab_now(&b.dev), 1796605200000LL + 500);
    /* a TIME no clock can show is refused, the clock kept */
    {
        static const uint8_t time[] = {0x07, 0x00, 0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0};
        fake_feed_frame(&b, time, sizeof time);
    }
    CHECK_EQ_INT(ab_now(&b.dev), 1796605200000LL + 500);
    CHECK_EQ_INT(b.dev.stats.malformed, 1);
}

static void test_api_errors(void)
{
    static fake_board b;
    static char long_text[200];
    static const char *const room[] = {"lab"};
    ab_value v = ab_double(1.0);
    ab_value air[2];
    int i;
    fake_board_init(&b);
    /* before the table names the mapping */
    CHECK_EQ_INT(ab_send(&b.dev, &b.map[M_TEMPERATURE], NULL, &v, AB_TS_NONE), AB_E_STATE);
    fake_board_connect(&b);
    CHECK_EQ_INT(ab_send(&b.dev, &b.map[M_UPTIME], NULL, &v, AB_TS_NONE), AB_E_TYPE);
    CHECK_EQ_INT(ab_set(&b.dev, &b.map[M_FIRMWARE], NULL, &v), AB_E_TYPE);
    CHECK_EQ_INT(ab_set(&b.dev, &b.map[M_FIRMWARE], NULL, NULL), AB_E_ARG);
    CHECK_EQ_INT(ab_send(&b.dev, &b.map[M_AIR], room, &v, AB_TS_NONE), AB_E_TYPE);
    air[0] = ab_double(1.0);
    air[1] = ab_integer(1);
    CHECK_EQ_INT(ab_send_object(&b.dev, &b.map[M_AIR], room, air, AB_TS_NONE), AB_E_TYPE);
    CHECK_EQ_INT(ab_send_object(&b.dev, &b.map[M_AIR], NULL, air, AB_TS_NONE), AB_E_ARG);
    memset(long_text, 'x', sizeof long_text - 1);
    v = ab_string(long_text);
    CHECK_EQ_INT(ab_set(&b.dev, &b.map[M_FIRMWARE], NULL, &v), AB_E_NOSPACE);
    CHECK_EQ_INT(take(&b), 0);
    /* samples fill a frame: the one that does not fit opens the next SEND */
    b.dev.cfg.batch_samples = 20;
    v = ab_double(1.25);
    for (i = 0; i < 10; i++) {
        CHECK_EQ_INT(ab_send(&b.dev, &b.map[M_TEMPERATURE], NULL, &v, 1796605200000LL + i), AB_OK);
    }
    CHECK_EQ_INT(take(&b), 1);
    CHECK_EQ_INT(out[0].bytes[2], 0x8a); /* [t0, 9 samples of 12 bytes] */
    CHECK(out[0].len <= 126);
    CHECK_EQ_INT(ab_pending(&b.dev), 2);
    /* a bad configuration */
    b.cfg.slot_count = 1;
    CHECK_EQ_INT(ab_init(&b.dev, &b.cfg), AB_E_ARG);
    b.cfg.slot_count = 5;
    b.cfg.rx_size = 60;
    CHECK_EQ_INT(ab_init(&b.dev, &b.cfg), AB_E_ARG);
}

void test_link(void)
{
    test_retransmission();
    test_window_and_resume();
    test_busy_and_refused();
    test_resync();
    test_server_data_order();
    test_keepalive();
    test_tick_wraps();
    test_api_errors();
}
