/*
 * astarte-bridge for microcontrollers: the MCU side of the serial protocol (PROTOCOL.md).
 *
 * The firmware supplies two functions, a UART write and a millisecond tick, and the buffers;
 * it hands received bytes to ab_feed and calls ab_poll from its main loop. The library does the
 * session (HELLO, the index table), batching of samples, sequence numbers, acknowledgements,
 * retransmission and resynchronisation. It never allocates, never blocks (beyond the write
 * function) and keeps all its state in the ab_device the caller owns. Not thread-safe: call it
 * from one context (feed bytes from an interrupt through a ring buffer).
 */
#ifndef ASTARTE_BRIDGE_H
#define ASTARTE_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

#include "ab_cbor.h"
#include "ab_frame.h"
#include "ab_status.h"
#include "ab_value.h"

#define AB_PROTOCOL_VERSION 1
/* Frame slots the library manages at most (the window is 4, plus one batch being filled). */
#define AB_MAX_SLOTS 8
/* Fields of one object mapping the application can bind. */
#define AB_MAX_FIELDS 8
/* %{...} parameters of one endpoint. */
#define AB_MAX_PARAMS 4

/* Timestamps passed to ab_send: an epoch time in ms (>= 0), or one of these. */
#define AB_TS_NONE (-1)
/* the library's clock (from the host's time); no timestamp while it has none */
#define AB_TS_NOW (-2)

/* NACK reason codes (PROTOCOL.md §3.9). */
typedef enum {
    AB_NACK_UNKNOWN_TYPE = 1,
    AB_NACK_MALFORMED = 2,
    AB_NACK_NO_SESSION = 3,
    AB_NACK_UNKNOWN_MAPPING = 4,
    AB_NACK_TYPE_MISMATCH = 5,
    AB_NACK_OWNERSHIP = 6,
    AB_NACK_TIMESTAMP = 7,
    AB_NACK_BUSY = 8,
    AB_NACK_INTERNAL = 9,
    AB_NACK_UNKNOWN_INTERFACE = 10,
    AB_NACK_VERSION = 11,
    AB_NACK_TOO_LARGE = 12
} ab_nack_reason;

/*
 * A mapping the application uses: which interface (its position in ab_config.interfaces) and
 * which endpoint, as written in the interface ("/temperature", "/%{room}/temperature"; for an
 * object interface the common prefix of its mappings, "/%{room}"). The library fills the rest
 * from the host's index table at each session.
 */
typedef struct {
    uint8_t interface;
    const char *endpoint;
    /* object interfaces: the names of the fields the application sends or takes, in its order */
    const char *const *fields;
    uint8_t field_count;

    /* filled by the library */
    int16_t index;     /* mapping index in the host's table, -1 while the table does not name it */
    uint8_t type;      /* ab_type; AB_T_OBJECT for an object */
    uint8_t params;    /* how many %{...} the endpoint has */
    uint8_t field_index[AB_MAX_FIELDS]; /* each field's index in the table, 0xFF if absent */
    uint8_t field_type[AB_MAX_FIELDS];
} ab_mapping;

/* Server data (SERVER_DATA) handed to the application. */
typedef struct {
    const ab_mapping *mapping;
    const char *param[AB_MAX_PARAMS]; /* not NUL-terminated: see param_len */
    size_t param_len[AB_MAX_PARAMS];
    uint8_t param_count;
    int unset;
    /*
     * The value (unless unset), checked against the mapping's type. Objects and arrays: `raw`
     * is positioned at the map (field index to value) or the array.
     */
    ab_value value;
    ab_cbor_reader raw;
} ab_server_data;

/* Takes server data; returns 0 to acknowledge it or an ab_nack_reason to refuse it. */
typedef int (*ab_server_data_fn)(void *ctx, const ab_server_data *data);

typedef enum {
    AB_EV_READY = 1,  /* session established: mappings resolved, time known */
    AB_EV_LINK_LOST,  /* no answer: the library says HELLO again (queued frames are kept) */
    AB_EV_REFUSED,    /* the host refused one of our frames for good: seq, reason, detail */
    AB_EV_STOPPED,    /* the host refused the HELLO (reason): the library stays silent */
    AB_EV_TIME        /* the host's time arrived (HELLO_ACK or TIME) */
} ab_event_kind;

typedef struct {
    ab_event_kind kind;
    uint8_t seq;
    uint8_t reason;
    /* AB_EV_REFUSED of a SEND: which sample, -1 if the host did not say */
    int sample;
    const char *detail; /* not NUL-terminated; may be NULL */
    size_t detail_len;
} ab_event;

typedef void (*ab_event_fn)(void *ctx, const ab_event *event);
typedef uint32_t (*ab_millis_fn)(void *ctx);

typedef struct {
    /* the two functions the firmware supplies, and their context */
    ab_write_fn write;
    ab_millis_fn millis;
    void *io;

    /* HELLO */
    uint32_t boot_counter; /* differs at every boot (NV counter, or a random value) */
    const char *identity;  /* stable hardware identity, e.g. a serial number */
    const char *firmware;  /* optional: name and version, for the host's logs */
    const char *const *interfaces; /* "name:major:minor" */
    uint8_t interface_count;

    ab_mapping *mappings;
    uint8_t mapping_count;

    /*
     * Buffers. rx: one encoded incoming frame (AB_RX_BUFFER_SIZE(max frame), max frame >= 64).
     * hello: where HELLO is built (the interface names, identity, ~30 bytes more). slots:
     * slot_count (2 .. AB_MAX_SLOTS) frames of slot_size bytes each, the outgoing queue.
     */
    uint8_t *rx;
    size_t rx_size;
    uint8_t *hello;
    size_t hello_size;
    uint8_t *slots;
    size_t slot_size;
    uint8_t slot_count;

    /* SERVER_DATA frames the MCU accepts unacknowledged (HELLO key 5), 1 .. 4; 0: 4 */
    uint8_t rx_window;
    /* samples per SEND (1 .. 22; 0: 8), and how long a batch may wait for more (ms; 0: 100) */
    uint8_t batch_samples;
    uint16_t batch_ms;

    ab_server_data_fn on_server_data;
    ab_event_fn on_event;
    void *app;
} ab_config;

/* Counters for diagnostics. */
typedef struct {
    uint32_t frames_in;
    uint32_t frames_out;
    uint32_t bad_frames; /* COBS, length or CRC failures */
    uint32_t oversize;
    uint32_t malformed; /* frames with a valid CRC but a body of the wrong shape */
    uint32_t retransmissions;
    uint32_t nacks_in;
    uint32_t sessions;
} ab_stats;

typedef struct {
    ab_config cfg;
    ab_frame_rx rx;
    ab_stats stats;
    uint8_t state;

    /* session */
    uint8_t hello_token;
    uint32_t hello_at;
    uint16_t table_next;
    char device_id[24];
    /* what HELLO_ACK said, kept until the table is complete */
    uint16_t host_max_frame;
    uint8_t host_next_seq;
    uint8_t host_expects;
    uint8_t host_window;

    /* clock: uptime accumulated from the tick, and the epoch offset once known */
    uint32_t tick;
    uint64_t uptime;
    int64_t epoch_offset;
    uint8_t time_known;
    uint32_t last_heard;
    uint32_t ping_at;

    /* outgoing queue: `count` sealed frames from slot `head` (seq `oldest` on), `sent` of them
       on the line; a SEND batch may be open in the slot after them */
    uint16_t slot_len[AB_MAX_SLOTS];
    uint8_t head;
    uint8_t count;
    uint8_t sent;
    uint8_t oldest;
    uint8_t window;
    size_t tx_limit;
    uint8_t open;
    uint8_t open_samples;
    uint8_t open_timed;
    int64_t open_last_ts;
    uint32_t open_since;
    uint32_t rto_at;
    uint16_t rto;
    uint8_t retries;

    /* incoming sequence */
    uint8_t expected;
} ab_device;

/*
 * Checks the configuration (AB_E_ARG names nothing: see the field comments above) and starts:
 * the first ab_poll sends HELLO.
 */
ab_status ab_init(ab_device *d, const ab_config *cfg);
/* Hands received bytes to the library; callbacks run from here. */
void ab_feed(ab_device *d, const uint8_t *data, size_t len);
/* Runs the timers (HELLO, retransmission, batching, keep-alive); call often (every few ms). */
void ab_poll(ab_device *d);

/* Established: mappings resolved and sequenced frames flowing. */
int ab_ready(const ab_device *d);
/* The host's time now, in ms since the Unix epoch; -1 until the host has told it. */
int64_t ab_now(ab_device *d);
/* Frames not yet acknowledged, the open batch included. */
unsigned ab_pending(const ab_device *d);
/* The device id from the host (NUL-terminated, empty before the first session). */
const char *ab_device_id(const ab_device *d);

/*
 * Queues a sample on a datastream: `params` holds the endpoint's %{...} values (NULL if none),
 * `timestamp` an epoch time in ms, AB_TS_NONE or AB_TS_NOW. Samples are batched into one SEND
 * until the batch is full, batch_ms passed, ab_flush, or a frame of another kind is queued.
 * AB_E_BUSY: the queue is full (the host has not acknowledged yet); AB_E_STATE: the host's table
 * does not name the mapping (or no session yet); AB_E_TYPE: not the mapping's type;
 * AB_E_NOSPACE: the sample does not fit a frame.
 */
ab_status ab_send(ab_device *d, const ab_mapping *m, const char *const *params,
                  const ab_value *value, int64_t timestamp);
/* An object: `values` holds one value per field of the mapping, in m->fields order. */
ab_status ab_send_object(ab_device *d, const ab_mapping *m, const char *const *params,
                         const ab_value *values, int64_t timestamp);
/* Sets or unsets a device-owned property. */
ab_status ab_set(ab_device *d, const ab_mapping *m, const char *const *params,
                 const ab_value *value);
ab_status ab_unset(ab_device *d, const ab_mapping *m, const char *const *params);
/* Closes the open batch now, so that it goes out as soon as the window allows. */
void ab_flush(ab_device *d);
/* Asks the host for the time (a TIME without body); the answer raises AB_EV_TIME. */
void ab_request_time(ab_device *d);

#endif
