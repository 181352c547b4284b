/*
 * Reads frames (COBS + 00) on stdin and writes each back re-encoded: its body read item by item
 * with the library's CBOR reader and written again with its writer. The TypeScript suite feeds
 * it random items from its own encoder: identical bytes back mean the two codecs agree. A frame
 * the library refuses comes back as [0xEE, -status].
 */
#include <stdio.h>
#include <stdlib.h>

#include "ab_cbor.h"
#include "ab_frame.h"

static ab_status copy(ab_cbor_reader *r, ab_cbor_writer *w, int depth)
{
    uint64_t u;
    int64_t i;
    double d;
    int b;
    const char *s;
    const uint8_t *p;
    size_t n;
    size_t k;
    ab_status st;
    if (depth > 16) return AB_E_DEPTH;
    switch (ab_cbor_peek(r)) {
    case AB_CBOR_UINT:
        if ((st = ab_cbor_get_uint(r, &u)) == AB_OK) ab_cbor_put_uint(w, u);
        return st;
    case AB_CBOR_NINT:
        if ((st = ab_cbor_get_int(r, &i)) == AB_OK) ab_cbor_put_int(w, i);
        return st;
    case AB_CBOR_BYTES:
        if ((st = ab_cbor_get_bytes(r, &p, &n)) == AB_OK) ab_cbor_put_bytes(w, p, n);
        return st;
    case AB_CBOR_TEXT:
        if ((st = ab_cbor_get_text(r, &s, &n)) == AB_OK) ab_cbor_put_text(w, s, n);
        return st;
    case AB_CBOR_FLOAT:
        if ((st = ab_cbor_get_double(r, &d)) == AB_OK) ab_cbor_put_double(w, d);
        return st;
    case AB_CBOR_FALSE:
    case AB_CBOR_TRUE:
        if ((st = ab_cbor_get_bool(r, &b)) == AB_OK) ab_cbor_put_bool(w, b);
        return st;
    case AB_CBOR_NULL:
        if ((st = ab_cbor_get_null(r)) == AB_OK) ab_cbor_put_null(w);
        return st;
    case AB_CBOR_ARRAY:
        if ((st = ab_cbor_get_array(r, &n)) != AB_OK) return st;
        ab_cbor_put_array(w, n);
        for (k = 0; k < n && st == AB_OK; k++) st = copy(r, w, depth + 1);
        return st;
    case AB_CBOR_MAP:
        if ((st = ab_cbor_get_map(r, &n)) != AB_OK) return st;
        ab_cbor_put_map(w, n);
        for (k = 0; k < 2 * n && st == AB_OK; k++) st = copy(r, w, depth + 1);
        return st;
    case AB_CBOR_END: return AB_E_TRUNCATED;
    default: return AB_E_UNSUPPORTED;
    }
}

static void out(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx;
    fwrite(data, 1, len, stdout);
}

int main(void)
{
    static uint8_t rxbuf[AB_RX_BUFFER_SIZE(65536)];
    static uint8_t frame[65536 + 2];
    ab_frame_rx rx;
    int c;
    ab_frame_rx_init(&rx, rxbuf, sizeof rxbuf);
    while ((c = getchar()) != EOF) {
        uint8_t byte = (uint8_t)c;
        ab_frame_result r;
        ab_cbor_reader reader;
        ab_cbor_writer w;
        ab_status st = AB_OK;
        ab_frame_rx_push(&rx, &byte, 1, &r);
        if (r.status == AB_FRAME_MORE) continue;
        ab_cbor_writer_init(&w, frame, sizeof frame - 2);
        if (r.status == AB_OK) {
            w.len = 2;
            frame[0] = r.frame[0];
            frame[1] = r.frame[1];
            ab_cbor_reader_init(&reader, r.frame + 2, r.len - 2);
            if (r.len > 2) st = copy(&reader, &w, 0);
            if (st == AB_OK && reader.p != reader.end) st = AB_E_MESSAGE;
            if (st == AB_OK) st = w.status;
        } else {
            st = (ab_status)r.status;
        }
        if (st != AB_OK) {
            frame[0] = 0xEE;
            frame[1] = (uint8_t)-st;
            w.len = 2;
        }
        ab_frame_write(out, NULL, frame, ab_frame_seal(frame, w.len));
    }
    return 0;
}
