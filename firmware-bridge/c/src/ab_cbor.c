#include "ab_cbor.h"

#include <string.h>

void ab_cbor_writer_init(ab_cbor_writer *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->status = AB_OK;
}

static int reserve(ab_cbor_writer *w, size_t n)
{
    if (w->status != AB_OK) return 0;
    if (w->cap - w->len < n) {
        w->status = AB_E_NOSPACE;
        return 0;
    }
    return 1;
}

/* Shortest head (RFC 8949 §4.2.1 preferred serialisation) of major type `major`. */
static void put_head(ab_cbor_writer *w, uint8_t major, uint64_t v)
{
    uint8_t head[9];
    size_t n;
    size_t i;
    if (v < 24) {
        head[0] = (uint8_t)(major << 5 | v);
        n = 1;
    } else {
        uint8_t ai;
        if (v <= 0xFFu) {
            ai = 24;
            n = 2;
        } else if (v <= 0xFFFFu) {
            ai = 25;
            n = 3;
        } else if (v <= 0xFFFFFFFFu) {
            ai = 26;
            n = 5;
        } else {
            ai = 27;
            n = 9;
        }
        head[0] = (uint8_t)(major << 5 | ai);
        for (i = n - 1; i > 0; i--) {
            head[i] = (uint8_t)v;
            v >>= 8;
        }
    }
    if (!reserve(w, n)) return;
    memcpy(w->buf + w->len, head, n);
    w->len += n;
}

void ab_cbor_put_uint(ab_cbor_writer *w, uint64_t v)
{
    put_head(w, 0, v);
}

void ab_cbor_put_int(ab_cbor_writer *w, int64_t v)
{
    /* -1 - v without overflow at INT64_MIN */
    if (v < 0) put_head(w, 1, ~(uint64_t)v);
    else put_head(w, 0, (uint64_t)v);
}

void ab_cbor_put_double(ab_cbor_writer *w, double v)
{
    uint64_t bits;
    size_t i;
    memcpy(&bits, &v, sizeof bits);
    if (!reserve(w, 9)) return;
    w->buf[w->len] = 0xFB;
    for (i = 8; i > 0; i--) {
        w->buf[w->len + i] = (uint8_t)bits;
        bits >>= 8;
    }
    w->len += 9;
}

static void put_byte(ab_cbor_writer *w, uint8_t b)
{
    if (!reserve(w, 1)) return;
    w->buf[w->len++] = b;
}

void ab_cbor_put_bool(ab_cbor_writer *w, int v)
{
    put_byte(w, v ? 0xF5 : 0xF4);
}

void ab_cbor_put_null(ab_cbor_writer *w)
{
    put_byte(w, 0xF6);
}

static void put_string(ab_cbor_writer *w, uint8_t major, const void *s, size_t len)
{
    put_head(w, major, len);
    if (!reserve(w, len)) return;
    if (len > 0) memcpy(w->buf + w->len, s, len);
    w->len += len;
}

void ab_cbor_put_text(ab_cbor_writer *w, const char *s, size_t len)
{
    put_string(w, 3, s, len);
}

void ab_cbor_put_cstr(ab_cbor_writer *w, const char *s)
{
    put_string(w, 3, s, strlen(s));
}

void ab_cbor_put_bytes(ab_cbor_writer *w, const uint8_t *b, size_t len)
{
    put_string(w, 2, b, len);
}

void ab_cbor_put_array(ab_cbor_writer *w, size_t count)
{
    put_head(w, 4, count);
}

void ab_cbor_put_map(ab_cbor_writer *w, size_t count)
{
    put_head(w, 5, count);
}

void ab_cbor_reader_init(ab_cbor_reader *r, const uint8_t *buf, size_t len)
{
    r->p = buf;
    r->end = buf + len;
}

ab_cbor_kind ab_cbor_peek(const ab_cbor_reader *r)
{
    uint8_t ib;
    if (r->p >= r->end) return AB_CBOR_END;
    ib = *r->p;
    switch (ib >> 5) {
    case 0: return AB_CBOR_UINT;
    case 1: return AB_CBOR_NINT;
    case 2: return AB_CBOR_BYTES;
    case 3: return AB_CBOR_TEXT;
    case 4: return AB_CBOR_ARRAY;
    case 5: return AB_CBOR_MAP;
    case 6: return AB_CBOR_TAG;
    default: break;
    }
    switch (ib & 0x1F) {
    case 20: return AB_CBOR_FALSE;
    case 21: return AB_CBOR_TRUE;
    case 22: return AB_CBOR_NULL;
    case 25:
    case 26:
    case 27: return AB_CBOR_FLOAT;
    default: return AB_CBOR_OTHER;
    }
}

/*
 * Reads the head at `*p`: major type and argument. For major type 7 the argument is the raw
 * float bits (or the simple value). Indefinite lengths (31) and reserved values (28-30) are
 * refused.
 */
static ab_status read_head(const ab_cbor_reader *r, const uint8_t **p, uint8_t *major,
                           uint64_t *arg)
{
    const uint8_t *q = r->p;
    uint8_t ai;
    size_t n;
    uint64_t v = 0;
    if (q >= r->end) return AB_E_TRUNCATED;
    *major = (uint8_t)(*q >> 5);
    ai = (uint8_t)(*q & 0x1F);
    q++;
    if (ai < 24) {
        *arg = ai;
        *p = q;
        return AB_OK;
    }
    if (ai > 27) return AB_E_UNSUPPORTED;
    n = (size_t)1 << (ai - 24);
    if ((size_t)(r->end - q) < n) return AB_E_TRUNCATED;
    while (n-- > 0) v = v << 8 | *q++;
    *arg = v;
    *p = q;
    return AB_OK;
}

/* Consumes a head of major type `want`. */
static ab_status take_head(ab_cbor_reader *r, uint8_t want, uint64_t *arg)
{
    const uint8_t *p;
    uint8_t major;
    ab_status s;
    if (r->p >= r->end) return AB_E_TRUNCATED;
    if ((*r->p >> 5) != want) return AB_E_TYPE;
    s = read_head(r, &p, &major, arg);
    if (s == AB_OK) r->p = p;
    return s;
}

ab_status ab_cbor_get_uint(ab_cbor_reader *r, uint64_t *v)
{
    return take_head(r, 0, v);
}

ab_status ab_cbor_get_int(ab_cbor_reader *r, int64_t *v)
{
    const uint8_t *p;
    uint8_t major;
    uint64_t arg;
    ab_status s;
    if (r->p >= r->end) return AB_E_TRUNCATED;
    if ((*r->p >> 5) > 1) return AB_E_TYPE;
    s = read_head(r, &p, &major, &arg);
    if (s != AB_OK) return s;
    if (arg > (uint64_t)INT64_MAX) return AB_E_RANGE;
    /* a negative integer's argument is -1 - value */
    *v = major == 0 ? (int64_t)arg : -1 - (int64_t)arg;
    r->p = p;
    return AB_OK;
}

/*
 * Widens IEEE 754 half (e=5, m=10) or single (e=8, m=23) bits to double bits without floating
 * point arithmetic, so that no soft-float routine is linked on FPU-less cores.
 */
static uint64_t widen(uint32_t bits, int ebits, int mbits)
{
    uint64_t sign = (uint64_t)(bits >> (ebits + mbits)) << 63;
    uint32_t emax = (1u << ebits) - 1u;
    uint32_t e = (bits >> mbits) & emax;
    uint64_t m = bits & ((1u << mbits) - 1u);
    int bias = (int)(emax >> 1);
    int64_t exp;
    if (e == emax) return sign | 0x7FF0000000000000u | (m << (52 - mbits));
    if (e == 0) {
        if (m == 0) return sign;
        /* subnormal: normalise the mantissa */
        exp = 1 - bias;
        while (!(m & ((uint64_t)1 << mbits))) {
            m <<= 1;
            exp--;
        }
        m &= ((uint64_t)1 << mbits) - 1u;
    } else {
        exp = (int64_t)e - bias;
    }
    return sign | (uint64_t)(exp + 1023) << 52 | (m << (52 - mbits));
}

ab_status ab_cbor_get_double(ab_cbor_reader *r, double *v)
{
    const uint8_t *p;
    uint8_t major;
    uint64_t arg;
    uint8_t ai;
    ab_status s;
    if (ab_cbor_peek(r) != AB_CBOR_FLOAT) return r->p >= r->end ? AB_E_TRUNCATED : AB_E_TYPE;
    ai = (uint8_t)(*r->p & 0x1F);
    s = read_head(r, &p, &major, &arg);
    if (s != AB_OK) return s;
    if (ai == 25) arg = widen((uint32_t)arg, 5, 10);
    else if (ai == 26) arg = widen((uint32_t)arg, 8, 23);
    memcpy(v, &arg, sizeof *v);
    r->p = p;
    return AB_OK;
}

ab_status ab_cbor_get_bool(ab_cbor_reader *r, int *v)
{
    if (r->p >= r->end) return AB_E_TRUNCATED;
    if (*r->p != 0xF4 && *r->p != 0xF5) return AB_E_TYPE;
    *v = *r->p++ == 0xF5;
    return AB_OK;
}

ab_status ab_cbor_get_null(ab_cbor_reader *r)
{
    if (r->p >= r->end) return AB_E_TRUNCATED;
    if (*r->p != 0xF6) return AB_E_TYPE;
    r->p++;
    return AB_OK;
}

static ab_status take_string(ab_cbor_reader *r, uint8_t major, const uint8_t **b, size_t *len)
{
    const uint8_t *start = r->p;
    uint64_t n;
    ab_status s = take_head(r, major, &n);
    if (s != AB_OK) return s;
    if (n > (uint64_t)(r->end - r->p)) {
        r->p = start;
        return AB_E_TRUNCATED;
    }
    *b = r->p;
    *len = (size_t)n;
    r->p += n;
    return AB_OK;
}

ab_status ab_cbor_get_text(ab_cbor_reader *r, const char **s, size_t *len)
{
    const uint8_t *b;
    ab_status st = take_string(r, 3, &b, len);
    if (st == AB_OK) *s = (const char *)b;
    return st;
}

ab_status ab_cbor_get_bytes(ab_cbor_reader *r, const uint8_t **b, size_t *len)
{
    return take_string(r, 2, b, len);
}

/* A container count beyond what the rest of the input could hold is truncated input. */
static ab_status take_count(ab_cbor_reader *r, uint8_t major, size_t *count)
{
    const uint8_t *start = r->p;
    uint64_t n;
    ab_status s = take_head(r, major, &n);
    if (s != AB_OK) return s;
    if (n > (uint64_t)(r->end - r->p)) {
        r->p = start;
        return AB_E_TRUNCATED;
    }
    *count = (size_t)n;
    return AB_OK;
}

ab_status ab_cbor_get_array(ab_cbor_reader *r, size_t *count)
{
    return take_count(r, 4, count);
}

ab_status ab_cbor_get_map(ab_cbor_reader *r, size_t *count)
{
    return take_count(r, 5, count);
}

ab_status ab_cbor_skip(ab_cbor_reader *r)
{
    /* items still to consume at each open level; the bottom level holds the one item asked */
    uint64_t pending[AB_CBOR_MAX_DEPTH + 1];
    int depth = 0;
    const uint8_t *start = r->p;
    ab_status s = AB_OK;
    pending[0] = 1;
    while (s == AB_OK) {
        const uint8_t *p;
        uint8_t major;
        uint64_t arg;
        while (pending[depth] == 0) {
            if (depth == 0) return AB_OK;
            depth--;
        }
        pending[depth]--;
        s = read_head(r, &p, &major, &arg);
        if (s != AB_OK) break;
        r->p = p;
        if (major == 6) {
            s = AB_E_UNSUPPORTED;
        } else if (major >= 2 && major <= 5 && arg > (uint64_t)(r->end - r->p)) {
            /* a string longer, or a container with more items, than the bytes left */
            s = AB_E_TRUNCATED;
        } else if (major == 2 || major == 3) {
            r->p += arg;
        } else if (major == 4 || major == 5) {
            if (depth == AB_CBOR_MAX_DEPTH) s = AB_E_DEPTH;
            else pending[++depth] = major == 5 ? arg * 2 : arg;
        }
    }
    r->p = start;
    return s;
}
