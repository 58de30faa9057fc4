/*
 * Profile records to and from JSON lines (see record_json.h).
 *
 * Lines are read by a JSON reader written for this one shape: it decodes
 * strings straight into the caller's buffer and allocates nothing.
 * Building a jansson tree per line cost more than the LMDB writes of an
 * import (about 3 us a line, most of it malloc and hashing), and the
 * reader takes about a tenth of that.  It accepts the lines that
 * json_loadb(JSON_REJECT_DUPLICATES) parses and the schema allows, and no
 * others: the unit tests hold the two against each other.  Output still
 * goes through jansson.
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <omni/record_json.h>
#include <omni/wire.h>

#include "omni_json_int.h"


typedef struct {
    const uint8_t      *start;
    const uint8_t      *p;
    const uint8_t      *end;
    char               *pos;            /* the arena strings go to */
    char               *last;
    omni_json_error_t  *err;
} omni_jp_t;


#define OMNI_JP_CUSTOMER_ID  0x01
#define OMNI_JP_FIRST_NAME   0x02
#define OMNI_JP_LOCALE       0x04
#define OMNI_JP_TIER         0x08
#define OMNI_JP_POINTS       0x10
#define OMNI_JP_UPDATED      0x20
#define OMNI_JP_CONSENT      0x40
#define OMNI_JP_TAGS         0x80
#define OMNI_JP_ATTRS        0x100


static int omni_jp_fail(omni_jp_t *jp, int rc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int omni_jp_syntax(omni_jp_t *jp, const char *what);
static void omni_jp_ws(omni_jp_t *jp);
static int omni_jp_peek(omni_jp_t *jp);
static int omni_jp_string(omni_jp_t *jp, char *dst, size_t cap,
    size_t *len);
static int omni_jp_hex4(omni_jp_t *jp, uint32_t *cp);
static int omni_jp_number(omni_jp_t *jp, int64_t *v, int *integer);
static int omni_jp_literal(omni_jp_t *jp, const char *word, size_t len);
static int omni_jp_text(omni_jp_t *jp, const char *name, size_t min,
    size_t max, omni_str_t *out);
static int omni_jp_int(omni_jp_t *jp, const char *name, int64_t *v,
    int64_t min);
static int omni_jp_consent(omni_jp_t *jp, omni_profile_t *p);
static int omni_jp_tags(omni_jp_t *jp, omni_profile_t *p);
static int omni_jp_attrs(omni_jp_t *jp, omni_profile_t *p);
static int omni_jp_attr_value(omni_jp_t *jp, omni_str_t *key,
    omni_attr_t *attr, int *null);
static size_t omni_jp_utf8(const uint8_t *p, size_t left);
static size_t omni_jp_put_utf8(uint32_t cp, char *out);


int
omni_profile_from_json(const char *text, size_t len, omni_profile_t *p,
    char *buf, size_t size, omni_json_error_t *err)
{
    int         rc;
    char        key[16];
    size_t      klen;
    unsigned    seen, field;
    omni_jp_t   jp;

    omni_profile_init(p);
    err->text[0] = '\0';
    jp.err = err;

    if (len > OMNI_JSON_LINE_MAX) {
        return omni_jp_fail(&jp, OMNI_ETOOBIG, "line longer than %d bytes",
                            OMNI_JSON_LINE_MAX);
    }

    jp.start = (const uint8_t *) text;
    jp.p = jp.start;
    jp.end = jp.start + len;
    jp.pos = buf;
    jp.last = buf + size;
    jp.err = err;

    omni_jp_ws(&jp);

    if (omni_jp_peek(&jp) != '{') {
        return omni_jp_peek(&jp) == '['
               ? omni_jp_fail(&jp, OMNI_EINVAL, "not a JSON object")
               : omni_jp_syntax(&jp, "'{' expected");
    }

    jp.p++;
    seen = 0;

    omni_jp_ws(&jp);

    if (omni_jp_peek(&jp) == '}') {
        jp.p++;
        goto end;
    }

    for ( ;; ) {
        omni_jp_ws(&jp);

        if (omni_jp_peek(&jp) != '"') {
            return omni_jp_syntax(&jp, "string or '}' expected");
        }

        rc = omni_jp_string(&jp, key, sizeof(key) - 1, &klen);

        if (rc == OMNI_EINVAL) {
            return rc;
        }

        if (rc == OMNI_ETOOBIG) {
            /* longer than any field name */
            return omni_jp_fail(&jp, OMNI_EINVAL, "unknown field \"%.15s...\"",
                                key);
        }

        key[klen] = '\0';

        omni_jp_ws(&jp);

        if (omni_jp_peek(&jp) != ':') {
            return omni_jp_syntax(&jp, "':' expected");
        }

        jp.p++;
        omni_jp_ws(&jp);

        if (strcmp(key, "customer_id") == 0) {
            field = OMNI_JP_CUSTOMER_ID;

        } else if (strcmp(key, "first_name") == 0) {
            field = OMNI_JP_FIRST_NAME;

        } else if (strcmp(key, "locale") == 0) {
            field = OMNI_JP_LOCALE;

        } else if (strcmp(key, "tier") == 0) {
            field = OMNI_JP_TIER;

        } else if (strcmp(key, "points") == 0) {
            field = OMNI_JP_POINTS;

        } else if (strcmp(key, "updated") == 0) {
            field = OMNI_JP_UPDATED;

        } else if (strcmp(key, "consent") == 0) {
            field = OMNI_JP_CONSENT;

        } else if (strcmp(key, "tags") == 0) {
            field = OMNI_JP_TAGS;

        } else if (strcmp(key, "attrs") == 0) {
            field = OMNI_JP_ATTRS;

        } else {
            return omni_jp_fail(&jp, OMNI_EINVAL, "unknown field \"%s\"",
                                key);
        }

        if (seen & field) {
            return omni_jp_fail(&jp, OMNI_EINVAL, "invalid JSON at column "
                                "%d: duplicate object key \"%s\"",
                                (int) (jp.p - jp.start), key);
        }

        seen |= field;

        switch (field) {

        case OMNI_JP_CUSTOMER_ID:
            rc = omni_jp_text(&jp, key, 1, OMNI_KEY_MAX, &p->customer_id);
            break;

        case OMNI_JP_FIRST_NAME:
            rc = omni_jp_text(&jp, key, 0, OMNI_SHORT_MAX, &p->first_name);
            break;

        case OMNI_JP_LOCALE:
            rc = omni_jp_text(&jp, key, 0, OMNI_SHORT_MAX, &p->locale);
            break;

        case OMNI_JP_TIER:
            rc = omni_jp_text(&jp, key, 0, OMNI_SHORT_MAX, &p->tier);
            break;

        case OMNI_JP_POINTS:
            rc = omni_jp_int(&jp, key, &p->points, INT64_MIN);
            break;

        case OMNI_JP_UPDATED:
            rc = omni_jp_int(&jp, key, &p->updated, 0);
            break;

        case OMNI_JP_CONSENT:
            rc = omni_jp_consent(&jp, p);
            break;

        case OMNI_JP_TAGS:
            rc = omni_jp_tags(&jp, p);
            break;

        default: /* OMNI_JP_ATTRS */
            rc = omni_jp_attrs(&jp, p);
            break;
        }

        if (rc != OMNI_OK) {
            return rc;
        }

        omni_jp_ws(&jp);

        if (omni_jp_peek(&jp) == ',') {
            jp.p++;
            continue;
        }

        if (omni_jp_peek(&jp) == '}') {
            jp.p++;
            break;
        }

        return omni_jp_syntax(&jp, "',' or '}' expected");
    }

end:

    omni_jp_ws(&jp);

    if (jp.p != jp.end) {
        return omni_jp_syntax(&jp, "end of line expected");
    }

    if (!(seen & OMNI_JP_CUSTOMER_ID)) {
        return omni_jp_fail(&jp, OMNI_EINVAL, "no \"customer_id\"");
    }

    return OMNI_OK;
}


static int
omni_jp_fail(omni_jp_t *jp, int rc, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    vsnprintf(jp->err->text, sizeof(jp->err->text), fmt, args);
    va_end(args);

    return rc;
}


static int
omni_jp_syntax(omni_jp_t *jp, const char *what)
{
    return omni_jp_fail(jp, OMNI_EINVAL, "invalid JSON at column %d: %s",
                        (int) (jp->p - jp->start) + 1, what);
}


static void
omni_jp_ws(omni_jp_t *jp)
{
    while (jp->p < jp->end
           && (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n'
               || *jp->p == '\r'))
    {
        jp->p++;
    }
}


static int
omni_jp_peek(omni_jp_t *jp)
{
    return jp->p < jp->end ? *jp->p : -1;
}


/*
 * A string at jp->p (on its opening quote), decoded into dst.  More than
 * cap decoded bytes: OMNI_ETOOBIG (dst then holds the first cap).
 */

static int
omni_jp_string(omni_jp_t *jp, char *dst, size_t cap, size_t *len)
{
    size_t          n, k;
    uint8_t         c;
    uint32_t        cp, lo;
    const uint8_t  *p;
    char            utf8[4];

    n = 0;
    jp->p++;

    for ( ;; ) {
        if (jp->p >= jp->end) {
            return omni_jp_syntax(jp, "unterminated string");
        }

        p = jp->p;
        c = *p;

        if (c == '"') {
            jp->p++;
            *len = n;
            return OMNI_OK;
        }

        if (c < 0x20) {
            return omni_jp_syntax(jp, "control character in a string");
        }

        if (c != '\\') {
            k = (c < 0x80) ? 1 : omni_jp_utf8(p, jp->end - p);

            if (k == 0) {
                return omni_jp_syntax(jp, "invalid UTF-8");
            }

            if (n + k > cap) {
                *len = n;
                return OMNI_ETOOBIG;
            }

            memcpy(dst + n, p, k);
            n += k;
            jp->p += k;
            continue;
        }

        if (jp->end - p < 2) {
            return omni_jp_syntax(jp, "unterminated string");
        }

        jp->p += 2;

        switch (p[1]) {

        case '"': case '\\': case '/':
            utf8[0] = (char) p[1];
            k = 1;
            break;

        case 'b':
            utf8[0] = '\b';
            k = 1;
            break;

        case 'f':
            utf8[0] = '\f';
            k = 1;
            break;

        case 'n':
            utf8[0] = '\n';
            k = 1;
            break;

        case 'r':
            utf8[0] = '\r';
            k = 1;
            break;

        case 't':
            utf8[0] = '\t';
            k = 1;
            break;

        case 'u':
            if (omni_jp_hex4(jp, &cp) != OMNI_OK) {
                return OMNI_EINVAL;
            }

            if (cp >= 0xdc00 && cp <= 0xdfff) {
                return omni_jp_syntax(jp, "invalid Unicode escape");
            }

            if (cp >= 0xd800 && cp <= 0xdbff) {
                /* a high surrogate: the low one must follow */
                if (jp->end - jp->p < 2 || jp->p[0] != '\\'
                    || jp->p[1] != 'u')
                {
                    return omni_jp_syntax(jp, "invalid Unicode escape");
                }

                jp->p += 2;

                if (omni_jp_hex4(jp, &lo) != OMNI_OK) {
                    return OMNI_EINVAL;
                }

                if (lo < 0xdc00 || lo > 0xdfff) {
                    return omni_jp_syntax(jp, "invalid Unicode escape");
                }

                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }

            if (cp == 0) {
                return omni_jp_syntax(jp, "\\u0000 is not allowed");
            }

            k = omni_jp_put_utf8(cp, utf8);
            break;

        default:
            jp->p = p;
            return omni_jp_syntax(jp, "invalid escape");
        }

        if (n + k > cap) {
            *len = n;
            return OMNI_ETOOBIG;
        }

        memcpy(dst + n, utf8, k);
        n += k;
    }
}


static int
omni_jp_hex4(omni_jp_t *jp, uint32_t *cp)
{
    int       i;
    uint8_t   c;
    uint32_t  v;

    if (jp->end - jp->p < 4) {
        return omni_jp_syntax(jp, "invalid \\u escape");
    }

    v = 0;

    for (i = 0; i < 4; i++) {
        c = jp->p[i];

        if (c >= '0' && c <= '9') {
            v = v * 16 + (c - '0');

        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
            v = v * 16 + ((c | 0x20) - 'a' + 10);

        } else {
            return omni_jp_syntax(jp, "invalid \\u escape");
        }
    }

    jp->p += 4;
    *cp = v;

    return OMNI_OK;
}


/* the JSON number grammar; *integer is 0 when it has a fraction or an
 * exponent (its value is then not computed) */

static int
omni_jp_number(omni_jp_t *jp, int64_t *v, int *integer)
{
    int             neg;
    uint64_t        n, limit;
    const uint8_t  *p;

    p = jp->p;
    neg = 0;

    if (p < jp->end && *p == '-') {
        neg = 1;
        p++;
    }

    if (p >= jp->end || *p < '0' || *p > '9') {
        return omni_jp_syntax(jp, "invalid number");
    }

    limit = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
    n = 0;
    *integer = 1;

    if (*p == '0') {
        p++;

    } else {
        while (p < jp->end && *p >= '0' && *p <= '9') {
            if (n > (limit - (*p - '0')) / 10) {
                jp->p = p;
                return omni_jp_syntax(jp, "too big integer");
            }

            n = n * 10 + (*p - '0');
            p++;
        }
    }

    if (p < jp->end && *p == '.') {
        *integer = 0;
        p++;

        if (p >= jp->end || *p < '0' || *p > '9') {
            jp->p = p;
            return omni_jp_syntax(jp, "invalid number");
        }

        while (p < jp->end && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    if (p < jp->end && (*p == 'e' || *p == 'E')) {
        *integer = 0;
        p++;

        if (p < jp->end && (*p == '+' || *p == '-')) {
            p++;
        }

        if (p >= jp->end || *p < '0' || *p > '9') {
            jp->p = p;
            return omni_jp_syntax(jp, "invalid number");
        }

        while (p < jp->end && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    jp->p = p;

    /* "-0" is the integer 0, as jansson has it */
    *v = neg ? (int64_t) (0 - n) : (int64_t) n;

    return OMNI_OK;
}


static int
omni_jp_literal(omni_jp_t *jp, const char *word, size_t len)
{
    if ((size_t) (jp->end - jp->p) < len || memcmp(jp->p, word, len) != 0) {
        return omni_jp_syntax(jp, "invalid literal");
    }

    jp->p += len;

    return OMNI_OK;
}


static int
omni_jp_text(omni_jp_t *jp, const char *name, size_t min, size_t max,
    omni_str_t *out)
{
    int     rc;
    size_t  cap, len;

    if (omni_jp_peek(jp) == 'n' && min == 0) {
        return omni_jp_literal(jp, "null", 4);
    }

    if (omni_jp_peek(jp) != '"') {
        return omni_jp_fail(jp, OMNI_EINVAL, "\"%s\" must be a string",
                            name);
    }

    cap = (size_t) (jp->last - jp->pos);
    cap = cap < max ? cap : max;

    rc = omni_jp_string(jp, jp->pos, cap, &len);

    if (rc == OMNI_ETOOBIG) {
        return cap < max
               ? omni_jp_fail(jp, OMNI_ETOOBIG, "profile too large")
               : omni_jp_fail(jp, OMNI_ETOOBIG, "\"%s\" is longer than %zu "
                              "bytes", name, max);
    }

    if (rc != OMNI_OK) {
        return rc;
    }

    out->data = jp->pos;
    out->len = len;

    if (len < min) {
        return omni_jp_fail(jp, OMNI_EINVAL, "\"%s\" is empty", name);
    }

    if (!omni_text_ok(*out)) {
        return omni_jp_fail(jp, OMNI_EINVAL, "\"%s\" holds a control "
                            "character", name);
    }

    jp->pos += len;

    return OMNI_OK;
}


static int
omni_jp_int(omni_jp_t *jp, const char *name, int64_t *v, int64_t min)
{
    int      rc, integer;
    int64_t  n;

    if (omni_jp_peek(jp) == 'n') {
        return omni_jp_literal(jp, "null", 4);
    }

    if (omni_jp_peek(jp) == '-'
        || (omni_jp_peek(jp) >= '0' && omni_jp_peek(jp) <= '9'))
    {
        rc = omni_jp_number(jp, &n, &integer);
        if (rc != OMNI_OK) {
            return rc;
        }

        if (integer && n >= min) {
            *v = n;
            return OMNI_OK;
        }
    }

    return omni_jp_fail(jp, OMNI_EINVAL, min == 0
                        ? "\"%s\" must be unix seconds (an integer)"
                        : "\"%s\" must be an integer", name);
}


static int
omni_jp_consent(omni_jp_t *jp, omni_profile_t *p)
{
    int       rc;
    char      name[16];
    size_t    i, len;
    uint32_t  flag;

    if (omni_jp_peek(jp) == 'n') {
        return omni_jp_literal(jp, "null", 4);
    }

    if (omni_jp_peek(jp) != '[') {
        return omni_jp_fail(jp, OMNI_EINVAL, "\"consent\" must be an array "
                            "of channel names");
    }

    jp->p++;
    omni_jp_ws(jp);

    if (omni_jp_peek(jp) == ']') {
        jp->p++;
        return OMNI_OK;
    }

    for (i = 1; /* void */ ; i++) {
        omni_jp_ws(jp);

        flag = 0;

        if (omni_jp_peek(jp) == '"') {
            rc = omni_jp_string(jp, name, sizeof(name), &len);

            if (rc == OMNI_EINVAL) {
                return rc;
            }

            if (rc == OMNI_OK) {
                flag = omni_consent_by_name(name, len);
            }
        }

        if (flag == 0) {
            return omni_jp_fail(jp, OMNI_EINVAL, "consent %zu is not one of "
                                "email, sms, push, ads, analytics", i);
        }

        p->consent |= flag;

        omni_jp_ws(jp);

        if (omni_jp_peek(jp) == ',') {
            jp->p++;
            continue;
        }

        if (omni_jp_peek(jp) == ']') {
            jp->p++;
            return OMNI_OK;
        }

        return omni_jp_syntax(jp, "',' or ']' expected");
    }
}


static int
omni_jp_tags(omni_jp_t *jp, omni_profile_t *p)
{
    int         rc;
    size_t      i, cap, len;
    omni_str_t  tag;

    if (omni_jp_peek(jp) == 'n') {
        return omni_jp_literal(jp, "null", 4);
    }

    if (omni_jp_peek(jp) != '[') {
        return omni_jp_fail(jp, OMNI_EINVAL, "\"tags\" must be an array of "
                            "strings");
    }

    jp->p++;
    omni_jp_ws(jp);

    if (omni_jp_peek(jp) == ']') {
        jp->p++;
        return OMNI_OK;
    }

    for (i = 1; /* void */ ; i++) {
        omni_jp_ws(jp);

        if (omni_jp_peek(jp) != '"') {
            return omni_jp_fail(jp, OMNI_EINVAL, "tag %zu is not a string",
                                i);
        }

        cap = (size_t) (jp->last - jp->pos);

        if (cap < OMNI_PROFILE_TAG_MAX + 1) {
            return omni_jp_fail(jp, OMNI_ETOOBIG, "profile too large");
        }

        rc = omni_jp_string(jp, jp->pos, OMNI_PROFILE_TAG_MAX, &len);

        if (rc == OMNI_EINVAL) {
            return rc;
        }

        tag.data = jp->pos;
        tag.len = len;

        if (rc == OMNI_ETOOBIG || !omni_profile_tag_ok(tag.data, tag.len)) {
            return omni_jp_fail(jp, rc == OMNI_ETOOBIG ? OMNI_ETOOBIG
                                                       : OMNI_EINVAL,
                                "tag %zu must be 1 to %d printable bytes "
                                "without a comma", i, OMNI_PROFILE_TAG_MAX);
        }

        /* a tag given twice is kept once */
        if (!omni_profile_has_tag(p, tag.data, tag.len)) {

            if (p->ntags == OMNI_PROFILE_MAX_TAGS) {
                return omni_jp_fail(jp, OMNI_ETOOBIG, "more than %d tags",
                                    OMNI_PROFILE_MAX_TAGS);
            }

            p->tags[p->ntags++] = tag;
            jp->pos += len;
        }

        omni_jp_ws(jp);

        if (omni_jp_peek(jp) == ',') {
            jp->p++;
            continue;
        }

        if (omni_jp_peek(jp) == ']') {
            jp->p++;
            return OMNI_OK;
        }

        return omni_jp_syntax(jp, "',' or ']' expected");
    }
}


/*
 * Attribute keys count against the limit even with a null value (which
 * drops the attribute), so that the duplicate check stays bounded.
 */

static int
omni_jp_attrs(omni_jp_t *jp, omni_profile_t *p)
{
    int          rc, null;
    size_t       i, j, nkeys, cap, len;
    omni_str_t   key, keys[OMNI_PROFILE_MAX_ATTRS];

    if (omni_jp_peek(jp) == 'n') {
        return omni_jp_literal(jp, "null", 4);
    }

    if (omni_jp_peek(jp) != '{') {
        return omni_jp_fail(jp, OMNI_EINVAL, "\"attrs\" must be an object");
    }

    jp->p++;
    omni_jp_ws(jp);

    if (omni_jp_peek(jp) == '}') {
        jp->p++;
        return OMNI_OK;
    }

    nkeys = 0;

    for ( ;; ) {
        omni_jp_ws(jp);

        if (omni_jp_peek(jp) != '"') {
            return omni_jp_syntax(jp, "string or '}' expected");
        }

        cap = (size_t) (jp->last - jp->pos);

        if (cap < OMNI_PROFILE_ATTR_KEY_MAX + 1) {
            return omni_jp_fail(jp, OMNI_ETOOBIG, "profile too large");
        }

        rc = omni_jp_string(jp, jp->pos, OMNI_PROFILE_ATTR_KEY_MAX, &len);

        if (rc == OMNI_EINVAL) {
            return rc;
        }

        key.data = jp->pos;
        key.len = len;

        if (rc == OMNI_ETOOBIG || !omni_profile_attr_key_ok(key.data, len)) {
            return omni_jp_fail(jp, OMNI_EINVAL, "attribute name \"%.*s\" "
                                "must be 1 to %d of [A-Za-z0-9_]",
                                (int) (len < 64 ? len : 64), key.data,
                                OMNI_PROFILE_ATTR_KEY_MAX);
        }

        for (j = 0; j < nkeys; j++) {
            if (keys[j].len == len && memcmp(keys[j].data, key.data, len) == 0)
            {
                return omni_jp_fail(jp, OMNI_EINVAL, "invalid JSON at "
                                    "column %d: duplicate object key "
                                    "\"%.*s\"", (int) (jp->p - jp->start),
                                    (int) len, key.data);
            }
        }

        if (nkeys == OMNI_PROFILE_MAX_ATTRS) {
            return omni_jp_fail(jp, OMNI_ETOOBIG, "more than %d attributes",
                                OMNI_PROFILE_MAX_ATTRS);
        }

        keys[nkeys++] = key;
        jp->pos += len;

        omni_jp_ws(jp);

        if (omni_jp_peek(jp) != ':') {
            return omni_jp_syntax(jp, "':' expected");
        }

        jp->p++;
        omni_jp_ws(jp);

        i = p->nattrs;

        rc = omni_jp_attr_value(jp, &key, &p->attrs[i], &null);
        if (rc != OMNI_OK) {
            return rc;
        }

        if (!null) {
            p->attrs[i].key = key;
            p->nattrs++;
        }

        omni_jp_ws(jp);

        if (omni_jp_peek(jp) == ',') {
            jp->p++;
            continue;
        }

        if (omni_jp_peek(jp) == '}') {
            jp->p++;
            return OMNI_OK;
        }

        return omni_jp_syntax(jp, "',' or '}' expected");
    }
}


static int
omni_jp_attr_value(omni_jp_t *jp, omni_str_t *key, omni_attr_t *attr,
    int *null)
{
    int      rc, c, integer, n;
    size_t   cap, len;
    int64_t  v;

    *null = 0;
    c = omni_jp_peek(jp);

    if (c == 'n') {
        *null = 1;
        return omni_jp_literal(jp, "null", 4);
    }

    cap = (size_t) (jp->last - jp->pos);

    if (c == '"') {
        rc = omni_jp_string(jp, jp->pos, cap < OMNI_SHORT_MAX
                                         ? cap : OMNI_SHORT_MAX, &len);

        if (rc == OMNI_ETOOBIG) {
            return cap < OMNI_SHORT_MAX
                   ? omni_jp_fail(jp, OMNI_ETOOBIG, "profile too large")
                   : omni_jp_fail(jp, OMNI_ETOOBIG, "attribute \"%.*s\" is "
                                  "longer than %d bytes", (int) key->len,
                                  key->data, OMNI_SHORT_MAX);
        }

        if (rc != OMNI_OK) {
            return rc;
        }

        attr->value.data = jp->pos;
        attr->value.len = len;

        if (!omni_text_ok(attr->value)) {
            return omni_jp_fail(jp, OMNI_EINVAL, "attribute \"%.*s\" holds "
                                "a control character", (int) key->len,
                                key->data);
        }

        jp->pos += len;

        return OMNI_OK;
    }

    if (c == 't' || c == 'f') {
        rc = (c == 't') ? omni_jp_literal(jp, "true", 4)
                        : omni_jp_literal(jp, "false", 5);

        if (rc != OMNI_OK) {
            return rc;
        }

        attr->value.data = (c == 't') ? "true" : "false";
        attr->value.len = (c == 't') ? 4 : 5;

        return OMNI_OK;
    }

    if (c == '-' || (c >= '0' && c <= '9')) {
        rc = omni_jp_number(jp, &v, &integer);
        if (rc != OMNI_OK) {
            return rc;
        }

        if (integer) {
            if (cap < 21) {
                return omni_jp_fail(jp, OMNI_ETOOBIG, "profile too large");
            }

            n = snprintf(jp->pos, cap, "%" PRId64, v);

            attr->value.data = jp->pos;
            attr->value.len = (size_t) n;
            jp->pos += n;

            return OMNI_OK;
        }
    }

    return omni_jp_fail(jp, OMNI_EINVAL, "attribute \"%.*s\" must be a "
                        "string, an integer or a boolean", (int) key->len,
                        key->data);
}


/* the length of the valid UTF-8 sequence at p (p[0] >= 0x80), or 0 */

static size_t
omni_jp_utf8(const uint8_t *p, size_t left)
{
    size_t    n, i;
    uint32_t  c;

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


static size_t
omni_jp_put_utf8(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char) cp;
        return 1;
    }

    if (cp < 0x800) {
        out[0] = (char) (0xc0 | (cp >> 6));
        out[1] = (char) (0x80 | (cp & 0x3f));
        return 2;
    }

    if (cp < 0x10000) {
        out[0] = (char) (0xe0 | (cp >> 12));
        out[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char) (0x80 | (cp & 0x3f));
        return 3;
    }

    out[0] = (char) (0xf0 | (cp >> 18));
    out[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char) (0x80 | (cp & 0x3f));

    return 4;
}


char *
omni_profile_to_json(const omni_profile_t *p, size_t *len)
{
    int       bad;
    size_t    i;
    json_t   *obj, *arr, *attrs;
    char      key[OMNI_PROFILE_ATTR_KEY_MAX + 1];
    uint32_t  flag;

    obj = json_object();
    if (obj == NULL) {
        return NULL;
    }

    bad = 0;

    omni_json_set(obj, "customer_id", omni_json_text(p->customer_id), &bad);

    if (p->first_name.len) {
        omni_json_set(obj, "first_name", omni_json_text(p->first_name), &bad);
    }

    if (p->locale.len) {
        omni_json_set(obj, "locale", omni_json_text(p->locale), &bad);
    }

    if (p->tier.len) {
        omni_json_set(obj, "tier", omni_json_text(p->tier), &bad);
    }

    omni_json_set(obj, "points", json_integer(p->points), &bad);

    if (p->consent & OMNI_CONSENT_ALL) {
        arr = json_array();

        for (flag = 1; flag & OMNI_CONSENT_ALL; flag <<= 1) {
            if ((p->consent & flag) && arr != NULL
                && json_array_append_new(arr,
                                         json_string(omni_consent_name(flag)))
                   != 0)
            {
                bad = 1;
            }
        }

        omni_json_set(obj, "consent", arr, &bad);
    }

    if (p->updated) {
        omni_json_set(obj, "updated", json_integer(p->updated), &bad);
    }

    if (p->ntags) {
        arr = json_array();

        for (i = 0; arr != NULL && i < p->ntags; i++) {
            if (json_array_append_new(arr, omni_json_text(p->tags[i])) != 0) {
                bad = 1;
            }
        }

        omni_json_set(obj, "tags", arr, &bad);
    }

    if (p->nattrs) {
        attrs = json_object();

        for (i = 0; attrs != NULL && i < p->nattrs; i++) {
            /* keys are [A-Za-z0-9_]: valid UTF-8 as they are */
            if (p->attrs[i].key.len > OMNI_PROFILE_ATTR_KEY_MAX) {
                bad = 1;
                break;
            }

            memcpy(key, p->attrs[i].key.data, p->attrs[i].key.len);
            key[p->attrs[i].key.len] = '\0';

            omni_json_set(attrs, key, omni_json_text(p->attrs[i].value),
                          &bad);
        }

        omni_json_set(obj, "attrs", attrs, &bad);
    }

    if (bad) {
        json_decref(obj);
        return NULL;
    }

    return omni_json_finish(obj, len);
}

