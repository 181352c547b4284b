/* Every unit test of the library, run in order by test_main.c. */
#ifndef TESTS_H
#define TESTS_H

void test_cobs(void);
void test_crc(void);
void test_cbor_ints(void);
void test_cbor_floats(void);
void test_cbor_strings_containers(void);
void test_cbor_skip(void);

#endif
