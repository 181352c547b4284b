/* A minimal test harness: CHECK records a failure with its place and goes on. */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <string.h>

extern int check_failures;
extern int check_count;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        check_count++;                                                               \
        if (!(cond)) {                                                               \
            check_failures++;                                                        \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                   \
    do {                                                                                     \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                      \
        check_count++;                                                                       \
        if (check_a_ != check_b_) {                                                          \
            check_failures++;                                                                \
            fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, \
                    #a, check_a_, #b, check_b_);                                             \
        }                                                                                    \
    } while (0)

#define CHECK_BYTES(got, got_len, want, want_len)                                          \
    do {                                                                                   \
        check_count++;                                                                     \
        if ((size_t)(got_len) != (size_t)(want_len) ||                                     \
            memcmp((got), (want), (size_t)(want_len)) != 0) {                              \
            check_failures++;                                                              \
            fprintf(stderr, "%s:%d: bytes of %s differ from %s\n", __FILE__, __LINE__, #got, \
                    #want);                                                                \
            check_dump("  got ", (const unsigned char *)(got), (size_t)(got_len));         \
            check_dump("  want", (const unsigned char *)(want), (size_t)(want_len));       \
        }                                                                                  \
    } while (0)

void check_dump(const char *label, const unsigned char *b, size_t n);

#endif
