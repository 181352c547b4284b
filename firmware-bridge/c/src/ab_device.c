/*
 * The device: configuration, the clock, received frames dispatched by type, server data, and
 * the small unsequenced frames (ACK, NACK, PONG, PING, TIME).
 */
#include <string.h>

#include "ab_internal.h"

static uint32_t tick(ab_device *d)
{
    uint32_t now = d->cfg.millis(d->cfg.io);
    d->uptime += (uint32_t)(now - d->tick);
    d->tick = now;
    return now;
}

/* how many %{...} an endpoint has */
static uint8_t count_params(const char *endpoint)
{
    uint8_t n = 0;
    for (; *endpoint != '\0'; endpoint++) {
        if (endpoint[0] == '%' && endpoint[1] == '{') n++;
    }
    return n;
}

ab_status ab_init(ab_device *d, const ab_config *cfg)
{
    uint8_t i;
    memset(d, 0, sizeof *d);
    if (cfg->write == NULL || cfg->millis == NULL || cfg->interfaces == NULL ||
        cfg->interface_count == 0 || cfg->rx == NULL || cfg->hello == NULL ||
        cfg->hello_size < 16 || cfg->slots == NULL || cfg->slot_count < 2 ||
        cfg->slot_count > AB_MAX_SLOTS || cfg->slot_size < 16 || cfg->slot_size > 1024 ||
        cfg->rx_window > 4 || cfg->batch_samples > 22 ||
        (cfg->mapping_count > 0 && cfg->mappings == NULL)) {
        return AB_E_ARG;
    }
    d->cfg = *cfg;
    if (d->cfg.rx_window == 0) d->cfg.rx_window = 4;
    if (d->cfg.batch_samples == 0) d->cfg.batch_samples = 8;
    if (d->cfg.batch_ms == 0) d->cfg.batch_ms = 100;
    ab_frame_rx_init(&d->rx, cfg->rx, cfg->rx_size);
    if (ab_frame_rx_max(&d->rx) < 64) return AB_E_ARG;
    for (i = 0; i < cfg->mapping_count; i++) {
        ab_mapping *m = &cfg->mappings[i];
        if (m->endpoint == NULL || m->field_count > AB_MAX_FIELDS ||
            (m->field_count > 0 && m->fields == NULL)) {
            return AB_E_ARG;
        }
        m->index = -1;
        m->params = count_params(m->endpoint);
        if (m->params > AB_MAX_PARAMS) return AB_E_ARG;
    }
    d->tick = cfg->millis(cfg->io);
    d->tx_limit = cfg->slot_size;
    d->window = 1;
    d->rto = AB_RTO_MIN_MS;
    return AB_OK;
}

void ab__emit(ab_device *d, const uint8_t *frame, size_t len)
{
    ab_frame_write(d->cfg.write, d->cfg.io, frame, len);
    d->stats.frames_out++;
}

/* A frame without body, or a NACK with just its reason when `reason` > 0. */
void ab__control(ab_device *d, uint8_t type, uint8_t seq, int reason)
{
    uint8_t f[6];
    size_t n = 2;
    f[0] = type;
    f[1] = seq;
    if (reason > 0) {
        f[n++] = 0x81; /* [reason] */
        f[n++] = (uint8_t)reason; /* reason codes are below 24: one byte */
    }
    ab__emit(d, f, ab_frame_seal(f, n));
}

void ab__event(ab_device *d, ab_event_kind kind, uint8_t seq, uint8_t reason)
{
    ab_event e;
    if (d->cfg.on_event == NULL) return;
    memset(&e, 0, sizeof e);
    e.kind = kind;
    e.seq = seq;
    e.reason = reason;
    e.sample = -1;
    d->cfg.on_event(d->cfg.app, &e);
}

/* Times beyond 2^53 ms (year 287396) are no clock: refused, so the arithmetic never overflows. */
#define AB_MAX_EPOCH_MS ((uint64_t)1 << 53)

void ab__set_time(ab_device *d, uint64_t epoch_ms)
{
    if (epoch_ms > AB_MAX_EPOCH_MS) {
        d->stats.malformed++;
        return;
    }
    d->epoch_offset = (int64_t)epoch_ms - (int64_t)d->uptime;
    d->time_known = 1;
    ab__event(d, AB_EV_TIME, 0, 0);
}

int ab_ready(const ab_device *d)
{
    return d->state == AB_ST_READY;
}

int64_t ab_now(ab_device *d)
{
    tick(d);
    return d->time_known ? d->epoch_offset + (int64_t)d->uptime : -1;
}

unsigned ab_pending(const ab_device *d)
{
    return (unsigned)d->count + d->open;
}

const char *ab_device_id(const ab_device *d)
{
    return d->device_id;
}

void ab_request_time(ab_device *d)
{
    ab__control(d, AB_MSG_TIME, 0, 0);
}

static const ab_mapping *find_mapping(const ab_device *d, uint64_t index)
{
    uint8_t i;
    for (i = 0; i < d->cfg.mapping_count; i++) {
        if (d->cfg.mappings[i].index >= 0 && (uint64_t)d->cfg.mappings[i].index == index) {
            return &d->cfg.mappings[i];
        }
    }
    return NULL;
}

/* target := m | [m, p1, ...] (PROTOCOL.md §3.4); returns 0 or a NACK reason */
static int read_target(const ab_device *d, ab_cbor_reader *r, ab_server_data *sd)
{
    uint64_t index;
    size_t n = 0;
    size_t i;
    if (ab_cbor_peek(r) == AB_CBOR_ARRAY) {
        if (ab_cbor_get_array(r, &n) != AB_OK || n == 0 || n - 1 > AB_MAX_PARAMS) {
            return AB_NACK_MALFORMED;
        }
        n--;
    }
    if (ab_cbor_get_uint(r, &index) != AB_OK) return AB_NACK_MALFORMED;
    for (i = 0; i < n; i++) {
        if (ab_cbor_get_text(r, &sd->param[i], &sd->param_len[i]) != AB_OK) {
            return AB_NACK_MALFORMED;
        }
    }
    sd->param_count = (uint8_t)n;
    sd->mapping = find_mapping(d, index);
    if (sd->mapping == NULL || sd->mapping->params != n) return AB_NACK_UNKNOWN_MAPPING;
    return 0;
}

/* SERVER_DATA body: [target, value] or [target] (PROTOCOL.md §3.7) */
static int take_server_data(ab_device *d, ab_cbor_reader *r)
{
    ab_server_data sd;
    size_t n;
    int reason;
    memset(&sd, 0, sizeof sd);
    if (ab_cbor_get_array(r, &n) != AB_OK || n < 1 || n > 2) return AB_NACK_MALFORMED;
    reason = read_target(d, r, &sd);
    if (reason != 0) return reason;
    sd.unset = n == 1;
    if (!sd.unset) {
        sd.raw = *r;
        if (sd.mapping->type == AB_T_OBJECT) {
            sd.value.type = AB_T_OBJECT;
            if (ab_cbor_peek(r) != AB_CBOR_MAP) return AB_NACK_TYPE_MISMATCH;
        } else if (ab_value_get(r, (ab_type)sd.mapping->type, &sd.value) != AB_OK) {
            return AB_NACK_TYPE_MISMATCH;
        }
    }
    if (d->cfg.on_server_data == NULL) return AB_NACK_UNKNOWN_MAPPING;
    return d->cfg.on_server_data(d->cfg.app, &sd);
}

static void handle_server_data(ab_device *d, uint8_t seq, ab_cbor_reader *body)
{
    uint8_t behind = (uint8_t)(d->expected - seq);
    int reason;
    if (d->state != AB_ST_READY) {
        ab__control(d, AB_MSG_NACK, seq, AB_NACK_NO_SESSION);
        return;
    }
    if (behind != 0) {
        /* a duplicate (our ACK was lost) is acknowledged again; a frame ahead of a lost one is
           dropped, the host goes back to it */
        if (behind <= 128) ab__control(d, AB_MSG_ACK, (uint8_t)(d->expected - 1u), 0);
        return;
    }
    reason = take_server_data(d, body);
    if (reason != AB_NACK_BUSY && reason != AB_NACK_INTERNAL) d->expected++;
    ab__control(d, reason == 0 ? AB_MSG_ACK : AB_MSG_NACK, seq, reason);
}

/* Body: nothing, or exactly one well-formed item. */
static int well_formed(const uint8_t *body, size_t len)
{
    ab_cbor_reader r;
    if (len == 0) return 1;
    ab_cbor_reader_init(&r, body, len);
    return ab_cbor_skip(&r) == AB_OK && r.p == r.end;
}

static void handle_frame(ab_device *d, const uint8_t *f, size_t len)
{
    uint8_t type = f[0];
    uint8_t seq = f[1];
    ab_cbor_reader body;
    uint64_t time;
    ab_cbor_reader_init(&body, f + 2, len - 2);
    if (!well_formed(f + 2, len - 2)) {
        d->stats.malformed++;
        return;
    }
    switch (type) {
    case AB_MSG_HELLO_ACK:
        if (d->state == AB_ST_HELLO && seq == d->hello_token) ab__handle_hello_ack(d, &body);
        break;
    case AB_MSG_ACK: ab__handle_ack(d, seq); break;
    case AB_MSG_NACK: ab__handle_nack(d, seq, &body); break;
    case AB_MSG_PING: ab__control(d, AB_MSG_PONG, seq, 0); break;
    case AB_MSG_PONG: break;
    case AB_MSG_TIME:
        if (ab_cbor_get_uint(&body, &time) == AB_OK) ab__set_time(d, time);
        else d->stats.malformed++;
        break;
    case AB_MSG_SERVER_DATA: handle_server_data(d, seq, &body); break;
    default: ab__control(d, AB_MSG_NACK, seq, AB_NACK_UNKNOWN_TYPE); break;
    }
}

void ab_feed(ab_device *d, const uint8_t *data, size_t len)
{
    tick(d);
    while (len > 0 && d->state != AB_ST_STOPPED) {
        ab_frame_result r;
        size_t used = ab_frame_rx_push(&d->rx, data, len, &r);
        data += used;
        len -= used;
        if (r.status == AB_FRAME_MORE) break;
        if (r.status == AB_E_OVERFLOW) {
            d->stats.oversize++;
        } else if (r.status != AB_OK) {
            d->stats.bad_frames++;
        } else {
            d->stats.frames_in++;
            d->last_heard = d->tick;
            handle_frame(d, r.frame, r.len);
        }
    }
}

void ab_poll(ab_device *d)
{
    uint32_t now = tick(d);
    if (d->state == AB_ST_STOPPED) return;
    if (d->hello_token == 0) {
        /* first poll after boot: flush whatever half frame the host holds, then HELLO */
        static const uint8_t flush = 0;
        d->cfg.write(d->cfg.io, &flush, 1);
        ab__start_hello(d);
    } else if (d->state == AB_ST_HELLO) {
        if (AB_DUE(now, d->hello_at + AB_HELLO_EVERY_MS)) ab__send_hello(d);
    } else if (AB_DUE(now, d->last_heard + AB_LOST_AFTER_MS)) {
        ab__event(d, AB_EV_LINK_LOST, 0, 0);
        ab__start_hello(d);
    } else if (AB_DUE(now, d->last_heard + AB_PING_AFTER_MS) &&
               AB_DUE(now, d->ping_at + AB_PING_AFTER_MS)) {
        d->ping_at = now;
        ab__control(d, AB_MSG_PING, (uint8_t)now, 0);
    }
    ab__queue_poll(d);
}
