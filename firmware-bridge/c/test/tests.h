/* Every unit test of the library, run in order by test_main.c. */
#ifndef TESTS_H
#define TESTS_H

#include <stddef.h>
#include <stdint.h>

/* The golden frame `name` of vectors/frames.json: its wire bytes, or its frame (type to CRC). */
const uint8_t *golden_wire(const char *name, size_t *len);
const uint8_t *golden_frame_bytes(const char *name, size_t *len);

void test_cobs(void);
void test_crc(void);
void test_cbor_ints(void);
void test_cbor_floats(void);
void test_cbor_strings_containers(void);
void test_cbor_skip(void);
void test_golden_codec(void);
void test_golden_bad_frames(void);
void test_golden_session(void);
void test_golden_refusals(void);
void test_link(void);

#endif
