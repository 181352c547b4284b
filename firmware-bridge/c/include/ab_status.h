/*
 * Status codes shared by every part of the library: 0 is success, failures are negative and
 * stable (tests and the host side may log them by number).
 */
#ifndef AB_STATUS_H
#define AB_STATUS_H

typedef enum {
    AB_OK = 0,
    /* the output buffer is too small for what was asked */
    AB_E_NOSPACE = -1,
    /* the input ended inside an item */
    AB_E_TRUNCATED = -2,
    /* the input is not what the caller expected at this place */
    AB_E_TYPE = -3,
    /* well-formed input this library does not accept (indefinite lengths, tags, ...) */
    AB_E_UNSUPPORTED = -4,
    /* a COBS block points past the end of the frame, or the frame holds a zero */
    AB_E_COBS = -5,
    /* the frame's CRC does not match its content */
    AB_E_CRC = -6,
    /* a frame grew past the receive buffer before its delimiter */
    AB_E_OVERFLOW = -7,
    /* a frame too short to hold a header and a CRC */
    AB_E_SHORT = -8,
    /* a value outside what the target type holds */
    AB_E_RANGE = -9,
    /* nesting deeper than the decoder follows */
    AB_E_DEPTH = -10,
    /* the message is well-formed CBOR but not a valid protocol message */
    AB_E_MESSAGE = -11,
    /* the send window is full: wait for acknowledgements (poll) and try again */
    AB_E_BUSY = -12,
    /* the operation needs an established session (HELLO acknowledged) */
    AB_E_STATE = -13,
    /* an argument the caller passed is invalid */
    AB_E_ARG = -14
} ab_status;

#endif
