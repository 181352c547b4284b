/* What the library's parts share: the device's states and the helpers between its files. */
#ifndef AB_INTERNAL_H
#define AB_INTERNAL_H

#include "astarte_bridge.h"

enum { AB_ST_HELLO = 0, AB_ST_READY = 1, AB_ST_STOPPED = 2 };

enum {
    AB_MSG_HELLO = 0x01,
    AB_MSG_HELLO_ACK = 0x02,
    AB_MSG_ACK = 0x03,
    AB_MSG_NACK = 0x04,
    AB_MSG_PING = 0x05,
    AB_MSG_PONG = 0x06,
    AB_MSG_TIME = 0x07,
    AB_MSG_SEND = 0x10,
    AB_MSG_SET = 0x11,
    AB_MSG_UNSET = 0x12,
    AB_MSG_SERVER_DATA = 0x20
};

/* PROTOCOL.md §3.1 and §4 */
#define AB_HELLO_EVERY_MS 1000u
#define AB_RTO_MIN_MS 500u
#define AB_RTO_MAX_MS 4000u
#define AB_RETRY_LATER_MS 1000u
#define AB_MAX_RETRIES 8u
#define AB_PING_AFTER_MS 5000u
#define AB_LOST_AFTER_MS 15000u

/* `now` has reached `deadline` (tick arithmetic modulo 2^32) */
#define AB_DUE(now, deadline) ((int32_t)((uint32_t)(now) - (uint32_t)(deadline)) >= 0)

/* ab_device.c */
void ab__emit(ab_device *d, const uint8_t *frame, size_t len);
void ab__control(ab_device *d, uint8_t type, uint8_t seq, int reason);
void ab__event(ab_device *d, ab_event_kind kind, uint8_t seq, uint8_t reason);
void ab__set_time(ab_device *d, uint64_t epoch_ms);

/* ab_session.c */
void ab__start_hello(ab_device *d);
void ab__send_hello(ab_device *d);
void ab__handle_hello_ack(ab_device *d, ab_cbor_reader *body);

/* ab_queue.c */
void ab__pump(ab_device *d);
void ab__queue_poll(ab_device *d);
void ab__handle_ack(ab_device *d, uint8_t seq);
void ab__handle_nack(ab_device *d, uint8_t seq, ab_cbor_reader *body);
void ab__resume(ab_device *d, uint8_t host_expects);

#endif
