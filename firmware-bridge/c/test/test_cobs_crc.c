#include <stdint.h>
#include <string.h>

#include "ab_cobs.h"
#include "ab_crc.h"
#include "check.h"
#include "tests.h"

static void cobs_case(const uint8_t *raw, size_t raw_len, const uint8_t *enc, size_t enc_len)
{
    uint8_t out[600];
    uint8_t back[600];
    size_t n = ab_cobs_encode(raw, raw_len, out, sizeof out);
    long m;
    CHECK_BYTES(out, n, enc, enc_len);
    m = ab_cobs_decode(enc, enc_len, back);
    CHECK_BYTES(back, m < 0 ? 0 : (size_t)m, raw, raw_len);
    /* in place */
    memcpy(out, enc, enc_len);
    m = ab_cobs_decode(out, enc_len, out);
    CHECK_BYTES(out, m < 0 ? 0 : (size_t)m, raw, raw_len);
}

void test_cobs(void)
{
    /* the examples of the COBS paper and Wikipedia's table */
    static const uint8_t r1[] = {0x00};
    static const uint8_t e1[] = {0x01, 0x01};
    static const uint8_t r2[] = {0x00, 0x00};
    static const uint8_t e2[] = {0x01, 0x01, 0x01};
    static const uint8_t r3[] = {0x00, 0x11, 0x00};
    static const uint8_t e3[] = {0x01, 0x02, 0x11, 0x01};
    static const uint8_t r4[] = {0x11, 0x22, 0x00, 0x33};
    static const uint8_t e4[] = {0x03, 0x11, 0x22, 0x02, 0x33};
    static const uint8_t r5[] = {0x11, 0x22, 0x33, 0x44};
    static const uint8_t e5[] = {0x05, 0x11, 0x22, 0x33, 0x44};
    static const uint8_t e_empty[] = {0x01};
    uint8_t big[300];
    uint8_t big_enc[310];
    uint8_t out[8];
    size_t i;

    cobs_case(r1, sizeof r1, e1, sizeof e1);
    cobs_case(r2, sizeof r2, e2, sizeof e2);
    cobs_case(r3, sizeof r3, e3, sizeof e3);
    cobs_case(r4, sizeof r4, e4, sizeof e4);
    cobs_case(r5, sizeof r5, e5, sizeof e5);
    cobs_case(r5, 0, e_empty, sizeof e_empty);

    /* 254 non-zero bytes fill a block: 0xFF, the bytes, then an empty last block */
    for (i = 0; i < 254; i++) big[i] = (uint8_t)(i + 1);
    big_enc[0] = 0xFF;
    memcpy(big_enc + 1, big, 254);
    big_enc[255] = 0x01;
    cobs_case(big, 254, big_enc, 256);
    /* 255 bytes: the last one goes in a second block */
    big[254] = 0x42;
    big_enc[255] = 0x02;
    big_enc[256] = 0x42;
    cobs_case(big, 255, big_enc, 257);
    CHECK(ab_cobs_encode(big, 255, big_enc, AB_COBS_MAX_ENCODED(255)) == 257);

    /* too small a buffer: 0, never a write past `cap` */
    CHECK_EQ_INT(ab_cobs_encode(r5, sizeof r5, out, 4), 0);
    CHECK_EQ_INT(ab_cobs_encode(r5, sizeof r5, out, 5), 5);
    CHECK_EQ_INT(ab_cobs_encode(r3, sizeof r3, out, 3), 0);
    CHECK_EQ_INT(ab_cobs_encode(r3, 0, out, 0), 0);

    /* not an encoding: a zero inside, a block past the end */
    {
        static const uint8_t z[] = {0x03, 0x11, 0x00};
        static const uint8_t past[] = {0x05, 0x11, 0x22};
        static const uint8_t lead0[] = {0x00};
        CHECK_EQ_INT(ab_cobs_decode(z, sizeof z, out), -1);
        CHECK_EQ_INT(ab_cobs_decode(past, sizeof past, out), -1);
        CHECK_EQ_INT(ab_cobs_decode(lead0, sizeof lead0, out), -1);
    }
}

void test_crc(void)
{
    static const uint8_t check[] = "123456789";
    CHECK_EQ_INT(ab_crc16(AB_CRC16_INIT, check, 9), 0x29B1);
    CHECK_EQ_INT(ab_crc16(ab_crc16(AB_CRC16_INIT, check, 4), check + 4, 5), 0x29B1);
    CHECK_EQ_INT(ab_crc16(AB_CRC16_INIT, check, 0), 0xFFFF);
    CHECK_EQ_INT(ab_crc32(0, check, 9), 0xCBF43926u);
    CHECK_EQ_INT(ab_crc32(ab_crc32(0, check, 3), check + 3, 6), 0xCBF43926u);
    CHECK_EQ_INT(ab_crc32(0, check, 0), 0);
}
