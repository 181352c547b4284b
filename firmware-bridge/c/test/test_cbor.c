#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ab_cbor.h"
#include "check.h"
#include "tests.h"

#define BYTES(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})
#define CHECK_WRITTEN(got, got_len, ...)                           \
    CHECK_BYTES(got, got_len, ((const uint8_t[]){__VA_ARGS__}), \
                sizeof((const uint8_t[]){__VA_ARGS__}))

static void int_case(int64_t v, const uint8_t *enc, size_t len)
{
    uint8_t buf[16];
    ab_cbor_writer w;
    ab_cbor_reader r;
    int64_t back = 0;
    ab_cbor_writer_init(&w, buf, sizeof buf);
    ab_cbor_put_int(&w, v);
    CHECK_EQ_INT(w.status, AB_OK);
    CHECK_BYTES(buf, w.len, enc, len);
    ab_cbor_reader_init(&r, enc, len);
    CHECK_EQ_INT(ab_cbor_get_int(&r, &back), AB_OK);
    CHECK(back == v);
    CHECK(ab_cbor_peek(&r) == AB_CBOR_END);
}

static void float_case(const uint8_t *enc, size_t len, double want)
{
    ab_cbor_reader r;
    double got = 0;
    ab_cbor_reader_init(&r, enc, len);
    CHECK(ab_cbor_peek(&r) == AB_CBOR_FLOAT);
    CHECK_EQ_INT(ab_cbor_get_double(&r, &got), AB_OK);
    CHECK(memcmp(&got, &want, sizeof got) == 0 || (got != got && want != want));
    CHECK(ab_cbor_peek(&r) == AB_CBOR_END);
}

static void skip_case(const uint8_t *enc, size_t len, ab_status want)
{
    ab_cbor_reader r;
    ab_cbor_reader_init(&r, enc, len);
    CHECK_EQ_INT(ab_cbor_skip(&r), want);
    /* a complete item is consumed entirely; a failure leaves the reader where it was */
    CHECK(r.p == (want == AB_OK ? enc + len : enc));
}

void test_cbor_ints(void)
{
    /* RFC 8949 Appendix A */
    int_case(0, BYTES(0x00));
    int_case(23, BYTES(0x17));
    int_case(24, BYTES(0x18, 0x18));
    int_case(100, BYTES(0x18, 0x64));
    int_case(1000, BYTES(0x19, 0x03, 0xe8));
    int_case(1000000, BYTES(0x1a, 0x00, 0x0f, 0x42, 0x40));
    int_case(1000000000000LL, BYTES(0x1b, 0x00, 0x00, 0x00, 0xe8, 0xd4, 0xa5, 0x10, 0x00));
    int_case(-1, BYTES(0x20));
    int_case(-10, BYTES(0x29));
    int_case(-100, BYTES(0x38, 0x63));
    int_case(-1000, BYTES(0x39, 0x03, 0xe7));
    int_case(INT64_MAX, BYTES(0x1b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
    int_case(INT64_MIN, BYTES(0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));

    {
        uint8_t buf[9];
        ab_cbor_writer w;
        ab_cbor_reader r;
        uint64_t u = 0;
        int64_t i = 0;
        ab_cbor_writer_init(&w, buf, sizeof buf);
        ab_cbor_put_uint(&w, UINT64_MAX);
        CHECK_WRITTEN(buf, w.len, 0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
        ab_cbor_reader_init(&r, buf, w.len);
        CHECK_EQ_INT(ab_cbor_get_int(&r, &i), AB_E_RANGE);
        CHECK_EQ_INT(ab_cbor_get_uint(&r, &u), AB_OK);
        CHECK(u == UINT64_MAX);
        /* -2^64 does not fit an int64_t */
        ab_cbor_reader_init(&r, BYTES(0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
        CHECK_EQ_INT(ab_cbor_get_int(&r, &i), AB_E_RANGE);
        CHECK_EQ_INT(ab_cbor_get_uint(&r, &u), AB_E_TYPE);
        /* truncated argument */
        ab_cbor_reader_init(&r, BYTES(0x19, 0x03));
        CHECK_EQ_INT(ab_cbor_get_uint(&r, &u), AB_E_TRUNCATED);
        ab_cbor_reader_init(&r, buf, 0);
        CHECK_EQ_INT(ab_cbor_get_uint(&r, &u), AB_E_TRUNCATED);
        /* reserved additional information and indefinite lengths */
        ab_cbor_reader_init(&r, BYTES(0x1c));
        CHECK_EQ_INT(ab_cbor_get_uint(&r, &u), AB_E_UNSUPPORTED);
    }
}

void test_cbor_floats(void)
{
    uint8_t buf[16];
    ab_cbor_writer w;
    double inf = HUGE_VAL;

    ab_cbor_writer_init(&w, buf, sizeof buf);
    ab_cbor_put_double(&w, 1.1);
    CHECK_WRITTEN(buf, w.len, 0xfb, 0x3f, 0xf1, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a);
    float_case(buf, w.len, 1.1);
    ab_cbor_writer_init(&w, buf, sizeof buf);
    ab_cbor_put_double(&w, -4.1);
    CHECK_WRITTEN(buf, w.len, 0xfb, 0xc0, 0x10, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66);
    /* an integral double stays a double */
    ab_cbor_writer_init(&w, buf, sizeof buf);
    ab_cbor_put_double(&w, 1.0);
    CHECK_WRITTEN(buf, w.len, 0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0);

    /* half precision, RFC 8949 Appendix A */
    float_case(BYTES(0xf9, 0x00, 0x00), 0.0);
    float_case(BYTES(0xf9, 0x80, 0x00), -0.0);
    float_case(BYTES(0xf9, 0x3c, 0x00), 1.0);
    float_case(BYTES(0xf9, 0x3e, 0x00), 1.5);
    float_case(BYTES(0xf9, 0x7b, 0xff), 65504.0);
    float_case(BYTES(0xf9, 0x00, 0x01), 5.960464477539063e-8);
    float_case(BYTES(0xf9, 0x04, 0x00), 0.00006103515625);
    float_case(BYTES(0xf9, 0xc4, 0x00), -4.0);
    float_case(BYTES(0xf9, 0x7c, 0x00), inf);
    float_case(BYTES(0xf9, 0xfc, 0x00), -inf);
    float_case(BYTES(0xf9, 0x7e, 0x00), inf - inf);
    /* single precision */
    float_case(BYTES(0xfa, 0x47, 0xc3, 0x50, 0x00), 100000.0);
    float_case(BYTES(0xfa, 0x7f, 0x7f, 0xff, 0xff), 3.4028234663852886e+38);
    float_case(BYTES(0xfa, 0x7f, 0x80, 0x00, 0x00), inf);
    float_case(BYTES(0xfa, 0x00, 0x00, 0x00, 0x01), 1.401298464324817e-45);
    /* double */
    float_case(BYTES(0xfb, 0x7e, 0x37, 0xe4, 0x3c, 0x88, 0x00, 0x75, 0x9c), 1.0e+300);

    {
        ab_cbor_reader r;
        double d;
        ab_cbor_reader_init(&r, BYTES(0x01));
        CHECK_EQ_INT(ab_cbor_get_double(&r, &d), AB_E_TYPE);
        ab_cbor_reader_init(&r, BYTES(0xfb, 0x3f, 0xf1));
        CHECK_EQ_INT(ab_cbor_get_double(&r, &d), AB_E_TRUNCATED);
        ab_cbor_reader_init(&r, buf, 0);
        CHECK_EQ_INT(ab_cbor_get_double(&r, &d), AB_E_TRUNCATED);
    }
}

void test_cbor_strings_containers(void)
{
    uint8_t buf[64];
    ab_cbor_writer w;
    ab_cbor_reader r;
    const char *s;
    const uint8_t *b;
    size_t n;
    int flag = 0;
    static const uint8_t blob[] = {1, 2, 3, 4};

    /* {"a": 1, "b": [2, 3]} (RFC 8949 Appendix A), then bytes, bool, null */
    ab_cbor_writer_init(&w, buf, sizeof buf);
    ab_cbor_put_map(&w, 2);
    ab_cbor_put_cstr(&w, "a");
    ab_cbor_put_uint(&w, 1);
    ab_cbor_put_text(&w, "b", 1);
    ab_cbor_put_array(&w, 2);
    ab_cbor_put_uint(&w, 2);
    ab_cbor_put_uint(&w, 3);
    ab_cbor_put_bytes(&w, blob, sizeof blob);
    ab_cbor_put_bool(&w, 1);
    ab_cbor_put_bool(&w, 0);
    ab_cbor_put_null(&w);
    ab_cbor_put_text(&w, "", 0);
    CHECK_EQ_INT(w.status, AB_OK);
    CHECK_WRITTEN(buf, w.len, 0xa2, 0x61, 0x61, 0x01, 0x61, 0x62, 0x82, 0x02, 0x03, 0x44, 1, 2, 3,
                  4,
                      0xf5, 0xf4, 0xf6, 0x60);

    ab_cbor_reader_init(&r, buf, w.len);
    CHECK_EQ_INT(ab_cbor_get_array(&r, &n), AB_E_TYPE);
    CHECK_EQ_INT(ab_cbor_get_map(&r, &n), AB_OK);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(ab_cbor_get_bytes(&r, &b, &n), AB_E_TYPE);
    CHECK_EQ_INT(ab_cbor_get_text(&r, &s, &n), AB_OK);
    CHECK(n == 1 && s[0] == 'a');
    CHECK_EQ_INT(ab_cbor_skip(&r), AB_OK);
    CHECK_EQ_INT(ab_cbor_get_text(&r, &s, &n), AB_OK);
    CHECK(n == 1 && s[0] == 'b');
    CHECK_EQ_INT(ab_cbor_skip(&r), AB_OK);
    CHECK(ab_cbor_peek(&r) == AB_CBOR_BYTES);
    CHECK_EQ_INT(ab_cbor_get_bytes(&r, &b, &n), AB_OK);
    CHECK_BYTES(b, n, blob, sizeof blob);
    CHECK_EQ_INT(ab_cbor_get_null(&r), AB_E_TYPE);
    CHECK_EQ_INT(ab_cbor_get_bool(&r, &flag), AB_OK);
    CHECK(flag == 1);
    CHECK_EQ_INT(ab_cbor_get_bool(&r, &flag), AB_OK);
    CHECK(flag == 0);
    CHECK(ab_cbor_peek(&r) == AB_CBOR_NULL);
    CHECK_EQ_INT(ab_cbor_get_bool(&r, &flag), AB_E_TYPE);
    CHECK_EQ_INT(ab_cbor_get_null(&r), AB_OK);
    CHECK_EQ_INT(ab_cbor_get_text(&r, &s, &n), AB_OK);
    CHECK_EQ_INT(n, 0);
    CHECK(ab_cbor_peek(&r) == AB_CBOR_END);
    CHECK_EQ_INT(ab_cbor_get_null(&r), AB_E_TRUNCATED);
    CHECK_EQ_INT(ab_cbor_get_bool(&r, &flag), AB_E_TRUNCATED);

    /* a string or a container longer than what is left */
    ab_cbor_reader_init(&r, BYTES(0x65, 'a', 'b'));
    CHECK_EQ_INT(ab_cbor_get_text(&r, &s, &n), AB_E_TRUNCATED);
    ab_cbor_reader_init(&r, BYTES(0x9a, 0xff, 0xff, 0xff, 0xff, 0x01));
    CHECK_EQ_INT(ab_cbor_get_array(&r, &n), AB_E_TRUNCATED);
    CHECK(r.p == r.end - 6);

    /* the writer stops at its capacity and says so */
    ab_cbor_writer_init(&w, buf, 3);
    ab_cbor_put_cstr(&w, "abc");
    CHECK_EQ_INT(w.status, AB_E_NOSPACE);
    ab_cbor_put_uint(&w, 1);
    CHECK_EQ_INT(w.status, AB_E_NOSPACE);
    CHECK(w.len <= 3);
    ab_cbor_writer_init(&w, buf, 8);
    ab_cbor_put_double(&w, 1.0);
    CHECK_EQ_INT(w.status, AB_E_NOSPACE);
    CHECK_EQ_INT(w.len, 0);
}

void test_cbor_skip(void)
{
    skip_case(BYTES(0x01), AB_OK);
    skip_case(BYTES(0x83, 0x01, 0x82, 0x02, 0x03, 0x82, 0x04, 0x05), AB_OK);
    skip_case(BYTES(0xa2, 0x61, 0x61, 0x01, 0x61, 0x62, 0x82, 0x02, 0x03), AB_OK);
    skip_case(BYTES(0x80), AB_OK);
    skip_case(BYTES(0xa0), AB_OK);
    skip_case(BYTES(0xf9, 0x3c, 0x00), AB_OK);
    skip_case(BYTES(0xf8, 0xff), AB_OK);
    skip_case(BYTES(0x44, 1, 2, 3, 4), AB_OK);
    skip_case(BYTES(0x82, 0x01), AB_E_TRUNCATED);
    skip_case(BYTES(0xa1, 0x01), AB_E_TRUNCATED);
    skip_case(BYTES(0x44, 1, 2, 3), AB_E_TRUNCATED);
    skip_case(BYTES(0x9f, 0x01, 0xff), AB_E_UNSUPPORTED);
    skip_case(BYTES(0x5f, 0x41, 0x01, 0xff), AB_E_UNSUPPORTED);
    skip_case(BYTES(0xff), AB_E_UNSUPPORTED);
    skip_case(BYTES(0xc1, 0x01), AB_E_UNSUPPORTED);
    /* nesting at the limit is followed, one deeper is refused */
    skip_case(BYTES(0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x01), AB_OK);
    skip_case(BYTES(0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x01), AB_E_DEPTH);
}
