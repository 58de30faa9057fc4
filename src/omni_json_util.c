/*
 * Helpers shared by the JSON mappings of the records.
 */

#include <stdlib.h>
#include <string.h>

#include "omni_json_int.h"


static size_t omni_utf8_len(const unsigned char *p, size_t left);


json_t *
omni_json_text(omni_str_t s)
{
    size_t                n, i;
    json_t               *j;
    unsigned char        *out, *o;
    const unsigned char  *p;

    j = json_stringn(s.len ? s.data : "", s.len);
    if (j != NULL) {
        return j;
    }

    /* not UTF-8: every bad byte becomes the 3 bytes of U+FFFD */

    out = malloc(s.len * 3 + 1);
    if (out == NULL) {
        return NULL;
    }

    p = (const unsigned char *) s.data;
    o = out;

    for (i = 0; i < s.len; /* void */ ) {
        n = omni_utf8_len(p + i, s.len - i);

        if (n == 0) {
            *o++ = 0xef;
            *o++ = 0xbf;
            *o++ = 0xbd;
            i++;
            continue;
        }

        memcpy(o, p + i, n);
        o += n;
        i += n;
    }

    j = json_stringn((char *) out, o - out);
    free(out);

    return j;
}


/* the length of the valid UTF-8 sequence at p, or 0 */

static size_t
omni_utf8_len(const unsigned char *p, size_t left)
{
    size_t    n, i;
    uint32_t  c;

    if (p[0] < 0x80) {
        return p[0] == 0 ? 0 : 1;
    }

    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2;
        c = p[0] & 0x1f;

    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3;
        c = p[0] & 0x0f;

    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;
        c = p[0] & 0x07;

    } else {
        return 0;
    }

    if (n > left) {
        return 0;
    }

    for (i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }

        c = (c << 6) | (p[i] & 0x3f);
    }

    /* overlong forms, surrogates and values past U+10FFFF */
    if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000)
        || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
    {
        return 0;
    }

    return n;
}


char *
omni_json_finish(json_t *obj, size_t *len)
{
    char  *out;

    if (obj == NULL) {
        return NULL;
    }

    out = json_dumps(obj, JSON_COMPACT|JSON_PRESERVE_ORDER);
    json_decref(obj);

    if (out && len) {
        *len = strlen(out);
    }

    return out;
}


void
omni_json_set(json_t *obj, const char *key, json_t *v, int *bad)
{
    /* json_object_set_new() takes v even when it fails */
    if (v == NULL || json_object_set_new(obj, key, v) != 0) {
        *bad = 1;
    }
}
