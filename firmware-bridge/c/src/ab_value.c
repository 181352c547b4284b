#include "ab_value.h"

#include <string.h>

static ab_value make(ab_type type)
{
    ab_value v;
    memset(&v, 0, sizeof v);
    v.type = type;
    return v;
}

ab_value ab_double(double d)
{
    ab_value v = make(AB_T_DOUBLE);
    v.as.d = d;
    return v;
}

ab_value ab_integer(int32_t i)
{
    ab_value v = make(AB_T_INTEGER);
    v.as.i = i;
    return v;
}

ab_value ab_boolean(int b)
{
    ab_value v = make(AB_T_BOOLEAN);
    v.as.b = b != 0;
    return v;
}

ab_value ab_longinteger(int64_t l)
{
    ab_value v = make(AB_T_LONGINTEGER);
    v.as.l = l;
    return v;
}

ab_value ab_datetime(int64_t ms)
{
    ab_value v = make(AB_T_DATETIME);
    v.as.l = ms;
    return v;
}

ab_value ab_string(const char *s)
{
    ab_value v = make(AB_T_STRING);
    v.as.s.data = s;
    v.as.s.len = strlen(s);
    return v;
}

ab_value ab_blob(const void *data, size_t len)
{
    ab_value v = make(AB_T_BINARYBLOB);
    v.as.s.data = data;
    v.as.s.len = len;
    return v;
}

ab_value ab_array(ab_type type, const void *items, size_t count)
{
    ab_value v = make(type);
    v.as.a.items = items;
    v.as.a.count = count;
    return v;
}

/* One element of type `t` (a scalar code) at `p`. */
static void put_scalar(ab_cbor_writer *w, int t, const void *p)
{
    switch (t) {
    case AB_T_DOUBLE: ab_cbor_put_double(w, *(const double *)p); break;
    case AB_T_INTEGER: ab_cbor_put_int(w, *(const int32_t *)p); break;
    case AB_T_BOOLEAN: ab_cbor_put_bool(w, *(const uint8_t *)p); break;
    case AB_T_STRING:
        ab_cbor_put_text(w, ((const ab_bytes *)p)->data, ((const ab_bytes *)p)->len);
        break;
    case AB_T_BINARYBLOB:
        ab_cbor_put_bytes(w, ((const ab_bytes *)p)->data, ((const ab_bytes *)p)->len);
        break;
    default: ab_cbor_put_int(w, *(const int64_t *)p); break;
    }
}

static size_t element_size(int t)
{
    switch (t) {
    case AB_T_DOUBLE: return sizeof(double);
    case AB_T_INTEGER: return sizeof(int32_t);
    case AB_T_BOOLEAN: return 1;
    case AB_T_STRING:
    case AB_T_BINARYBLOB: return sizeof(ab_bytes);
    default: return sizeof(int64_t);
    }
}

void ab_value_put(ab_cbor_writer *w, const ab_value *v)
{
    if (v->type >= AB_T_DOUBLEARRAY) {
        int t = (int)v->type - 8;
        size_t size = element_size(t);
        size_t i;
        const uint8_t *p = v->as.a.items;
        ab_cbor_put_array(w, v->as.a.count);
        for (i = 0; i < v->as.a.count; i++) put_scalar(w, t, p + i * size);
    } else if (v->type == AB_T_BOOLEAN) {
        ab_cbor_put_bool(w, v->as.b);
    } else if (v->type == AB_T_INTEGER) {
        ab_cbor_put_int(w, v->as.i);
    } else {
        /* double, longinteger, datetime, string and blob sit where put_scalar reads them */
        put_scalar(w, (int)v->type, &v->as);
    }
}

/* Finite: the exponent bits are not all ones (tested on the bits, so no soft-float routine). */
static int finite(double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return (bits & 0x7FF0000000000000u) != 0x7FF0000000000000u;
}

ab_status ab_value_get(ab_cbor_reader *r, ab_type type, ab_value *v)
{
    ab_status s;
    int64_t l = 0;
    const char *text = NULL;
    const uint8_t *bytes = NULL;
    *v = make(type);
    switch (type) {
    case AB_T_DOUBLE:
        if (ab_cbor_peek(r) == AB_CBOR_UINT || ab_cbor_peek(r) == AB_CBOR_NINT) {
            s = ab_cbor_get_int(r, &l);
            v->as.d = (double)l;
            return s;
        }
        s = ab_cbor_get_double(r, &v->as.d);
        return s == AB_OK && !finite(v->as.d) ? AB_E_RANGE : s;
    case AB_T_INTEGER:
        s = ab_cbor_get_int(r, &l);
        if (s == AB_OK && (l < INT32_MIN || l > INT32_MAX)) return AB_E_RANGE;
        v->as.i = (int32_t)l;
        return s;
    case AB_T_BOOLEAN: return ab_cbor_get_bool(r, &v->as.b);
    case AB_T_LONGINTEGER:
    case AB_T_DATETIME: return ab_cbor_get_int(r, &v->as.l);
    case AB_T_STRING:
        s = ab_cbor_get_text(r, &text, &v->as.s.len);
        v->as.s.data = text;
        return s;
    case AB_T_BINARYBLOB:
        s = ab_cbor_get_bytes(r, &bytes, &v->as.s.len);
        v->as.s.data = bytes;
        return s;
    default:
        if (type < AB_T_DOUBLEARRAY || type > AB_T_DATETIMEARRAY) return AB_E_TYPE;
        s = ab_cbor_get_array(r, &v->as.a.count);
        v->as.a.items = r->p;
        return s;
    }
}
