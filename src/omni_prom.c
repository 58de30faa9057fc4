/*
 * Prometheus text exposition format writer.
 */

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <omni/prom.h>


static void omni_prom_put(omni_prom_t *w, const char *s, size_t len);
static void omni_prom_puts(omni_prom_t *w, const char *s);
static void omni_prom_begin(omni_prom_t *w, const char *name,
    const omni_prom_label_t *labels, size_t nlabels);
static void omni_prom_end(omni_prom_t *w, const char *value, size_t len);
static size_t omni_prom_utf8_len(const unsigned char *p, size_t left);
static void omni_prom_fail(omni_prom_t *w, int rc);


static const char  *omni_prom_types[] = { "counter", "gauge", "untyped" };


void
omni_prom_init(omni_prom_t *w, char *buf, size_t size)
{
    w->buf = buf;
    w->size = (buf == NULL) ? 0 : size;
    w->len = 0;
    w->family = NULL;
    w->error = OMNI_OK;
}


int
omni_prom_finish(omni_prom_t *w)
{
    if (w->error != OMNI_OK) {
        return w->error;
    }

    if (w->len > w->size) {
        return OMNI_ETOOBIG;
    }

    return OMNI_OK;
}


int
omni_prom_metric_name_valid(const char *name, size_t len)
{
    size_t  i;
    char    c;

    if (len == 0) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = name[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || c == '_' || c == ':' || (i > 0 && c >= '0' && c <= '9'))
        {
            continue;
        }

        return 0;
    }

    return 1;
}


int
omni_prom_label_name_valid(const char *name, size_t len)
{
    size_t  i;
    char    c;

    if (len == 0 || (len >= 2 && name[0] == '_' && name[1] == '_')) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = name[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || c == '_' || (i > 0 && c >= '0' && c <= '9'))
        {
            continue;
        }

        return 0;
    }

    return 1;
}


/*
 * The length of the well-formed UTF-8 sequence at p (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or 0.
 */

static size_t
omni_prom_utf8_len(const unsigned char *p, size_t left)
{
    size_t         n, i;
    unsigned char  lo, hi;

    if (p[0] < 0x80) {
        return 1;
    }

    lo = 0x80;
    hi = 0xbf;

    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2;

    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3;

        if (p[0] == 0xe0) {
            lo = 0xa0;

        } else if (p[0] == 0xed) {
            hi = 0x9f;
        }

    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;

        if (p[0] == 0xf0) {
            lo = 0x90;

        } else if (p[0] == 0xf4) {
            hi = 0x8f;
        }

    } else {
        return 0;
    }

    if (left < n || p[1] < lo || p[1] > hi) {
        return 0;
    }

    for (i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf) {
            return 0;
        }
    }

    return n;
}


size_t
omni_prom_escape_label(const char *value, size_t len, char *out)
{
    size_t                n, i, k;
    const unsigned char  *p;

    static const char  replacement[] = "\xef\xbf\xbd";

    p = (const unsigned char *) value;
    n = 0;

    for (i = 0; i < len; i += k) {
        k = omni_prom_utf8_len(p + i, len - i);

        if (k == 0) {
            if (out) {
                memcpy(out + n, replacement, 3);
            }

            n += 3;
            k = 1;
            continue;
        }

        if (k == 1 && (p[i] == '\\' || p[i] == '"' || p[i] == '\n')) {
            if (out) {
                out[n] = '\\';
                out[n + 1] = (p[i] == '\n') ? 'n' : (char) p[i];
            }

            n += 2;
            continue;
        }

        if (out) {
            memcpy(out + n, p + i, k);
        }

        n += k;
    }

    return n;
}


void
omni_prom_family(omni_prom_t *w, const char *name, omni_prom_type_e type,
    const char *help)
{
    const char  *p;

    if (!omni_prom_metric_name_valid(name, strlen(name))
        || (unsigned) type > OMNI_PROM_UNTYPED)
    {
        omni_prom_fail(w, OMNI_EINVAL);
        return;
    }

    w->family = name;

    if (help) {
        omni_prom_puts(w, "# HELP ");
        omni_prom_puts(w, name);
        omni_prom_put(w, " ", 1);

        for (p = help; *p; p++) {
            if (*p == '\\') {
                omni_prom_put(w, "\\\\", 2);

            } else if (*p == '\n') {
                omni_prom_put(w, "\\n", 2);

            } else {
                omni_prom_put(w, p, 1);
            }
        }

        omni_prom_put(w, "\n", 1);
    }

    omni_prom_puts(w, "# TYPE ");
    omni_prom_puts(w, name);
    omni_prom_put(w, " ", 1);
    omni_prom_puts(w, omni_prom_types[type]);
    omni_prom_put(w, "\n", 1);
}


void
omni_prom_sample_uint(omni_prom_t *w, const char *name,
    const omni_prom_label_t *labels, size_t nlabels, uint64_t value)
{
    int   n;
    char  num[24];

    n = snprintf(num, sizeof(num), "%" PRIu64, value);

    omni_prom_begin(w, name, labels, nlabels);
    omni_prom_end(w, num, (size_t) n);
}


void
omni_prom_sample_double(omni_prom_t *w, const char *name,
    const omni_prom_label_t *labels, size_t nlabels, double value)
{
    int   n;
    char  num[32];

    if (isnan(value)) {
        n = snprintf(num, sizeof(num), "NaN");

    } else if (isinf(value)) {
        n = snprintf(num, sizeof(num), value > 0 ? "+Inf" : "-Inf");

    } else {
        n = snprintf(num, sizeof(num), "%.17g", value);
    }

    omni_prom_begin(w, name, labels, nlabels);
    omni_prom_end(w, num, (size_t) n);
}


void
omni_prom_sample_cents(omni_prom_t *w, const char *name,
    const omni_prom_label_t *labels, size_t nlabels, int64_t cents)
{
    int       n;
    char      num[32];
    uint64_t  a;

    /* INT64_MIN has no positive counterpart in int64 */
    a = (cents < 0) ? (uint64_t) 0 - (uint64_t) cents : (uint64_t) cents;

    n = snprintf(num, sizeof(num), "%s%" PRIu64 ".%02u",
                 (cents < 0) ? "-" : "", a / 100, (unsigned) (a % 100));

    omni_prom_begin(w, name, labels, nlabels);
    omni_prom_end(w, num, (size_t) n);
}


static void
omni_prom_begin(omni_prom_t *w, const char *name,
    const omni_prom_label_t *labels, size_t nlabels)
{
    size_t             i, n, off;
    char               tmp[64 * 3];
    const omni_str_t  *value;

    if (w->family == NULL || strcmp(name, w->family) != 0) {
        omni_prom_fail(w, OMNI_EINVAL);
        return;
    }

    omni_prom_puts(w, name);

    if (nlabels == 0) {
        return;
    }

    omni_prom_put(w, "{", 1);

    for (i = 0; i < nlabels; i++) {
        if (!omni_prom_label_name_valid(labels[i].name,
                                        strlen(labels[i].name)))
        {
            omni_prom_fail(w, OMNI_EINVAL);
            return;
        }

        if (i > 0) {
            omni_prom_put(w, ",", 1);
        }

        omni_prom_puts(w, labels[i].name);
        omni_prom_put(w, "=\"", 2);

        /* escape in pieces that fit the stack buffer */

        value = &labels[i].value;

        for (off = 0; off < value->len; off += n) {
            n = value->len - off;

            if (n > 64) {
                n = 64;

                /* never split a UTF-8 sequence between two pieces */
                while (n > 1
                       && ((unsigned char) value->data[off + n] & 0xc0)
                          == 0x80)
                {
                    n--;
                }
            }

            omni_prom_put(w, tmp,
                          omni_prom_escape_label(value->data + off, n, tmp));
        }

        omni_prom_put(w, "\"", 1);
    }

    omni_prom_put(w, "}", 1);
}


static void
omni_prom_end(omni_prom_t *w, const char *value, size_t len)
{
    omni_prom_put(w, " ", 1);
    omni_prom_put(w, value, len);
    omni_prom_put(w, "\n", 1);
}


static void
omni_prom_put(omni_prom_t *w, const char *s, size_t len)
{
    if (w->error != OMNI_OK) {
        return;
    }

    if (w->len < w->size) {
        memcpy(w->buf + w->len, s,
               (w->size - w->len < len) ? w->size - w->len : len);
    }

    w->len += len;
}


static void
omni_prom_puts(omni_prom_t *w, const char *s)
{
    omni_prom_put(w, s, strlen(s));
}


static void
omni_prom_fail(omni_prom_t *w, int rc)
{
    if (w->error == OMNI_OK) {
        w->error = rc;
    }
}
