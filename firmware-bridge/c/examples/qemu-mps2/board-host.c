/*
 * The board as a Linux process, for quick tests of the same firmware: the UART is a
 * pseudo-terminal (created here, its path printed as "pty /dev/pts/N"), an existing tty given
 * with --tty, or stdin/stdout with --stdio (for a relay that pipes); the tick is
 * CLOCK_MONOTONIC; the boot counter comes from --boot N or a counter file (--boot-file PATH,
 * incremented at each start like a flash word).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "board.h"

static int uart_fd = -1;
static int uart_out = -1;
static int stdio;
static uint32_t boot_counter = 1;
static uint32_t period_ms;
static struct timespec started;

static void usage(const char *why)
{
    fprintf(stderr,
            "firmware: %s\nusage: firmware [--tty PATH] [--boot N | --boot-file PATH]\n", why);
    exit(2);
}

static uint32_t count_in_file(const char *path)
{
    unsigned long v = 0;
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        if (fscanf(f, "%lu", &v) != 1) v = 0;
        fclose(f);
    }
    v++;
    f = fopen(path, "w");
    if (f == NULL || fprintf(f, "%lu\n", v) < 0 || fclose(f) != 0) {
        fprintf(stderr, "firmware: couldn't write the boot counter to %s\n", path);
        exit(1);
    }
    return (uint32_t)v;
}

static void make_raw(int fd)
{
    struct termios t;
    if (tcgetattr(fd, &t) != 0) return;
    cfmakeraw(&t);
    cfsetispeed(&t, B115200);
    cfsetospeed(&t, B115200);
    tcsetattr(fd, TCSANOW, &t);
}

static int open_pty(void)
{
    int fd = posix_openpt(O_RDWR | O_NOCTTY);
    if (fd < 0 || grantpt(fd) != 0 || unlockpt(fd) != 0) {
        perror("firmware: couldn't create a pty");
        exit(1);
    }
    make_raw(fd);
    printf("pty %s\n", ptsname(fd));
    fflush(stdout);
    return fd;
}

void board_init(int argc, char **argv)
{
    const char *tty = NULL;
    int i;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--stdio") == 0) {
            stdio = 1;
            continue;
        }
        if (i + 1 >= argc) usage("missing value");
        if (strcmp(argv[i], "--tty") == 0) {
            tty = argv[++i];
        } else if (strcmp(argv[i], "--boot") == 0) {
            char *end;
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end != '\0' || v > 0xFFFFFFFFul) usage("--boot takes a number");
            boot_counter = (uint32_t)v;
        } else if (strcmp(argv[i], "--period") == 0) {
            char *end;
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end != '\0' || v == 0 || v > 3600000ul) usage("--period takes milliseconds");
            period_ms = (uint32_t)v;
        } else if (strcmp(argv[i], "--boot-file") == 0) {
            boot_counter = count_in_file(argv[++i]);
        } else {
            usage("unknown option");
        }
    }
    if (stdio) {
        uart_fd = STDIN_FILENO;
        uart_out = STDOUT_FILENO;
    } else if (tty == NULL) {
        uart_fd = open_pty();
    } else {
        uart_fd = open(tty, O_RDWR | O_NOCTTY);
        if (uart_fd < 0) {
            perror("firmware: couldn't open the tty");
            exit(1);
        }
        make_raw(uart_fd);
    }
    if (uart_out < 0) uart_out = uart_fd;
    clock_gettime(CLOCK_MONOTONIC, &started);
}

uint32_t board_millis(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint32_t)((now.tv_sec - started.tv_sec) * 1000 +
                      (now.tv_nsec - started.tv_nsec) / 1000000);
}

/*
 * While nobody has the pty's other side open the master reports a hang-up: bytes are dropped
 * then, as a UART with nothing connected would drop them.
 */
void board_uart_write(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx;
    while (len > 0) {
        struct pollfd p;
        ssize_t n;
        p.fd = uart_out;
        p.events = POLLOUT;
        if (poll(&p, 1, 100) < 0 && errno != EINTR) return;
        if (p.revents & (POLLHUP | POLLERR)) {
            if (stdio) exit(0);
            return;
        }
        if (!(p.revents & POLLOUT)) continue;
        n = write(uart_out, data, len);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            if (stdio) exit(0); /* the reader of a piped stdout is gone */
            return;
        }
        data += n;
        len -= (size_t)n;
    }
}

size_t board_uart_read(uint8_t *buf, size_t cap)
{
    struct pollfd p;
    ssize_t n;
    p.fd = uart_fd;
    p.events = POLLIN;
    if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN)) return 0;
    n = read(uart_fd, buf, cap);
    /* the end of a piped stdin is the line going away for good */
    if (n == 0 && stdio) exit(0);
    return n > 0 ? (size_t)n : 0;
}

uint32_t board_boot_counter(void)
{
    return boot_counter;
}

uint32_t board_period_ms(void)
{
    return period_ms;
}

void board_log(const char *line)
{
    fprintf(stderr, "%s\n", line);
}

void board_idle(void)
{
    struct pollfd p;
    p.fd = uart_fd;
    p.events = POLLIN;
    /* a hung-up pty polls ready at once: sleep the millisecond instead */
    if (poll(&p, 1, 1) > 0 && (p.revents & POLLHUP)) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
}
