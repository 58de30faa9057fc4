/*
 * CRC-32C (Castagnoli), the records' checksum: with the SSE 4.2
 * instruction where the CPU has it (every x86-64 since 2008, and about
 * five times faster than zlib's table-driven CRC-32 on a 100-byte
 * record), bit by bit elsewhere.
 */

#include <omni/wire.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define OMNI_CRC32C_SSE42  1
#endif


#define OMNI_CRC32C_POLY  0x82f63b78     /* reflected 0x1edc6f41 */


static uint32_t omni_crc32c_soft(uint32_t crc, const uint8_t *p, size_t len);

#if (OMNI_CRC32C_SSE42)
static uint32_t omni_crc32c_sse42(uint32_t crc, const uint8_t *p,
    size_t len);
#endif


uint32_t
omni_crc32c(const void *data, size_t len)
{
    uint32_t  crc;

    crc = 0xffffffff;

#if (OMNI_CRC32C_SSE42)
    if (__builtin_cpu_supports("sse4.2")) {
        return ~omni_crc32c_sse42(crc, data, len);
    }
#endif

    return ~omni_crc32c_soft(crc, data, len);
}


uint32_t
omni_crc32c_portable(const void *data, size_t len)
{
    return ~omni_crc32c_soft(0xffffffff, data, len);
}


static uint32_t
omni_crc32c_soft(uint32_t crc, const uint8_t *p, size_t len)
{
    int  k;

    while (len--) {
        crc ^= *p++;

        for (k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (OMNI_CRC32C_POLY & (0 - (crc & 1)));
        }
    }

    return crc;
}


#if (OMNI_CRC32C_SSE42)

__attribute__((target("sse4.2")))
static uint32_t
omni_crc32c_sse42(uint32_t crc, const uint8_t *p, size_t len)
{
    uint64_t  c, v;

    c = crc;

    while (len >= 8) {
        __builtin_memcpy(&v, p, 8);
        c = _mm_crc32_u64(c, v);
        p += 8;
        len -= 8;
    }

    crc = (uint32_t) c;

    while (len--) {
        crc = _mm_crc32_u8(crc, *p++);
    }

    return crc;
}

#endif
