/*
 * The session (PROTOCOL.md §3.1-3.3): HELLO every second until the host's HELLO_ACK frames have
 * delivered the whole index table, whose entries resolve the application's mappings.
 */
#include <string.h>

#include "ab_internal.h"

void ab__start_hello(ab_device *d)
{
    /* a new token for each new HELLO sequence; 0 stays "never said HELLO" */
    if (++d->hello_token == 0) d->hello_token = 1;
    d->state = AB_ST_HELLO;
    d->table_next = 0;
    d->sent = 0;
    d->host_max_frame = 1024;
    d->host_window = 4;
    ab__send_hello(d);
}

void ab__send_hello(ab_device *d)
{
    const ab_config *c = &d->cfg;
    ab_cbor_writer w;
    uint8_t i;
    ab_cbor_writer_init(&w, c->hello, c->hello_size - 2);
    w.len = 2;
    if (w.cap < 2) return;
    c->hello[0] = AB_MSG_HELLO;
    c->hello[1] = d->hello_token;
    ab_cbor_put_map(&w, 7u + (c->identity != NULL) + (c->firmware != NULL));
    ab_cbor_put_uint(&w, 0);
    ab_cbor_put_uint(&w, AB_PROTOCOL_VERSION);
    ab_cbor_put_uint(&w, 1);
    ab_cbor_put_uint(&w, c->boot_counter);
    if (c->identity != NULL) {
        ab_cbor_put_uint(&w, 2);
        ab_cbor_put_cstr(&w, c->identity);
    }
    ab_cbor_put_uint(&w, 3);
    ab_cbor_put_array(&w, c->interface_count);
    for (i = 0; i < c->interface_count; i++) ab_cbor_put_cstr(&w, c->interfaces[i]);
    ab_cbor_put_uint(&w, 4);
    ab_cbor_put_uint(&w, ab_frame_rx_max(&d->rx));
    ab_cbor_put_uint(&w, 5);
    ab_cbor_put_uint(&w, c->rx_window);
    ab_cbor_put_uint(&w, 7);
    ab_cbor_put_uint(&w, d->oldest);
    ab_cbor_put_uint(&w, 8);
    ab_cbor_put_uint(&w, d->expected);
    if (c->firmware != NULL) {
        ab_cbor_put_uint(&w, 9);
        ab_cbor_put_cstr(&w, c->firmware);
    }
    d->hello_at = d->tick;
    /* a HELLO that does not fit the buffer is a configuration error: nothing goes out */
    if (w.status == AB_OK) ab__emit(d, c->hello, ab_frame_seal(c->hello, w.len));
}

static int text_is(const char *s, size_t len, const char *want)
{
    return strlen(want) == len && memcmp(s, want, len) == 0;
}

/* [[field, typeCode], ...] of an object entry, into the mapping's field tables */
static ab_status read_fields(ab_cbor_reader *r, ab_mapping *m)
{
    size_t n;
    size_t i;
    ab_status s = ab_cbor_get_array(r, &n);
    for (i = 0; s == AB_OK && i < n; i++) {
        size_t pair;
        const char *name;
        size_t len;
        uint64_t type;
        uint8_t k;
        if (ab_cbor_get_array(r, &pair) != AB_OK || pair != 2 ||
            ab_cbor_get_text(r, &name, &len) != AB_OK || ab_cbor_get_uint(r, &type) != AB_OK) {
            return AB_E_MESSAGE;
        }
        for (k = 0; m != NULL && k < m->field_count; k++) {
            if (text_is(name, len, m->fields[k]) && i < 0xFF) {
                m->field_index[k] = (uint8_t)i;
                m->field_type[k] = (uint8_t)type;
            }
        }
    }
    return s;
}

/* One table entry [interfaceIndex, endpoint, typeCode | fields] as mapping index `index`. */
static ab_status read_entry(ab_device *d, ab_cbor_reader *r, uint16_t index)
{
    size_t n;
    uint64_t iface;
    const char *endpoint;
    size_t len;
    ab_mapping *m = NULL;
    uint8_t i;
    if (ab_cbor_get_array(r, &n) != AB_OK || n != 3 || ab_cbor_get_uint(r, &iface) != AB_OK ||
        ab_cbor_get_text(r, &endpoint, &len) != AB_OK) {
        return AB_E_MESSAGE;
    }
    for (i = 0; i < d->cfg.mapping_count; i++) {
        ab_mapping *c = &d->cfg.mappings[i];
        if (c->interface == iface && text_is(endpoint, len, c->endpoint)) m = c;
    }
    if (ab_cbor_peek(r) == AB_CBOR_ARRAY) {
        if (m != NULL) {
            m->index = (int16_t)index;
            m->type = AB_T_OBJECT;
        }
        return read_fields(r, m);
    } else {
        uint64_t type;
        if (ab_cbor_get_uint(r, &type) != AB_OK || type > AB_T_DATETIMEARRAY) return AB_E_MESSAGE;
        if (m != NULL) {
            m->index = (int16_t)index;
            m->type = (uint8_t)type;
        }
    }
    return AB_OK;
}

static void forget_table(ab_device *d)
{
    uint8_t i;
    for (i = 0; i < d->cfg.mapping_count; i++) {
        ab_mapping *m = &d->cfg.mappings[i];
        m->index = -1;
        memset(m->field_index, 0xFF, sizeof m->field_index);
    }
}

static void established(ab_device *d)
{
    d->state = AB_ST_READY;
    d->stats.sessions++;
    d->expected = d->host_next_seq;
    d->window = d->host_window == 0 ? 1 : d->host_window;
    if (d->window > d->cfg.slot_count) d->window = d->cfg.slot_count;
    d->tx_limit = d->cfg.slot_size < d->host_max_frame ? d->cfg.slot_size : d->host_max_frame;
    d->last_heard = d->tick;
    d->ping_at = d->tick;
    ab__event(d, AB_EV_READY, 0, 0);
    ab__resume(d, d->host_expects);
}

/*
 * HELLO_ACK map (PROTOCOL.md §3.3). Keys may come in any order, so the scalars are read first
 * and the table entries (key 4) in a second pass, once key 3 says where they start.
 */
void ab__handle_hello_ack(ab_device *d, ab_cbor_reader *body)
{
    ab_cbor_reader r = *body;
    ab_cbor_reader entries;
    size_t n;
    size_t i;
    uint64_t first = 0xFFFF;
    uint64_t total = 0xFFFF;
    uint64_t time = 0;
    int has_time = 0;
    int has_entries = 0;
    if (ab_cbor_get_map(&r, &n) != AB_OK) goto malformed;
    for (i = 0; i < n; i++) {
        uint64_t key;
        uint64_t v = 0;
        if (ab_cbor_get_uint(&r, &key) != AB_OK) goto malformed;
        if (key == 1) {
            const char *id;
            size_t len;
            if (ab_cbor_get_text(&r, &id, &len) != AB_OK || len >= sizeof d->device_id) {
                goto malformed;
            }
            memcpy(d->device_id, id, len);
            d->device_id[len] = '\0';
            continue;
        }
        if (key == 4) {
            entries = r;
            has_entries = 1;
            if (ab_cbor_skip(&r) != AB_OK) goto malformed;
            continue;
        }
        if (key > 10 || key == 9) {
            if (ab_cbor_skip(&r) != AB_OK) goto malformed;
            continue;
        }
        if (ab_cbor_get_uint(&r, &v) != AB_OK) goto malformed;
        switch (key) {
        case 0:
            if (v != AB_PROTOCOL_VERSION) goto malformed;
            break;
        case 2:
            time = v;
            has_time = 1;
            break;
        case 3: first = v; break;
        case 5: total = v; break;
        case 6: d->host_max_frame = v > 1024 ? 1024 : v < 16 ? 16 : (uint16_t)v; break;
        case 7: d->host_next_seq = (uint8_t)v; break;
        case 8: d->host_expects = (uint8_t)v; break;
        case 10: d->host_window = v > AB_MAX_SLOTS ? AB_MAX_SLOTS : (uint8_t)v; break;
        default: break;
        }
    }
    if (!has_entries || total == 0xFFFF || first == 0xFFFF) goto malformed;
    if (has_time) ab__set_time(d, time);
    /* a part out of order waits for the next HELLO, which makes the host send them all again */
    if (first != d->table_next) return;
    if (first == 0) forget_table(d);
    if (ab_cbor_get_array(&entries, &n) != AB_OK || first + n > 0xFFFF) goto malformed;
    for (i = 0; i < n; i++) {
        if (read_entry(d, &entries, (uint16_t)(first + i)) != AB_OK) goto malformed;
    }
    d->table_next = (uint16_t)(first + n);
    if (d->table_next >= total) established(d);
    return;
malformed:
    d->stats.malformed++;
}
