/*
 * Experiment buckets: SipHash-2-4 (Aumasson and Bernstein) with a fixed,
 * public key.  The key is not a secret: the hash only has to spread ids
 * evenly and give every system that reproduces it the same answer.
 */

#include <string.h>

#include <omni/decide.h>


static const uint8_t  omni_bucket_key[16] = "omni-bucket-v1\0";


#define omni_rotl(x, b)  (uint64_t) (((x) << (b)) | ((x) >> (64 - (b))))

#define omni_sipround(v0, v1, v2, v3)                                       \
    do {                                                                    \
        v0 += v1; v1 = omni_rotl(v1, 13); v1 ^= v0; v0 = omni_rotl(v0, 32); \
        v2 += v3; v3 = omni_rotl(v3, 16); v3 ^= v2;                         \
        v0 += v3; v3 = omni_rotl(v3, 21); v3 ^= v0;                         \
        v2 += v1; v1 = omni_rotl(v1, 17); v1 ^= v2; v2 = omni_rotl(v2, 32); \
    } while (0)


static uint64_t
omni_le64(const uint8_t *p)
{
    return (uint64_t) p[0] | (uint64_t) p[1] << 8 | (uint64_t) p[2] << 16
           | (uint64_t) p[3] << 24 | (uint64_t) p[4] << 32
           | (uint64_t) p[5] << 40 | (uint64_t) p[6] << 48
           | (uint64_t) p[7] << 56;
}


uint64_t
omni_siphash24(const uint8_t key[16], const void *data, size_t len)
{
    size_t          i, left;
    uint64_t        k0, k1, v0, v1, v2, v3, m, b;
    const uint8_t  *p;

    k0 = omni_le64(key);
    k1 = omni_le64(key + 8);

    v0 = k0 ^ 0x736f6d6570736575ULL;
    v1 = k1 ^ 0x646f72616e646f6dULL;
    v2 = k0 ^ 0x6c7967656e657261ULL;
    v3 = k1 ^ 0x7465646279746573ULL;

    p = data;
    b = (uint64_t) len << 56;

    for (i = 0; i + 8 <= len; i += 8) {
        m = omni_le64(p + i);
        v3 ^= m;
        omni_sipround(v0, v1, v2, v3);
        omni_sipround(v0, v1, v2, v3);
        v0 ^= m;
    }

    left = len - i;

    while (left--) {
        b |= (uint64_t) p[i + left] << (8 * left);
    }

    v3 ^= b;
    omni_sipround(v0, v1, v2, v3);
    omni_sipround(v0, v1, v2, v3);
    v0 ^= b;

    v2 ^= 0xff;
    omni_sipround(v0, v1, v2, v3);
    omni_sipround(v0, v1, v2, v3);
    omni_sipround(v0, v1, v2, v3);
    omni_sipround(v0, v1, v2, v3);

    return v0 ^ v1 ^ v2 ^ v3;
}


uint32_t
omni_bucket(const omni_id_t *visitor, const char *experiment, size_t len)
{
    uint8_t  msg[OMNI_ID_SIZE + OMNI_NAME_MAX];

    /* experiment ids are at most OMNI_NAME_MAX bytes once loaded */
    if (len > OMNI_NAME_MAX) {
        len = OMNI_NAME_MAX;
    }

    memcpy(msg, visitor->bytes, OMNI_ID_SIZE);
    memcpy(msg + OMNI_ID_SIZE, experiment, len);

    return (uint32_t) (omni_siphash24(omni_bucket_key, msg,
                                      OMNI_ID_SIZE + len)
                       % OMNI_BUCKETS);
}
