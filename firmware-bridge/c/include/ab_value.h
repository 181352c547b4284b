/*
 * Astarte values and their CBOR form (PROTOCOL.md §2.1). The mapping fixes the type, so a value
 * carries none on the wire; here it carries its type code so that the library can check it
 * against the host's index table before it is queued.
 */
#ifndef AB_VALUE_H
#define AB_VALUE_H

#include <stddef.h>
#include <stdint.h>
#include "ab_cbor.h"

/* Type codes of the index table; an array type is its element's code + 8. */
typedef enum {
    AB_T_OBJECT = 0, /* an object aggregate: a map from field index to value */
    AB_T_DOUBLE = 1,
    AB_T_INTEGER = 2,
    AB_T_BOOLEAN = 3,
    AB_T_LONGINTEGER = 4,
    AB_T_STRING = 5,
    AB_T_BINARYBLOB = 6,
    AB_T_DATETIME = 7,
    AB_T_DOUBLEARRAY = 9,
    AB_T_INTEGERARRAY = 10,
    AB_T_BOOLEANARRAY = 11,
    AB_T_LONGINTEGERARRAY = 12,
    AB_T_STRINGARRAY = 13,
    AB_T_BINARYBLOBARRAY = 14,
    AB_T_DATETIMEARRAY = 15
} ab_type;

/* A string (UTF-8, no terminator needed) or a binary blob. */
typedef struct {
    const void *data;
    size_t len;
} ab_bytes;

typedef struct {
    ab_type type;
    union {
        double d;  /* double */
        int32_t i; /* integer */
        int b;     /* boolean */
        int64_t l; /* longinteger; datetime in ms since the Unix epoch */
        ab_bytes s; /* string, binaryblob */
        /*
         * Arrays, `count` elements at `items`: const double * (doublearray), const int32_t *
         * (integerarray), const uint8_t * (booleanarray, 0 or 1), const int64_t *
         * (longintegerarray, datetimearray), const ab_bytes * (stringarray, binaryblobarray).
         * A received array instead points at its first CBOR element (read it with ab_cbor_*).
         */
        struct {
            const void *items;
            size_t count;
        } a;
    } as;
} ab_value;

ab_value ab_double(double d);
ab_value ab_integer(int32_t i);
ab_value ab_boolean(int b);
ab_value ab_longinteger(int64_t l);
ab_value ab_datetime(int64_t ms);
/* `s` NUL-terminated */
ab_value ab_string(const char *s);
ab_value ab_blob(const void *data, size_t len);
ab_value ab_array(ab_type type, const void *items, size_t count);

/* Writes `v` in its CBOR form; the writer's status says whether it fit. */
void ab_value_put(ab_cbor_writer *w, const ab_value *v);
/*
 * Reads a value of type `type` (scalar types; an array type gives the count and the position of
 * its first element). AB_E_TYPE when the CBOR is not of that type, AB_E_RANGE when an integer
 * overflows it or a double is not finite.
 */
ab_status ab_value_get(ab_cbor_reader *r, ab_type type, ab_value *v);

#endif
