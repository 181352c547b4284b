#include "fake.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tests.h"

void fake_write(void *ctx, const uint8_t *data, size_t len)
{
    fake_io *io = ctx;
    if (len > sizeof io->out - io->out_len) abort();
    memcpy(io->out + io->out_len, data, len);
    io->out_len += len;
}

uint32_t fake_millis(void *ctx)
{
    return ((fake_io *)ctx)->now;
}

size_t fake_take(fake_io *io, fake_frame *frames, size_t max)
{
    static uint8_t buf[AB_RX_BUFFER_SIZE(1100)];
    ab_frame_rx rx;
    size_t n = 0;
    size_t at = 0;
    ab_frame_rx_init(&rx, buf, sizeof buf);
    while (at < io->out_len) {
        ab_frame_result r;
        at += ab_frame_rx_push(&rx, io->out + at, io->out_len - at, &r);
        if (r.status == AB_FRAME_MORE) break;
        CHECK_EQ_INT(r.status, AB_OK);
        if (r.status == AB_OK && n < max) {
            memcpy(frames[n].bytes, r.frame, r.len);
            frames[n].len = r.len;
            n++;
        }
    }
    CHECK_EQ_INT(rx.len, 0); /* nothing half written */
    io->out_len = 0;
    return n;
}

static int on_data(void *ctx, const ab_server_data *data)
{
    fake_board *b = ctx;
    b->last_data = *data;
    b->data_calls++;
    if (!data->unset && data->value.type == AB_T_DOUBLE) b->last_double = data->value.as.d;
    return b->data_answer;
}

static void on_event(void *ctx, const ab_event *e)
{
    fake_board *b = ctx;
    b->last_event = *e;
    if ((unsigned)e->kind < 8) b->events[e->kind]++;
}

static const char *const interfaces[] = {
    "org.astarte-ts.bridge.Sensor:1:0",
    "org.astarte-ts.bridge.Status:1:0",
    "org.astarte-ts.bridge.Setpoint:1:0",
    "org.astarte-ts.bridge.Air:1:0",
};
static const char *const air_fields[] = {"temperature", "humidity"};

void fake_board_init(fake_board *b)
{
    memset(b, 0, sizeof *b);
    b->map[M_TEMPERATURE].interface = 0;
    b->map[M_TEMPERATURE].endpoint = "/temperature";
    b->map[M_UPTIME].interface = 0;
    b->map[M_UPTIME].endpoint = "/uptime";
    b->map[M_FIRMWARE].interface = 1;
    b->map[M_FIRMWARE].endpoint = "/firmware";
    b->map[M_PERIOD].interface = 1;
    b->map[M_PERIOD].endpoint = "/periodMs";
    b->map[M_SETPOINT].interface = 2;
    b->map[M_SETPOINT].endpoint = "/setpoint";
    b->map[M_AIR].interface = 3;
    b->map[M_AIR].endpoint = "/%{room}";
    b->map[M_AIR].fields = air_fields;
    b->map[M_AIR].field_count = 2;
    b->io.now = 1000;
    b->cfg.write = fake_write;
    b->cfg.millis = fake_millis;
    b->cfg.io = &b->io;
    b->cfg.boot_counter = 7;
    b->cfg.identity = "mps2-0001";
    b->cfg.interfaces = interfaces;
    b->cfg.interface_count = 4;
    b->cfg.mappings = b->map;
    b->cfg.mapping_count = 6;
    b->cfg.rx = b->rx;
    b->cfg.rx_size = sizeof b->rx;
    b->cfg.hello = b->hello;
    b->cfg.hello_size = sizeof b->hello;
    b->cfg.slots = b->slots;
    b->cfg.slot_size = 128;
    b->cfg.slot_count = 5;
    b->cfg.rx_window = 2;
    b->cfg.on_server_data = on_data;
    b->cfg.on_event = on_event;
    b->cfg.app = b;
    CHECK_EQ_INT(ab_init(&b->dev, &b->cfg), AB_OK);
}

void fake_feed(fake_board *b, const uint8_t *data, size_t len)
{
    ab_feed(&b->dev, data, len);
}

static void collect(void *ctx, const uint8_t *data, size_t len)
{
    fake_io *io = ctx;
    memcpy(io->out + io->out_len, data, len);
    io->out_len += len;
}

void fake_feed_frame(fake_board *b, const uint8_t *frame, size_t len)
{
    static fake_io wire;
    uint8_t sealed[1100];
    memcpy(sealed, frame, len);
    wire.out_len = 0;
    ab_frame_write(collect, &wire, sealed, ab_frame_seal(sealed, len));
    ab_feed(&b->dev, wire.out, wire.out_len);
}

void fake_board_connect(fake_board *b)
{
    size_t len;
    const uint8_t *ack = golden_wire("hello_ack", &len);
    ab_poll(&b->dev);
    b->io.out_len = 0;
    fake_feed(b, ack, len);
    CHECK(ab_ready(&b->dev));
}
