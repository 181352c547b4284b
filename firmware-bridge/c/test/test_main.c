#include <stdio.h>

#include "check.h"
#include "tests.h"

static const struct {
    const char *name;
    void (*run)(void);
} tests[] = {
    {"cobs", test_cobs},
    {"crc", test_crc},
    {"cbor ints", test_cbor_ints},
    {"cbor floats", test_cbor_floats},
    {"cbor strings and containers", test_cbor_strings_containers},
    {"cbor skip", test_cbor_skip},
    {"golden codec: COBS, CRC, every frame both ways", test_golden_codec},
    {"golden bad frames", test_golden_bad_frames},
    {"golden session of the example board", test_golden_session},
    {"golden refusals", test_golden_refusals},
    {"link: retransmission, window, resume, resync, order, keep-alive, errors", test_link},
};

int main(void)
{
    size_t i;
    for (i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        int before = check_failures;
        tests[i].run();
        printf("%s %s\n", check_failures == before ? "ok" : "FAIL", tests[i].name);
    }
    printf("%d checks, %d failed\n", check_count, check_failures);
    return check_failures == 0 ? 0 : 1;
}
