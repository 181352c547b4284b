/*
 * The board for QEMU's mps2-an385 (Cortex-M3 at 25 MHz): CMSDK APB UART0 at 0x40004000 with a
 * receive interrupt feeding a ring buffer, SysTick at 1 kHz for the millisecond tick, and the boot
 * counter from semihosting (QEMU's -semihosting-config ... arg=boot=N or arg=bootfile=PATH).
 */
#include <stddef.h>
#include <stdint.h>

#include "board.h"

#define REG(addr) (*(volatile uint32_t *)(addr))

#define UART0 0x40004000u
#define UART_DATA REG(UART0 + 0x00)
#define UART_STATE REG(UART0 + 0x04)
#define UART_CTRL REG(UART0 + 0x08)
#define UART_INTSTATUS REG(UART0 + 0x0C)
#define UART_BAUDDIV REG(UART0 + 0x10)
#define STATE_TX_FULL 0x1u
#define STATE_RX_FULL 0x2u
#define CTRL_TX_EN 0x1u
#define CTRL_RX_EN 0x2u
#define CTRL_RX_INT_EN 0x8u
#define INT_RX 0x2u

#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)
#define NVIC_ISER0 REG(0xE000E100u)
#define UART0_RX_IRQ 0

#define CPU_HZ 25000000u
#define BAUD 115200u

/*
 * Received bytes wait here for the main loop. When it is full the receive interrupt is masked
 * and the byte stays in the UART, which holds the line back (QEMU stops reading the pty) instead
 * of losing data; board_uart_read unmasks it once there is room again.
 */
#define RX_RING 256u
static uint8_t rx_ring[RX_RING];
static volatile uint32_t rx_head;
static volatile uint32_t rx_tail;
static volatile uint32_t ticks;
static uint32_t boot_counter = 1;
static uint32_t period_ms;

void SysTick_Handler(void);
void UART0_RX_Handler(void);

void SysTick_Handler(void)
{
    ticks++;
}

void UART0_RX_Handler(void)
{
    UART_INTSTATUS = INT_RX;
    while ((UART_STATE & STATE_RX_FULL) && rx_head - rx_tail < RX_RING) {
        rx_ring[rx_head % RX_RING] = (uint8_t)UART_DATA;
        rx_head++;
    }
    if (UART_STATE & STATE_RX_FULL) UART_CTRL &= ~CTRL_RX_INT_EN;
}

/* ARM semihosting: BKPT 0xAB with the operation in r0 and its argument block in r1. */
static int semihost(int op, void *arg)
{
    register int r0 __asm("r0") = op;
    register void *r1 __asm("r1") = arg;
    __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

#define SYS_OPEN 0x01
#define SYS_WRITE0 0x04
#define SYS_CLOSE 0x02
#define SYS_WRITE 0x05
#define SYS_READ 0x06
#define SYS_GET_CMDLINE 0x15

static uint32_t parse_uint(const char *s)
{
    uint32_t v = 0;
    while (*s >= '0' && *s <= '9') v = v * 10u + (uint32_t)(*s++ - '0');
    return v;
}

static size_t length(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') n++;
    return n;
}

/*
 * A counter file on the host plays the part of a flash word: read, incremented, written back.
 * Modes 1 (read, binary) and 5 (write, truncate, binary) of SYS_OPEN.
 */
static uint32_t count_in_file(char *path)
{
    char text[12];
    uintptr_t args[3];
    uint32_t v = 0;
    int fd;
    int unread;
    size_t n = 0;
    args[0] = (uintptr_t)path;
    args[1] = 1;
    args[2] = length(path);
    fd = semihost(SYS_OPEN, args);
    if (fd >= 0) {
        args[0] = (uintptr_t)fd;
        args[1] = (uintptr_t)text;
        args[2] = sizeof text - 1;
        unread = semihost(SYS_READ, args);
        if (unread >= 0 && unread <= (int)sizeof text - 1) {
            text[sizeof text - 1 - (size_t)unread] = '\0';
            v = parse_uint(text);
        }
        args[0] = (uintptr_t)fd;
        semihost(SYS_CLOSE, args);
    }
    v++;
    {
        uint32_t x = v;
        char digits[10];
        size_t i = 0;
        do {
            digits[i++] = (char)('0' + x % 10u);
            x /= 10u;
        } while (x > 0);
        while (i > 0) text[n++] = digits[--i];
        text[n++] = '\n';
    }
    args[0] = (uintptr_t)path;
    args[1] = 5;
    args[2] = length(path);
    fd = semihost(SYS_OPEN, args);
    if (fd >= 0) {
        args[0] = (uintptr_t)fd;
        args[1] = (uintptr_t)text;
        args[2] = n;
        semihost(SYS_WRITE, args);
        args[0] = (uintptr_t)fd;
        semihost(SYS_CLOSE, args);
    }
    return v;
}

static int word_is(const char *word, const char *name)
{
    while (*name != '\0' && *word == *name) {
        word++;
        name++;
    }
    return *name == '\0';
}

/*
 * The command line QEMU was given (-semihosting-config enable=on,arg=...), words separated by
 * spaces: boot=N, bootfile=PATH (a counter file incremented at each boot), period=MS.
 */
static void read_cmdline(void)
{
    static char line[256];
    uintptr_t block[2];
    char *word = line;
    block[0] = (uintptr_t)line;
    block[1] = sizeof line - 1;
    if (semihost(SYS_GET_CMDLINE, block) != 0) return;
    line[block[1] < sizeof line ? block[1] : sizeof line - 1] = '\0';
    while (*word != '\0') {
        char *end = word;
        while (*end != '\0' && *end != ' ') end++;
        if (*end == ' ') *end++ = '\0';
        if (word_is(word, "boot=")) boot_counter = parse_uint(word + 5);
        else if (word_is(word, "bootfile=")) boot_counter = count_in_file(word + 9);
        else if (word_is(word, "period=")) period_ms = parse_uint(word + 7);
        word = end;
    }
}

void board_init(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    read_cmdline();
    UART_BAUDDIV = CPU_HZ / BAUD;
    UART_CTRL = CTRL_TX_EN | CTRL_RX_EN | CTRL_RX_INT_EN;
    NVIC_ISER0 = 1u << UART0_RX_IRQ;
    SYST_RVR = CPU_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = 0x7u; /* processor clock, interrupt, enable */
}

uint32_t board_millis(void)
{
    return ticks;
}

void board_uart_write(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx;
    while (len-- > 0) {
        while (UART_STATE & STATE_TX_FULL) {
        }
        UART_DATA = *data++;
    }
}

size_t board_uart_read(uint8_t *buf, size_t cap)
{
    size_t n = 0;
    /* masked, so that the interrupt cannot take the byte between the state test and the read */
    __asm volatile("cpsid i" ::: "memory");
    while (n < cap && rx_tail != rx_head) {
        buf[n++] = rx_ring[rx_tail % RX_RING];
        rx_tail++;
    }
    /* a byte held back while the ring was full raises no new interrupt: take it here */
    while (n < cap && (UART_STATE & STATE_RX_FULL)) buf[n++] = (uint8_t)UART_DATA;
    UART_CTRL |= CTRL_RX_INT_EN;
    __asm volatile("cpsie i" ::: "memory");
    return n;
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
    static char buf[80];
    size_t n = 0;
    while (line[n] != '\0' && n < sizeof buf - 2) {
        buf[n] = line[n];
        n++;
    }
    buf[n++] = '\n';
    buf[n] = '\0';
    semihost(SYS_WRITE0, buf);
}

void board_idle(void)
{
    __asm volatile("wfi");
}
