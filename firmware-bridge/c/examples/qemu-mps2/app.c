/*
 * The example sensor board: streams temperature readings (doubles, timestamped with the host's
 * time), its uptime and the air of a room (an object), keeps two device-owned properties
 * (/firmware, /periodMs) and steers its simulated temperature towards the server-owned
 * /setpoint. The same file runs on QEMU's mps2-an385 and as a Linux process (see board.h).
 */
#include <stddef.h>
#include <stdint.h>

#include "astarte_bridge.h"
#include "board.h"

#define FIRMWARE "sensor 1.0.0"
#define DEFAULT_PERIOD_MS 1000u

static const char *const interfaces[] = {
    "org.astarte-ts.bridge.Sensor:1:0",
    "org.astarte-ts.bridge.Status:1:0",
    "org.astarte-ts.bridge.Setpoint:1:0",
    "org.astarte-ts.bridge.Air:1:0",
};
static const char *const air_fields[] = {"temperature", "humidity"};
static const char *const room[] = {"lab"};

enum { TEMPERATURE, UPTIME, FIRMWARE_PROP, PERIOD, SETPOINT, AIR, MAPPINGS };
static ab_mapping mappings[MAPPINGS] = {
    {0, "/temperature", NULL, 0, 0, 0, 0, {0}, {0}},
    {0, "/uptime", NULL, 0, 0, 0, 0, {0}, {0}},
    {1, "/firmware", NULL, 0, 0, 0, 0, {0}, {0}},
    {1, "/periodMs", NULL, 0, 0, 0, 0, {0}, {0}},
    {2, "/setpoint", NULL, 0, 0, 0, 0, {0}, {0}},
    {3, "/%{room}", air_fields, 2, 0, 0, 0, {0}, {0}},
};

static uint8_t rx[AB_RX_BUFFER_SIZE(256)];
static uint8_t hello[256];
static uint8_t slots[5 * 160];
static ab_device dev;

static struct {
    double temperature;
    double setpoint;
    int has_setpoint;
    int announced;
    uint32_t readings;
    uint32_t dropped;
} sensor = {21.5, 0, 0, 0, 0, 0};

#define DUE(now, deadline) ((int32_t)((uint32_t)(now) - (uint32_t)(deadline)) >= 0)

/* Writes `v` in decimal at `out` (at least `width` digits); returns the length. */
static size_t put_uint(char *out, uint64_t v, size_t width)
{
    char digits[20];
    size_t k = 0;
    size_t n = 0;
    do {
        digits[k++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v > 0 || k < width);
    while (k > 0) out[n++] = digits[--k];
    return n;
}

/*
 * "<prefix><value>", the value with `decimals` (0 or 3) decimals, without printf: newlib-nano's
 * has no floats.
 */
static void log_value(const char *prefix, double v, int decimals)
{
    char line[64];
    size_t n = 0;
    uint64_t scaled;
    while (*prefix != '\0' && n < 32) line[n++] = *prefix++;
    if (v < 0) {
        line[n++] = '-';
        v = -v;
    }
    scaled = (uint64_t)(v * (decimals ? 1000.0 : 1.0) + 0.5);
    if (decimals) {
        n += put_uint(line + n, scaled / 1000u, 1);
        line[n++] = '.';
        n += put_uint(line + n, scaled % 1000u, 3);
    } else {
        n += put_uint(line + n, scaled, 1);
    }
    line[n] = '\0';
    board_log(line);
}

static int on_server_data(void *ctx, const ab_server_data *data)
{
    (void)ctx;
    if (data->mapping != &mappings[SETPOINT]) return AB_NACK_UNKNOWN_MAPPING;
    sensor.has_setpoint = !data->unset;
    if (data->unset) {
        board_log("setpoint unset");
    } else {
        sensor.setpoint = data->value.as.d;
        log_value("setpoint ", sensor.setpoint, 3);
    }
    return 0;
}

static void on_event(void *ctx, const ab_event *e)
{
    (void)ctx;
    switch (e->kind) {
    case AB_EV_READY: board_log("ready"); break;
    case AB_EV_LINK_LOST: board_log("link lost"); break;
    case AB_EV_REFUSED: log_value("refused reason ", e->reason, 0); break;
    case AB_EV_STOPPED: log_value("stopped reason ", e->reason, 0); break;
    case AB_EV_TIME: break;
    }
}

/* The simulated room drifts towards the setpoint (or 21.5) with a little deterministic noise. */
static double read_temperature(void)
{
    double target = sensor.has_setpoint ? sensor.setpoint : 21.5;
    double noise = (double)((sensor.readings * 7u) % 11u) / 100.0 - 0.05;
    sensor.temperature += (target - sensor.temperature) / 4.0 + noise / 4.0;
    return sensor.temperature;
}

static void sample(uint32_t period)
{
    ab_value v = ab_double(read_temperature());
    sensor.readings++;
    if (ab_send(&dev, &mappings[TEMPERATURE], NULL, &v, AB_TS_NOW) != AB_OK) sensor.dropped++;
    if (sensor.readings % 10u == 0) {
        ab_value air[2];
        v = ab_longinteger((int64_t)board_millis());
        ab_send(&dev, &mappings[UPTIME], NULL, &v, AB_TS_NOW);
        air[0] = ab_double(sensor.temperature);
        air[1] = ab_double(40.0 + (double)(sensor.readings % 20u));
        ab_send_object(&dev, &mappings[AIR], room, air, AB_TS_NOW);
    }
    if (!sensor.announced) {
        /* after each boot the device-owned properties are said again; the host forwards changes */
        ab_value fw = ab_string(FIRMWARE);
        ab_value p = ab_integer((int32_t)period);
        sensor.announced = ab_set(&dev, &mappings[FIRMWARE_PROP], NULL, &fw) == AB_OK &&
                           ab_set(&dev, &mappings[PERIOD], NULL, &p) == AB_OK;
    }
}

static uint32_t millis(void *ctx)
{
    (void)ctx;
    return board_millis();
}

int main(int argc, char **argv)
{
    ab_config cfg = {0};
    uint32_t period;
    uint32_t next;
    board_init(argc, argv);
    period = board_period_ms() != 0 ? board_period_ms() : DEFAULT_PERIOD_MS;
    cfg.write = board_uart_write;
    cfg.millis = millis;
    cfg.boot_counter = board_boot_counter();
    cfg.identity = "mps2-0001";
    cfg.firmware = FIRMWARE;
    cfg.interfaces = interfaces;
    cfg.interface_count = 4;
    cfg.mappings = mappings;
    cfg.mapping_count = MAPPINGS;
    cfg.rx = rx;
    cfg.rx_size = sizeof rx;
    cfg.hello = hello;
    cfg.hello_size = sizeof hello;
    cfg.slots = slots;
    cfg.slot_size = sizeof slots / 5;
    cfg.slot_count = 5;
    cfg.on_server_data = on_server_data;
    cfg.on_event = on_event;
    if (ab_init(&dev, &cfg) != AB_OK) {
        board_log("couldn't start: bad configuration");
        return 1;
    }
    log_value("boot ", (double)cfg.boot_counter, 0);
    next = board_millis();
    for (;;) {
        uint8_t buf[64];
        size_t n = board_uart_read(buf, sizeof buf);
        if (n > 0) ab_feed(&dev, buf, n);
        ab_poll(&dev);
        /* once a session has named the mappings, readings queue even while the link is down */
        if (mappings[TEMPERATURE].index >= 0 && DUE(board_millis(), next)) {
            sample(period);
            next += period;
            /* after a long pause (no session) resume the rhythm from now, without a burst */
            if (DUE(board_millis(), next)) next = board_millis() + period;
        }
        board_idle();
    }
}
