/*
 * Fuzz driver: random and mutated inputs into every decoder of the library, run under ASan and
 * UBSan. Each input must give a result or a typed error: a crash, an out-of-bounds access or
 * undefined behaviour stops the run with the sanitizer's report, and a hang is caught by the
 * caller's timeout. Deterministic (a fixed seed unless one is given) so that a failure replays.
 * Three targets per input: the CBOR reader, COBS decoding, and a connected device fed the input
 * as frames (valid CRC around a mutated message, so it reaches the message layer) and as raw
 * mutated wire bytes (so it exercises resynchronisation).
 * Usage: fuzz [iterations] [seed]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ab_cbor.h"
#include "ab_cobs.h"
#include "astarte_bridge.h"
#include "check.h"
#include "fake.h"

static uint64_t rng_state;

/* xorshift64*: a good enough stream for picking mutations */
static uint32_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

/* A well-formed CBOR item to mutate: nested arrays and maps of every kind the reader handles. */
static size_t seed_cbor(uint8_t *buf, size_t cap)
{
    ab_cbor_writer w;
    static const uint8_t blob[] = {0, 1, 2, 0xFF};
    ab_cbor_writer_init(&w, buf, cap);
    ab_cbor_put_array(&w, 4);
    ab_cbor_put_uint(&w, rnd());
    ab_cbor_put_map(&w, 2);
    ab_cbor_put_uint(&w, 0);
    ab_cbor_put_double(&w, (double)rnd() / 7.0);
    ab_cbor_put_uint(&w, 1);
    ab_cbor_put_array(&w, 3);
    ab_cbor_put_int(&w, -(int64_t)rnd());
    ab_cbor_put_cstr(&w, "kitchen");
    ab_cbor_put_bytes(&w, blob, sizeof blob);
    ab_cbor_put_bool(&w, (int)(rnd() & 1));
    ab_cbor_put_null(&w);
    return w.len;
}

/* Flips, overwrites, inserts, deletes or truncates a few bytes. */
static size_t mutate(uint8_t *buf, size_t len, size_t cap)
{
    uint32_t n = 1 + rnd() % 4;
    while (n-- > 0) {
        uint32_t at = len == 0 ? 0 : rnd() % (uint32_t)len;
        switch (rnd() % 5) {
        case 0:
            if (len > 0) buf[at] ^= (uint8_t)(1u << (rnd() % 8));
            break;
        case 1:
            if (len > 0) buf[at] = (uint8_t)rnd();
            break;
        case 2:
            if (len < cap) {
                memmove(buf + at + 1, buf + at, len - at);
                buf[at] = (uint8_t)rnd();
                len++;
            }
            break;
        case 3:
            if (len > 0) {
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
            }
            break;
        default:
            len = at;
            break;
        }
    }
    return len;
}

/* Reads `len` bytes with every getter and the skipper; none may read outside [buf, buf+len). */
static void read_all(const uint8_t *buf, size_t len)
{
    ab_cbor_reader r;
    int items = 0;
    ab_cbor_reader_init(&r, buf, len);
    while (ab_cbor_peek(&r) != AB_CBOR_END && items++ < 64) {
        const uint8_t *before = r.p;
        uint64_t u;
        int64_t i;
        double d;
        int b;
        const char *s;
        const uint8_t *bytes;
        size_t n;
        if (ab_cbor_get_uint(&r, &u) != AB_OK && ab_cbor_get_int(&r, &i) != AB_OK &&
            ab_cbor_get_double(&r, &d) != AB_OK && ab_cbor_get_bool(&r, &b) != AB_OK &&
            ab_cbor_get_null(&r) != AB_OK && ab_cbor_get_text(&r, &s, &n) != AB_OK &&
            ab_cbor_get_bytes(&r, &bytes, &n) != AB_OK && ab_cbor_get_array(&r, &n) != AB_OK &&
            ab_cbor_get_map(&r, &n) != AB_OK && ab_cbor_skip(&r) != AB_OK) {
            break;
        }
        if (r.p < before || r.p > r.end) abort();
    }
}

/* A host-to-MCU frame to mutate: server data, time, ACK, NACK, PING or a HELLO_ACK part. */
static size_t seed_frame(uint8_t *buf, size_t cap)
{
    ab_cbor_writer w;
    static const uint8_t types[] = {0x20, 0x07, 0x03, 0x04, 0x05, 0x02};
    uint8_t type = types[rnd() % sizeof types];
    ab_cbor_writer_init(&w, buf, cap);
    w.len = 2;
    buf[0] = type;
    buf[1] = (uint8_t)(rnd() % 4);
    switch (type) {
    case 0x20:
        ab_cbor_put_array(&w, 2);
        if (rnd() % 2) {
            ab_cbor_put_uint(&w, rnd() % 7);
        } else {
            ab_cbor_put_array(&w, 2);
            ab_cbor_put_uint(&w, 5);
            ab_cbor_put_cstr(&w, "lab");
        }
        ab_cbor_put_double(&w, 19.5);
        break;
    case 0x07:
        ab_cbor_put_uint(&w, rnd() % 2 ? 1796605800000ull : (uint64_t)rnd() << 32 | rnd());
        break;
    case 0x04:
        ab_cbor_put_array(&w, 2);
        ab_cbor_put_uint(&w, rnd() % 13);
        ab_cbor_put_cstr(&w, "detail");
        break;
    case 0x02:
        ab_cbor_put_map(&w, 3);
        ab_cbor_put_uint(&w, 3);
        ab_cbor_put_uint(&w, 0);
        ab_cbor_put_uint(&w, 4);
        ab_cbor_put_array(&w, 1);
        ab_cbor_put_array(&w, 3);
        ab_cbor_put_uint(&w, 0);
        ab_cbor_put_cstr(&w, "/temperature");
        ab_cbor_put_uint(&w, 1);
        ab_cbor_put_uint(&w, 5);
        ab_cbor_put_uint(&w, 1);
        break;
    default: break;
    }
    return w.len;
}

static void send_some(fake_board *b)
{
    ab_value v = ab_double((double)(rnd() % 100));
    ab_send(&b->dev, &b->map[M_TEMPERATURE], NULL, &v, (int64_t)(rnd() % 3) - 2);
    if (rnd() % 4 == 0) ab_flush(&b->dev);
    b->io.now += rnd() % 700;
    ab_poll(&b->dev);
    b->io.out_len = 0;
}

int main(int argc, char **argv)
{
    static uint8_t buf[1100];
    static uint8_t enc[1200];
    static uint8_t dec[1200];
    long iterations = argc > 1 ? atol(argv[1]) : 100000;
    long i;
    long cobs_ok = 0;
    static fake_board board;
    unsigned long frames_in = 0;
    rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) : 0x9E3779B97F4A7C15ull;
    if (rng_state == 0) rng_state = 1;

    for (i = 0; i < iterations; i++) {
        size_t len;
        size_t n;
        long m;
        if (rnd() % 4 == 0) {
            len = rnd() % 300;
            for (n = 0; n < len; n++) buf[n] = (uint8_t)rnd();
        } else {
            len = mutate(buf, seed_cbor(buf, sizeof buf), sizeof buf);
        }
        read_all(buf, len);

        /* COBS: encoded input mutated, decoded into a buffer of exactly its length */
        n = ab_cobs_encode(buf, len, enc, sizeof enc);
        if (n == 0) abort();
        n = mutate(enc, n, sizeof enc);
        m = ab_cobs_decode(enc, n, dec);
        if (m > (long)n) abort();
        if (m >= 0) cobs_ok++;

        /* the device: a mutated message in a valid frame, then the raw mutated wire bytes */
        if (i == 0 || (!ab_ready(&board.dev) && rnd() % 8 == 0)) {
            frames_in += board.dev.stats.frames_in;
            fake_board_init(&board);
            fake_board_connect(&board);
        }
        len = mutate(buf, seed_frame(buf, sizeof buf - 2), sizeof buf - 2);
        /* a delimiter first ends whatever half frame the raw bytes before left (resync) */
        fake_feed(&board, (const uint8_t *)"", 1);
        if (len >= 2) fake_feed_frame(&board, buf, len);
        else fake_feed(&board, buf, len);
        fake_feed(&board, enc, n);
        send_some(&board);
    }
    printf("fuzz: %ld inputs, %ld mutated COBS frames still decodable; %lu frames reached a "
           "device\n",
           iterations, cobs_ok, frames_in + board.dev.stats.frames_in);
    return check_failures == 0 ? 0 : 1;
}
