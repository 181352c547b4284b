/*
 * The CBOR (RFC 8949) subset the bridge protocol needs: unsigned and negative integers up to 64
 * bits, floats (written as float64; half, single and double read), text and byte strings,
 * definite-length arrays and maps, false/true/null. Indefinite lengths and tags are refused.
 * The writer and the reader work over caller buffers and never allocate; strings are read in
 * place (a pointer into the message and a length).
 */
#ifndef AB_CBOR_H
#define AB_CBOR_H

#include <stddef.h>
#include <stdint.h>
#include "ab_status.h"

/* Writer: errors are sticky, so a message is built with unchecked calls and checked once. */
typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
    ab_status status;
} ab_cbor_writer;

void ab_cbor_writer_init(ab_cbor_writer *w, uint8_t *buf, size_t cap);
void ab_cbor_put_uint(ab_cbor_writer *w, uint64_t v);
void ab_cbor_put_int(ab_cbor_writer *w, int64_t v);
/* Always 9 bytes (major type 7, additional info 27): a double stays a double on the wire. */
void ab_cbor_put_double(ab_cbor_writer *w, double v);
void ab_cbor_put_bool(ab_cbor_writer *w, int v);
void ab_cbor_put_null(ab_cbor_writer *w);
void ab_cbor_put_text(ab_cbor_writer *w, const char *s, size_t len);
/* `s` NUL-terminated */
void ab_cbor_put_cstr(ab_cbor_writer *w, const char *s);
void ab_cbor_put_bytes(ab_cbor_writer *w, const uint8_t *b, size_t len);
void ab_cbor_put_array(ab_cbor_writer *w, size_t count);
void ab_cbor_put_map(ab_cbor_writer *w, size_t count);

/* What the next item is, from its initial byte. */
typedef enum {
    AB_CBOR_END = 0, /* no more input */
    AB_CBOR_UINT,
    AB_CBOR_NINT,
    AB_CBOR_BYTES,
    AB_CBOR_TEXT,
    AB_CBOR_ARRAY,
    AB_CBOR_MAP,
    AB_CBOR_TAG,
    AB_CBOR_FALSE,
    AB_CBOR_TRUE,
    AB_CBOR_NULL,
    AB_CBOR_FLOAT, /* half, single or double */
    AB_CBOR_OTHER  /* undefined, simple values, break */
} ab_cbor_kind;

typedef struct {
    const uint8_t *p;
    const uint8_t *end;
} ab_cbor_reader;

void ab_cbor_reader_init(ab_cbor_reader *r, const uint8_t *buf, size_t len);
ab_cbor_kind ab_cbor_peek(const ab_cbor_reader *r);

/*
 * Each getter consumes one item of its kind and returns AB_OK, or leaves the reader where it was
 * and returns AB_E_TYPE (another kind), AB_E_TRUNCATED, AB_E_UNSUPPORTED or AB_E_RANGE.
 */
ab_status ab_cbor_get_uint(ab_cbor_reader *r, uint64_t *v);
/* unsigned or negative; AB_E_RANGE outside int64_t */
ab_status ab_cbor_get_int(ab_cbor_reader *r, int64_t *v);
/* a float of any width */
ab_status ab_cbor_get_double(ab_cbor_reader *r, double *v);
ab_status ab_cbor_get_bool(ab_cbor_reader *r, int *v);
ab_status ab_cbor_get_null(ab_cbor_reader *r);
ab_status ab_cbor_get_text(ab_cbor_reader *r, const char **s, size_t *len);
ab_status ab_cbor_get_bytes(ab_cbor_reader *r, const uint8_t **b, size_t *len);
ab_status ab_cbor_get_array(ab_cbor_reader *r, size_t *count);
ab_status ab_cbor_get_map(ab_cbor_reader *r, size_t *count);

/* Nesting the skipper follows; deeper input is refused with AB_E_DEPTH. */
#define AB_CBOR_MAX_DEPTH 8
/* Consumes one complete item, whatever it holds. */
ab_status ab_cbor_skip(ab_cbor_reader *r);

#endif
