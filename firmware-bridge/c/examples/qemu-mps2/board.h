/*
 * What the sensor application needs from a board: the two functions the library asks for (a UART
 * write and a millisecond tick), received bytes, a boot counter and a way to idle. Implemented by
 * board-mps2.c (QEMU's mps2-an385) and board-host.c (a Linux process on a pseudo-terminal).
 */
#ifndef BOARD_H
#define BOARD_H

#include <stddef.h>
#include <stdint.h>

/* Sets the board up; `argc`/`argv` are the host process's (0 and NULL on the MCU). */
void board_init(int argc, char **argv);
/* Milliseconds since boot; wraps after 49 days. */
uint32_t board_millis(void);
/* Writes all `len` bytes to the UART (blocking while its FIFO is full). */
void board_uart_write(void *ctx, const uint8_t *data, size_t len);
/* Moves up to `cap` received bytes into `buf` without waiting; returns how many. */
size_t board_uart_read(uint8_t *buf, size_t cap);
/* Which boot this is (see README: from the command line or a counter file). */
uint32_t board_boot_counter(void);
/* The sampling period asked on the command line (ms), 0 if none. */
uint32_t board_period_ms(void);
/* Waits for the next event (a received byte or a tick), at most about a millisecond. */
void board_idle(void);
/* One line of diagnostics off the protocol line (stderr; QEMU's stdout through semihosting). */
void board_log(const char *line);

#endif
