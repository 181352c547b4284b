/*
 * The outgoing queue (PROTOCOL.md §3.5-3.6 and §4): sealed frames in caller slots, in sequence
 * order, the first `window` of them on the line; go-back-N retransmission with a doubling
 * timeout; SEND batches filled in place in the slot after the queue.
 */
#include <string.h>

#include "ab_internal.h"

static uint8_t *slot(const ab_device *d, unsigned i)
{
    return d->cfg.slots + ((d->head + i) % d->cfg.slot_count) * d->cfg.slot_size;
}

static uint16_t *slot_len(ab_device *d, unsigned i)
{
    return &d->slot_len[(d->head + i) % d->cfg.slot_count];
}

static void transmit(ab_device *d, unsigned i)
{
    ab__emit(d, slot(d, i), *slot_len(d, i));
}

void ab__pump(ab_device *d)
{
    if (d->state != AB_ST_READY) return;
    while (d->sent < d->count && d->sent < d->window) {
        if (d->sent == 0) d->rto_at = d->tick + d->rto;
        transmit(d, d->sent++);
    }
}

/* Forgets the `n` oldest frames (acknowledged, or refused for good). */
static void drop(ab_device *d, uint8_t n)
{
    d->head = (uint8_t)((d->head + n) % d->cfg.slot_count);
    d->count = (uint8_t)(d->count - n);
    d->sent = (uint8_t)(d->sent > n ? d->sent - n : 0);
    d->oldest = (uint8_t)(d->oldest + n);
}

/* Seals the frame built in the slot after the queue (seq assigned now) and queues it. */
static void enqueue(ab_device *d, size_t len)
{
    uint8_t *f = slot(d, d->count);
    f[1] = (uint8_t)(d->oldest + d->count);
    *slot_len(d, d->count) = (uint16_t)ab_frame_seal(f, len);
    d->count++;
    ab__pump(d);
}

static void close_batch(ab_device *d)
{
    if (!d->open) return;
    d->open = 0;
    /* the body array [t0, samples...] holds at most 23 items: its header is one byte */
    slot(d, d->count)[2] = (uint8_t)(0x80u | (1u + d->open_samples));
    enqueue(d, *slot_len(d, d->count));
}

void ab_flush(ab_device *d)
{
    close_batch(d);
}

void ab__resume(ab_device *d, uint8_t host_expects)
{
    uint8_t received = (uint8_t)(host_expects - d->oldest);
    d->sent = 0;
    d->retries = 0;
    d->rto = AB_RTO_MIN_MS;
    if (received <= d->count) {
        /* those reached the host before it lost the session; only their ACK was lost */
        drop(d, received);
    } else {
        /* the host expects a number outside what we hold: renumber the queue from it */
        unsigned i;
        d->oldest = host_expects;
        for (i = 0; i < d->count; i++) {
            uint8_t *f = slot(d, i);
            f[1] = (uint8_t)(host_expects + i);
            ab_frame_seal(f, *slot_len(d, i) - 2u);
        }
    }
    ab__pump(d);
}

void ab__queue_poll(ab_device *d)
{
    if (d->open && AB_DUE(d->tick, d->open_since + d->cfg.batch_ms)) close_batch(d);
    if (d->state != AB_ST_READY || d->sent == 0 || !AB_DUE(d->tick, d->rto_at)) return;
    if (d->retries >= AB_MAX_RETRIES) {
        ab__event(d, AB_EV_LINK_LOST, 0, 0);
        ab__start_hello(d);
        return;
    }
    {
        /* go-back-N: everything on the line again, oldest first */
        unsigned i;
        for (i = 0; i < d->sent; i++) transmit(d, i);
        d->stats.retransmissions += d->sent;
    }
    d->retries++;
    d->rto = (uint16_t)(d->rto * 2u > AB_RTO_MAX_MS ? AB_RTO_MAX_MS : d->rto * 2u);
    d->rto_at = d->tick + d->rto;
}

void ab__handle_ack(ab_device *d, uint8_t seq)
{
    uint8_t k = (uint8_t)(seq - d->oldest);
    if (k >= d->sent) return;
    drop(d, (uint8_t)(k + 1u));
    d->retries = 0;
    d->rto = AB_RTO_MIN_MS;
    d->rto_at = d->tick + d->rto;
    ab__pump(d);
}

void ab__handle_nack(ab_device *d, uint8_t seq, ab_cbor_reader *body)
{
    uint8_t k = (uint8_t)(seq - d->oldest);
    uint64_t reason;
    size_t n;
    ab_event e;
    d->stats.nacks_in++;
    if (ab_cbor_get_array(body, &n) != AB_OK || n < 1 || ab_cbor_get_uint(body, &reason) != AB_OK) {
        d->stats.malformed++;
        return;
    }
    if (d->state == AB_ST_HELLO) {
        /* a refused HELLO: a version or interface mismatch will not heal by itself */
        if (seq == d->hello_token &&
            (reason == AB_NACK_UNKNOWN_INTERFACE || reason == AB_NACK_VERSION)) {
            d->state = AB_ST_STOPPED;
            ab__event(d, AB_EV_STOPPED, seq, (uint8_t)reason);
        }
        return;
    }
    if (reason == AB_NACK_NO_SESSION) {
        /* the host restarted: nothing counts as delivered; HELLO says where we stand */
        ab__start_hello(d);
        return;
    }
    if (k >= d->sent) return;
    if (reason == AB_NACK_BUSY || reason == AB_NACK_INTERNAL) {
        drop(d, k);
        d->rto_at = d->tick + AB_RETRY_LATER_MS;
        return;
    }
    drop(d, (uint8_t)(k + 1u));
    if (d->cfg.on_event != NULL) {
        /* detail: text, or [sampleIndex, text] for a SEND */
        memset(&e, 0, sizeof e);
        e.kind = AB_EV_REFUSED;
        e.seq = seq;
        e.reason = (uint8_t)reason;
        e.sample = -1;
        if (n > 1) {
            size_t pair;
            uint64_t sample;
            if (ab_cbor_get_array(body, &pair) == AB_OK && pair == 2 &&
                ab_cbor_get_uint(body, &sample) == AB_OK && sample < 0x7FFF) {
                e.sample = (int)sample;
            }
            if (ab_cbor_get_text(body, &e.detail, &e.detail_len) != AB_OK) e.detail = NULL;
        }
        d->cfg.on_event(d->cfg.app, &e);
    }
    ab__pump(d);
}

/*
 * Starts a frame of `type` in the slot after the queue, writing type and a seq placeholder.
 * Returns 0 when every slot is taken.
 */
static int begin(ab_device *d, uint8_t type, ab_cbor_writer *w)
{
    uint8_t *f;
    if (d->count >= d->cfg.slot_count) return 0;
    f = slot(d, d->count);
    f[0] = type;
    f[1] = 0;
    /* room for the CRC */
    ab_cbor_writer_init(w, f, d->tx_limit - 2u);
    w->len = 2;
    return 1;
}

static ab_status check_mapping(const ab_mapping *m, const char *const *params)
{
    if (m == NULL || (m->params > 0 && params == NULL)) return AB_E_ARG;
    if (m->index < 0) return AB_E_STATE;
    return AB_OK;
}

static void put_target(ab_cbor_writer *w, const ab_mapping *m, const char *const *params)
{
    uint8_t i;
    if (m->params > 0) {
        ab_cbor_put_array(w, 1u + m->params);
        ab_cbor_put_uint(w, (uint64_t)m->index);
        for (i = 0; i < m->params; i++) ab_cbor_put_cstr(w, params[i]);
    } else {
        ab_cbor_put_uint(w, (uint64_t)m->index);
    }
}

/* An object: the map from field index to value, in ascending field index order. */
static void put_object(ab_cbor_writer *w, const ab_mapping *m, const ab_value *values)
{
    unsigned done = 0;
    int last = -1;
    ab_cbor_put_map(w, m->field_count);
    while (done < m->field_count) {
        uint8_t k;
        uint8_t pick = 0;
        int best = 0x100;
        for (k = 0; k < m->field_count; k++) {
            if (m->field_index[k] > last && m->field_index[k] < best) {
                best = m->field_index[k];
                pick = k;
            }
        }
        ab_cbor_put_uint(w, (uint64_t)best);
        ab_value_put(w, &values[pick]);
        last = best;
        done++;
    }
}

static ab_status check_object(const ab_mapping *m, const ab_value *values)
{
    uint8_t k;
    uint8_t j;
    if (m->type != AB_T_OBJECT) return AB_E_TYPE;
    for (k = 0; k < m->field_count; k++) {
        if (m->field_index[k] == 0xFF) return AB_E_STATE;
        if (values[k].type != m->field_type[k]) return AB_E_TYPE;
        for (j = 0; j < k; j++) {
            if (m->field_index[j] == m->field_index[k]) return AB_E_ARG;
        }
    }
    return AB_OK;
}

/* One sample, [target, value, dt] or [target, value], into the open batch. */
static ab_status add_sample(ab_device *d, const ab_mapping *m, const char *const *params,
                            const ab_value *value, int64_t ts)
{
    ab_cbor_writer w;
    int timed = ts >= 0;
    if (d->open && (timed != d->open_timed || d->open_samples >= d->cfg.batch_samples)) {
        close_batch(d);
    }
    if (!d->open) {
        if (!begin(d, AB_MSG_SEND, &w)) return AB_E_BUSY;
        ab_cbor_put_array(&w, 1); /* patched when the batch closes */
        if (timed) ab_cbor_put_uint(&w, (uint64_t)ts);
        else ab_cbor_put_null(&w);
        if (w.status != AB_OK) return AB_E_NOSPACE;
        d->open = 1;
        d->open_samples = 0;
        d->open_timed = (uint8_t)timed;
        d->open_last_ts = ts;
        d->open_since = d->tick;
    } else {
        ab_cbor_writer_init(&w, slot(d, d->count), d->tx_limit - 2u);
        w.len = *slot_len(d, d->count);
    }
    ab_cbor_put_array(&w, timed ? 3 : 2);
    put_target(&w, m, params);
    if (m->type == AB_T_OBJECT) put_object(&w, m, value);
    else ab_value_put(&w, value);
    if (timed) ab_cbor_put_int(&w, ts - d->open_last_ts);
    if (w.status != AB_OK) {
        if (d->open_samples == 0) {
            d->open = 0;
            return AB_E_NOSPACE;
        }
        /* this batch is full: the sample opens the next one */
        close_batch(d);
        return add_sample(d, m, params, value, ts);
    }
    *slot_len(d, d->count) = (uint16_t)w.len;
    d->open_samples++;
    d->open_last_ts = ts;
    if (d->open_samples >= d->cfg.batch_samples) close_batch(d);
    return AB_OK;
}

static int64_t resolve_time(ab_device *d, int64_t timestamp)
{
    return timestamp == AB_TS_NOW ? ab_now(d) : timestamp;
}

ab_status ab_send(ab_device *d, const ab_mapping *m, const char *const *params,
                  const ab_value *value, int64_t timestamp)
{
    ab_status s = check_mapping(m, params);
    if (s != AB_OK) return s;
    if (m->type == AB_T_OBJECT || value->type != m->type) return AB_E_TYPE;
    return add_sample(d, m, params, value, resolve_time(d, timestamp));
}

ab_status ab_send_object(ab_device *d, const ab_mapping *m, const char *const *params,
                         const ab_value *values, int64_t timestamp)
{
    ab_status s = check_mapping(m, params);
    if (s == AB_OK) s = check_object(m, values);
    if (s != AB_OK) return s;
    return add_sample(d, m, params, values, resolve_time(d, timestamp));
}

/* SET [target, value] or UNSET [target]: closes the open batch first, so order is kept. */
static ab_status property(ab_device *d, const ab_mapping *m, const char *const *params,
                          const ab_value *value)
{
    ab_cbor_writer w;
    ab_status s = check_mapping(m, params);
    if (s != AB_OK) return s;
    if (value != NULL && (m->type == AB_T_OBJECT || value->type != m->type)) return AB_E_TYPE;
    close_batch(d);
    if (!begin(d, value != NULL ? AB_MSG_SET : AB_MSG_UNSET, &w)) return AB_E_BUSY;
    ab_cbor_put_array(&w, value != NULL ? 2 : 1);
    put_target(&w, m, params);
    if (value != NULL) ab_value_put(&w, value);
    if (w.status != AB_OK) return AB_E_NOSPACE;
    enqueue(d, w.len);
    return AB_OK;
}

ab_status ab_set(ab_device *d, const ab_mapping *m, const char *const *params,
                 const ab_value *value)
{
    return value == NULL ? AB_E_ARG : property(d, m, params, value);
}

ab_status ab_unset(ab_device *d, const ab_mapping *m, const char *const *params)
{
    return property(d, m, params, NULL);
}
