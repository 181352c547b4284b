/* CRC used by the frame layer; bitwise, no table, so that it costs a few dozen bytes of code. */
#ifndef AB_CRC_H
#define AB_CRC_H

#include <stddef.h>
#include <stdint.h>

/*
 * CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, not reflected, no final xor.
 * Check value over "123456789" is 0x29B1. Pass the previous result as `crc` to continue a
 * computation, or AB_CRC16_INIT to start one.
 */
#define AB_CRC16_INIT 0xFFFFu
uint16_t ab_crc16(uint16_t crc, const uint8_t *data, size_t len);

/*
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, initial and final xor 0xFFFFFFFF).
 * Check value over "123456789" is 0xCBF43926. Start with 0 and pass the previous result to
 * continue.
 */
uint32_t ab_crc32(uint32_t crc, const uint8_t *data, size_t len);

#endif
