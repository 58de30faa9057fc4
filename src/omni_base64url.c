/*
 * Unpadded, canonical base64url.
 */

#include <omni/cookie.h>


static const char  omni_b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* 0xff marks a byte outside the alphabet */
static const uint8_t  omni_b64url_value[256] = {
#define X 0xff
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, 62, X, X,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, X, X, X,
    X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, 63,
    X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X
#undef X
};


size_t
omni_base64url_encode(const uint8_t *src, size_t len, char *dst)
{
    char  *d;

    d = dst;

    while (len > 2) {
        *d++ = omni_b64url_alphabet[src[0] >> 2];
        *d++ = omni_b64url_alphabet[((src[0] & 0x03) << 4) | (src[1] >> 4)];
        *d++ = omni_b64url_alphabet[((src[1] & 0x0f) << 2) | (src[2] >> 6)];
        *d++ = omni_b64url_alphabet[src[2] & 0x3f];

        src += 3;
        len -= 3;
    }

    if (len) {
        *d++ = omni_b64url_alphabet[src[0] >> 2];

        if (len == 1) {
            *d++ = omni_b64url_alphabet[(src[0] & 0x03) << 4];

        } else {
            *d++ = omni_b64url_alphabet[((src[0] & 0x03) << 4)
                                        | (src[1] >> 4)];
            *d++ = omni_b64url_alphabet[(src[1] & 0x0f) << 2];
        }
    }

    return d - dst;
}


long
omni_base64url_decode(const char *src, size_t len, uint8_t *dst)
{
    size_t          i;
    uint8_t        *d;
    uint32_t        v, c;
    const uint8_t  *s;

    /* a single leftover character cannot carry a whole byte */
    if (len % 4 == 1) {
        return -1;
    }

    s = (const uint8_t *) src;
    d = dst;

    for (i = 0; i + 4 <= len; i += 4) {
        v = 0;

        for (c = 0; c < 4; c++) {
            if (omni_b64url_value[s[i + c]] == 0xff) {
                return -1;
            }

            v = (v << 6) | omni_b64url_value[s[i + c]];
        }

        *d++ = (uint8_t) (v >> 16);
        *d++ = (uint8_t) (v >> 8);
        *d++ = (uint8_t) v;
    }

    if (i < len) {
        v = 0;

        for (c = 0; i + c < len; c++) {
            if (omni_b64url_value[s[i + c]] == 0xff) {
                return -1;
            }

            v = (v << 6) | omni_b64url_value[s[i + c]];
        }

        if (c == 2) {
            /* 12 bits, 8 used: the low 4 must be zero to be canonical */
            if (v & 0x0f) {
                return -1;
            }

            *d++ = (uint8_t) (v >> 4);

        } else {
            /* 18 bits, 16 used */
            if (v & 0x03) {
                return -1;
            }

            *d++ = (uint8_t) (v >> 10);
            *d++ = (uint8_t) (v >> 2);
        }
    }

    return d - dst;
}
