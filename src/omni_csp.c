/*
 * Content-Security-Policy nonces: which one governs injected elements,
 * and writing it into their start tags.
 */

#include <string.h>

#include <omni/csp.h>


static int omni_csp_directive(const char *p, const char *end,
    const char *name, omni_str_t *value);
static int omni_csp_find_nonce(omni_str_t value, omni_str_t *nonce);
static int omni_csp_ncase(const char *s, size_t n, const char *lower);
static int omni_csp_tag(const char *p, const char *end, const char *name);


#define omni_csp_space(c)                                                   \
    ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r' || (c) == '\f')


int
omni_csp_nonce(const char *policy, size_t len, omni_csp_kind_e kind,
    omni_str_t *nonce)
{
    int          rc;
    size_t       i;
    omni_str_t   value;
    const char  *p, *end, *comma;

    static const char  *script[] = {
        "script-src-elem", "script-src", "default-src", NULL
    };

    static const char  *style[] = {
        "style-src-elem", "style-src", "default-src", NULL
    };

    const char  **names = (kind == OMNI_CSP_SCRIPT) ? script : style;

    p = policy;
    end = policy + len;

    while (p < end) {
        comma = memchr(p, ',', end - p);

        if (comma == NULL) {
            comma = end;
        }

        for (i = 0; names[i]; i++) {
            if (omni_csp_directive(p, comma, names[i], &value) == OMNI_OK) {
                rc = omni_csp_find_nonce(value, nonce);

                if (rc != OMNI_ENOTFOUND) {
                    return rc;
                }

                /* this policy governs the kind without a nonce */
                break;
            }
        }

        p = comma + 1;
    }

    return OMNI_ENOTFOUND;
}


/* the value of the first directive called name in [p, end) */

static int
omni_csp_directive(const char *p, const char *end, const char *name,
    omni_str_t *value)
{
    size_t       n;
    const char  *semi, *q;

    n = strlen(name);

    while (p < end) {
        semi = memchr(p, ';', end - p);

        if (semi == NULL) {
            semi = end;
        }

        while (p < semi && omni_csp_space(*p)) {
            p++;
        }

        q = p;

        while (q < semi && !omni_csp_space(*q)) {
            q++;
        }

        if ((size_t) (q - p) == n && omni_csp_ncase(p, n, name)) {
            value->data = q;
            value->len = semi - q;
            return OMNI_OK;
        }

        p = semi + 1;
    }

    return OMNI_ENOTFOUND;
}


static int
omni_csp_find_nonce(omni_str_t value, omni_str_t *nonce)
{
    size_t       n, i, pad;
    const char  *p, *end, *q;

    p = value.data;
    end = p + value.len;

    while (p < end) {

        while (p < end && omni_csp_space(*p)) {
            p++;
        }

        q = p;

        while (q < end && !omni_csp_space(*q)) {
            q++;
        }

        n = q - p;

        if (n > 8 && omni_csp_ncase(p, 7, "'nonce-") && p[n - 1] == '\'') {
            nonce->data = p + 7;
            nonce->len = n - 8;

            if (nonce->len == 0 || nonce->len > OMNI_CSP_NONCE_MAX) {
                return OMNI_EINVAL;
            }

            /* base64 or base64url, at most two "=" at the end */
            pad = 0;

            for (i = 0; i < nonce->len; i++) {
                char  c = nonce->data[i];

                if (c == '=') {
                    pad++;
                    continue;
                }

                if (pad
                    || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                         || (c >= '0' && c <= '9') || c == '+' || c == '/'
                         || c == '-' || c == '_'))
                {
                    return OMNI_EINVAL;
                }
            }

            if (pad > 2 || pad == nonce->len) {
                return OMNI_EINVAL;
            }

            return OMNI_OK;
        }

        p = q;
    }

    return OMNI_ENOTFOUND;
}


static int
omni_csp_ncase(const char *s, size_t n, const char *lower)
{
    size_t  i;
    char    c;

    for (i = 0; i < n; i++) {
        c = s[i];

        if (c >= 'A' && c <= 'Z') {
            c |= 0x20;
        }

        if (c != lower[i]) {
            return 0;
        }
    }

    return 1;
}


/* "<name" followed by space, "/" or ">", in any case */

static int
omni_csp_tag(const char *p, const char *end, const char *name)
{
    size_t  n;

    n = strlen(name);

    if ((size_t) (end - p) <= n || !omni_csp_ncase(p, n, name)) {
        return 0;
    }

    return omni_csp_space(p[n]) || p[n] == '/' || p[n] == '>';
}


int
omni_csp_add_nonce(const char *src, size_t len, omni_str_t script,
    omni_str_t style, char *buf, size_t size, size_t *out_len)
{
    size_t       n, k, skip;
    const char  *p, *end, *lt;
    omni_str_t  *nonce;

    p = src;
    end = src + len;
    n = 0;

    while (p < end) {
        lt = memchr(p, '<', end - p);

        if (lt == NULL) {
            lt = end;
        }

        k = lt - p;

        if (k && n + k <= size) {
            memcpy(buf + n, p, k);
        }

        n += k;
        p = lt;

        if (p == end) {
            break;
        }

        nonce = NULL;
        skip = 1;

        if (omni_csp_tag(p, end, "<script")) {
            nonce = &script;
            skip = 7;

        } else if (omni_csp_tag(p, end, "<style")) {
            nonce = &style;
            skip = 6;
        }

        if (n + skip <= size) {
            memcpy(buf + n, p, skip);
        }

        n += skip;
        p += skip;

        if (nonce == NULL || nonce->len == 0) {
            continue;
        }

        k = sizeof(" nonce=\"\"") - 1 + nonce->len;

        if (n + k <= size) {
            memcpy(buf + n, " nonce=\"", 8);
            memcpy(buf + n + 8, nonce->data, nonce->len);
            buf[n + k - 1] = '"';
        }

        n += k;
    }

    *out_len = n;

    return (n <= size) ? OMNI_OK : OMNI_ETOOBIG;
}
