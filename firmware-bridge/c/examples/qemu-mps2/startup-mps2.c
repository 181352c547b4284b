/*
 * Cortex-M3 start-up for QEMU's mps2-an385: the vector table (first in memory, see
 * mps2-an385.ld), .data copied and .bss cleared before main, and a HardFault handler that lets
 * semihosting calls fail softly when QEMU runs without -semihosting (the BKPT then faults).
 */
#include <stdint.h>

extern uint32_t __data_start, __data_end, __data_load, __bss_start, __bss_end, __stack_top;

int main(int argc, char **argv);
void Reset_Handler(void);
void HardFault_Handler(void);
void SysTick_Handler(void);
void UART0_RX_Handler(void);
void hard_fault(uint32_t *frame);

static void Default_Handler(void)
{
    for (;;) {
    }
}

/* A vector: the initial stack pointer (entry 0) or a handler (ISO C keeps the two apart). */
typedef union {
    uint32_t *stack;
    void (*handler)(void);
} vector;

#define H(f) {.handler = (f)}

/* The initial stack pointer, then the handlers: 16 system exceptions, then external IRQ 0 on. */
__attribute__((section(".vectors"), used)) static const vector vectors[17] = {
    {.stack = &__stack_top},
    H(Reset_Handler),
    H(Default_Handler), /* NMI */
    H(HardFault_Handler),
    H(Default_Handler), /* MemManage */
    H(Default_Handler), /* BusFault */
    H(Default_Handler), /* UsageFault */
    H(0),
    H(0),
    H(0),
    H(0),
    H(Default_Handler), /* SVCall */
    H(Default_Handler), /* DebugMonitor */
    H(0),
    H(Default_Handler), /* PendSV */
    H(SysTick_Handler),
    H(UART0_RX_Handler), /* IRQ 0: UART0 receive */
};

void Reset_Handler(void)
{
    uint32_t *src = &__data_load;
    uint32_t *dst;
    for (dst = &__data_start; dst < &__data_end;) *dst++ = *src++;
    for (dst = &__bss_start; dst < &__bss_end;) *dst++ = 0;
    main(0, 0);
    for (;;) {
    }
}

/* Hands the stacked exception frame (r0-r3, r12, lr, pc, xpsr) to hard_fault. */
__attribute__((naked)) void HardFault_Handler(void)
{
    __asm volatile("tst lr, #4\n"
                   "ite eq\n"
                   "mrseq r0, msp\n"
                   "mrsne r0, psp\n"
                   "b hard_fault\n");
}

void hard_fault(uint32_t *frame)
{
    /* BKPT 0xAB is a semihosting call nobody answers: resume after it with r0 = -1 */
    if (*(const uint16_t *)frame[6] == 0xBEAB) {
        frame[6] += 2;
        frame[0] = 0xFFFFFFFFu;
        return;
    }
    Default_Handler();
}
