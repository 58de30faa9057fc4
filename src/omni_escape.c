/*
 * Context escapers for values put into HTML, JS strings and URLs.
 *
 * Every escaper emits pure ASCII: non-ASCII text becomes a numeric
 * character reference (HTML) or a \u escape (JS), and an invalid UTF-8
 * sequence becomes U+FFFD.  The output is then safe whatever charset the
 * page is served in, and no multi-byte sequence can swallow the quote
 * that closes an attribute or a string.
 *
 * The functions return the length of the complete output and write only
 * whole escape sequences that fit, so that a caller can size a buffer
 * with a first call and never sees half an entity.
 */

#include <string.h>

#include <omni/template.h>


#define OMNI_UTF8_INVALID  0xfffd


static uint32_t omni_utf8_next(const uint8_t **pp, const uint8_t *end);
static size_t omni_escape_html(const uint8_t *p, const uint8_t *end,
    char *dst, size_t size);
static size_t omni_escape_js(const uint8_t *p, const uint8_t *end,
    char *dst, size_t size);
static size_t omni_escape_url(const uint8_t *p, const uint8_t *end,
    char *dst, size_t size);
static size_t omni_escape_number(const uint8_t *p, const uint8_t *end,
    char *dst, size_t size);


static const char  omni_hex[] = "0123456789ABCDEF";


/*
 * Bytes that pass through the JS escaper unchanged: letters, digits and
 * punctuation that can neither end a string literal, start an escape,
 * nor form "</script" or "<!--" (no "<" passes).
 */
static const uint8_t  omni_js_plain[128] = {
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
    ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    [' '] = 1, ['_'] = 1, [','] = 1, ['.'] = 1, [':'] = 1, [';'] = 1,
    ['!'] = 1, ['?'] = 1, ['@'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1,
    ['^'] = 1, ['*'] = 1, ['('] = 1, [')'] = 1, ['{'] = 1, ['}'] = 1,
    ['+'] = 1, ['='] = 1, ['|'] = 1, ['~'] = 1, ['/'] = 1, ['-'] = 1
};


size_t
omni_escape(omni_escape_e how, const char *src, size_t len, char *dst,
    size_t size)
{
    const uint8_t  *p, *end;

    p = (const uint8_t *) src;
    end = p + len;

    if (dst == NULL) {
        size = 0;
    }

    switch (how) {

    case OMNI_ESCAPE_JS:
        return omni_escape_js(p, end, dst, size);

    case OMNI_ESCAPE_URL:
        return omni_escape_url(p, end, dst, size);

    case OMNI_ESCAPE_NUMBER:
        return omni_escape_number(p, end, dst, size);

    default: /* OMNI_ESCAPE_HTML */
        return omni_escape_html(p, end, dst, size);
    }
}


size_t
omni_escape_max(omni_escape_e how, size_t len)
{
    switch (how) {

    case OMNI_ESCAPE_JS:
        return len * 6;                 /* one bad byte: "\ufffd" */

    case OMNI_ESCAPE_URL:
        return len * 3;

    case OMNI_ESCAPE_NUMBER:
        return len ? len : 1;

    default: /* OMNI_ESCAPE_HTML */
        return len * 8;                 /* one bad byte: "&#xFFFD;" */
    }
}


/*
 * Decodes one UTF-8 sequence, strictly: overlong forms, surrogates,
 * values past U+10FFFF and truncated sequences give U+FFFD for their
 * first byte only, so that decoding resumes at the next byte.
 */

static uint32_t
omni_utf8_next(const uint8_t **pp, const uint8_t *end)
{
    size_t          n, i;
    uint32_t        c, min;
    const uint8_t  *p;

    p = *pp;
    c = *p;

    if (c < 0x80) {
        *pp = p + 1;
        return c;
    }

    if (c >= 0xc2 && c <= 0xdf) {
        n = 1;
        c &= 0x1f;
        min = 0x80;

    } else if (c >= 0xe0 && c <= 0xef) {
        n = 2;
        c &= 0x0f;
        min = 0x800;

    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 3;
        c &= 0x07;
        min = 0x10000;

    } else {
        *pp = p + 1;
        return OMNI_UTF8_INVALID;
    }

    if ((size_t) (end - p) <= n) {
        *pp = p + 1;
        return OMNI_UTF8_INVALID;
    }

    for (i = 1; i <= n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            *pp = p + 1;
            return OMNI_UTF8_INVALID;
        }

        c = (c << 6) | (p[i] & 0x3f);
    }

    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        *pp = p + 1;
        return OMNI_UTF8_INVALID;
    }

    *pp = p + 1 + n;

    return c;
}


/* appends an escape unit when all of it fits; counts it either way */
#define omni_put(s, n)                                                      \
    do {                                                                    \
        if (out + (n) <= size) {                                            \
            memcpy(dst + out, s, n);                                        \
        } else {                                                            \
            size = 0;                                                       \
        }                                                                   \
        out += (n);                                                         \
    } while (0)


static size_t
omni_escape_html(const uint8_t *p, const uint8_t *end, char *dst,
    size_t size)
{
    int       i;
    char      tmp[12];
    size_t    out, n;
    uint32_t  c;

    out = 0;

    while (p < end) {
        c = omni_utf8_next(&p, end);

        switch (c) {

        case '&':
            omni_put("&amp;", 5);
            continue;

        case '<':
            omni_put("&lt;", 4);
            continue;

        case '>':
            omni_put("&gt;", 4);
            continue;

        case '"':
            omni_put("&quot;", 6);
            continue;

        case '\'':
            omni_put("&#39;", 5);
            continue;

        case '`':
            omni_put("&#96;", 5);
            continue;

        case '\t':
        case '\n':
        case '\r':
            break;

        default:
            if (c < 0x20 || c == 0x7f) {
                c = OMNI_UTF8_INVALID;
            }

            if (c < 0x80) {
                break;
            }

            tmp[0] = '&';
            tmp[1] = '#';
            tmp[2] = 'x';
            n = 3;

            for (i = (c > 0xffff) ? 20 : 12; i >= 0; i -= 4) {
                tmp[n++] = omni_hex[(c >> i) & 0x0f];
            }

            tmp[n++] = ';';
            omni_put(tmp, n);
            continue;
        }

        tmp[0] = (char) c;
        omni_put(tmp, 1);
    }

    return out;
}


static size_t
omni_escape_js(const uint8_t *p, const uint8_t *end, char *dst, size_t size)
{
    char      tmp[12];
    size_t    out;
    uint32_t  c, hi, lo;

    out = 0;

    while (p < end) {
        c = omni_utf8_next(&p, end);

        if (c < 0x80 && omni_js_plain[c]) {
            tmp[0] = (char) c;
            omni_put(tmp, 1);
            continue;
        }

        if (c < 0x80) {
            tmp[0] = '\\';
            tmp[1] = 'x';
            tmp[2] = omni_hex[c >> 4];
            tmp[3] = omni_hex[c & 0x0f];
            omni_put(tmp, 4);
            continue;
        }

        if (c > 0xffff) {
            c -= 0x10000;
            hi = 0xd800 + (c >> 10);
            lo = 0xdc00 + (c & 0x3ff);

        } else {
            hi = c;
            lo = 0;
        }

        tmp[0] = '\\';
        tmp[1] = 'u';
        tmp[2] = omni_hex[(hi >> 12) & 0x0f];
        tmp[3] = omni_hex[(hi >> 8) & 0x0f];
        tmp[4] = omni_hex[(hi >> 4) & 0x0f];
        tmp[5] = omni_hex[hi & 0x0f];

        if (lo == 0) {
            omni_put(tmp, 6);
            continue;
        }

        tmp[6] = '\\';
        tmp[7] = 'u';
        tmp[8] = omni_hex[(lo >> 12) & 0x0f];
        tmp[9] = omni_hex[(lo >> 8) & 0x0f];
        tmp[10] = omni_hex[(lo >> 4) & 0x0f];
        tmp[11] = omni_hex[lo & 0x0f];
        omni_put(tmp, 12);
    }

    return out;
}


/* RFC 3986 unreserved characters pass; every other byte is %XX */

static size_t
omni_escape_url(const uint8_t *p, const uint8_t *end, char *dst,
    size_t size)
{
    char     tmp[3];
    size_t   out;
    uint8_t  c;

    out = 0;

    for ( /* void */ ; p < end; p++) {
        c = *p;

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9')
            || c == '-' || c == '.' || c == '_' || c == '~')
        {
            tmp[0] = (char) c;
            omni_put(tmp, 1);
            continue;
        }

        tmp[0] = '%';
        tmp[1] = omni_hex[c >> 4];
        tmp[2] = omni_hex[c & 0x0f];
        omni_put(tmp, 3);
    }

    return out;
}


/*
 * A decimal number, "-?D+(.D+)?", passes with its leading zeros removed
 * (a JS literal "012" is octal, or a syntax error in strict mode);
 * anything else becomes "0".
 */

static size_t
omni_escape_number(const uint8_t *p, const uint8_t *end, char *dst,
    size_t size)
{
    size_t          out, n;
    const uint8_t  *q, *digits;

    out = 0;
    q = p;

    if (q < end && *q == '-') {
        q++;
    }

    digits = q;

    while (q < end && *q >= '0' && *q <= '9') {
        q++;
    }

    if (q == digits) {
        goto zero;
    }

    if (q < end && *q == '.') {
        q++;
        n = 0;

        while (q < end && *q >= '0' && *q <= '9') {
            q++;
            n++;
        }

        if (n == 0) {
            goto zero;
        }
    }

    if (q != end) {
        goto zero;
    }

    if (digits != p) {
        omni_put("-", 1);
    }

    while (digits + 1 < end && *digits == '0' && digits[1] != '.') {
        digits++;
    }

    n = end - digits;

    if (out + n <= size) {
        memcpy(dst + out, digits, n);
    }

    return out + n;

zero:

    omni_put("0", 1);

    return out;
}
