/*
 * The escapers, against an XSS payload corpus in every context: the
 * output must decode back to the input (nothing lost) and must contain
 * no character that ends the context (nothing escapes).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <omni/template.h>


#define S(s)  { s, sizeof(s) - 1 }


static const omni_str_t  payloads[] = {
    S("<script>alert(1)</script>"),
    S("</script><script>alert(1)</script>"),
    S("</ScRiPt >"),
    S("\"><img src=x onerror=alert(1)>"),
    S("' onmouseover='alert(1)"),
    S("\" onfocus=\"alert(1)\" autofocus=\""),
    S("`onload=alert(1)`"),
    S("'-alert(1)-'"),
    S("\\\";alert(1);//"),
    S("\\'; alert(1); var x='"),
    S("${alert(1)}"),
    S("javascript:alert(1)"),
    S("<svg/onload=alert(1)>"),
    S("<!--<script>"),
    S("]]><script>alert(1)</script>"),
    S("&lt;script&gt;"),
    S("&#x3C;script&#x3E;"),
    S("\\x3cscript\\x3e"),
    S("\\u003cscript\\u003e"),
    S("%3Cscript%3E"),
    S("a\0b<c"),
    S("line\r\nbreak\tand\x0bvt\x7f"),
    S("\xe2\x80\xa8" "alert(1)\xe2\x80\xa9"),
    S("\xc0\xbcscript\xc0\xbe"),                    /* overlong '<' '>' */
    S("\xe0\x80\xbc"),                              /* overlong '<' */
    S("\xed\xa0\x80\""),                            /* a surrogate */
    S("\xf4\x90\x80\x80'"),                         /* past U+10FFFF */
    S("\xe2\x80\""),                                /* truncated */
    S("\xff\xfe\""),
    S("Zo\xc3\xab \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"),
    S("\x81\"\x81'"),                               /* legacy lead bytes */
    S("=x y=z"),
    S("1e309"),
    S("-0x1f"),
    S("--1"),
    S("12; alert(1)"),
    S(""),
};

#define NPAYLOADS  (sizeof(payloads) / sizeof(payloads[0]))


/* the UTF-8 reading the escapers promise: U+FFFD per bad byte */

static size_t
utf8_canonical(const uint8_t *p, size_t len, uint8_t *out, int html)
{
    size_t    i, n, k, o;
    uint32_t  c, min;

    o = 0;

    for (i = 0; i < len; /* void */) {
        c = p[i];

        if (c < 0x80) {
            if (html && ((c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                         || c == 0x7f))
            {
                goto bad;
            }

            out[o++] = (uint8_t) c;
            i++;
            continue;
        }

        if (c >= 0xc2 && c <= 0xdf) {
            n = 1; c &= 0x1f; min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2; c &= 0x0f; min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3; c &= 0x07; min = 0x10000;
        } else {
            goto bad;
        }

        if (i + n >= len) {
            goto bad;
        }

        for (k = 1; k <= n; k++) {
            if ((p[i + k] & 0xc0) != 0x80) {
                goto bad;
            }
            c = (c << 6) | (p[i + k] & 0x3f);
        }

        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
            goto bad;
        }

        memcpy(out + o, p + i, n + 1);
        o += n + 1;
        i += n + 1;
        continue;

    bad:
        memcpy(out + o, "\xef\xbf\xbd", 3);
        o += 3;
        i++;
    }

    return o;
}


static size_t
put_utf8(uint32_t c, uint8_t *out)
{
    if (c < 0x80) {
        out[0] = (uint8_t) c;
        return 1;
    }

    if (c < 0x800) {
        out[0] = 0xc0 | (c >> 6);
        out[1] = 0x80 | (c & 0x3f);
        return 2;
    }

    if (c < 0x10000) {
        out[0] = 0xe0 | (c >> 12);
        out[1] = 0x80 | ((c >> 6) & 0x3f);
        out[2] = 0x80 | (c & 0x3f);
        return 3;
    }

    out[0] = 0xf0 | (c >> 18);
    out[1] = 0x80 | ((c >> 12) & 0x3f);
    out[2] = 0x80 | ((c >> 6) & 0x3f);
    out[3] = 0x80 | (c & 0x3f);
    return 4;
}


static int
hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


/* decodes exactly the entities the HTML escaper may produce */

static size_t
html_decode(const char *s, size_t len, uint8_t *out)
{
    size_t    i, o;
    uint32_t  c;

    o = 0;

    for (i = 0; i < len; i++) {
        assert_true((unsigned char) s[i] >= 0x20 || s[i] == '\t'
                    || s[i] == '\n' || s[i] == '\r');
        assert_true((unsigned char) s[i] < 0x7f);
        assert_null(memchr("<>\"'`", s[i], 5));

        if (s[i] != '&') {
            out[o++] = (uint8_t) s[i];
            continue;
        }

        if (strncmp(s + i, "&amp;", 5) == 0) {
            out[o++] = '&';
            i += 4;
        } else if (strncmp(s + i, "&lt;", 4) == 0) {
            out[o++] = '<';
            i += 3;
        } else if (strncmp(s + i, "&gt;", 4) == 0) {
            out[o++] = '>';
            i += 3;
        } else if (strncmp(s + i, "&quot;", 6) == 0) {
            out[o++] = '"';
            i += 5;
        } else if (strncmp(s + i, "&#39;", 5) == 0) {
            out[o++] = '\'';
            i += 4;
        } else if (strncmp(s + i, "&#96;", 5) == 0) {
            out[o++] = '`';
            i += 4;
        } else {
            assert_int_equal(strncmp(s + i, "&#x", 3), 0);
            i += 3;
            c = 0;
            while (hexval(s[i]) >= 0) {
                c = c * 16 + hexval(s[i]);
                i++;
            }
            assert_int_equal(s[i], ';');
            assert_true(c >= 0x80);
            o += put_utf8(c, out + o);
        }
    }

    return o;
}


static size_t
js_decode(const char *s, size_t len, uint8_t *out)
{
    int       k;
    size_t    i, o;
    uint32_t  c, lo;

    o = 0;

    for (i = 0; i < len; i++) {
        assert_true((unsigned char) s[i] >= 0x20
                    && (unsigned char) s[i] < 0x7f);
        assert_null(memchr("<>\"'`&", s[i], 6));

        if (s[i] != '\\') {
            out[o++] = (uint8_t) s[i];
            continue;
        }

        if (s[i + 1] == 'x') {
            assert_true(hexval(s[i + 2]) >= 0 && hexval(s[i + 3]) >= 0);
            out[o++] = (uint8_t) (hexval(s[i + 2]) * 16 + hexval(s[i + 3]));
            i += 3;
            continue;
        }

        assert_int_equal(s[i + 1], 'u');
        c = 0;
        for (k = 2; k < 6; k++) {
            assert_true(hexval(s[i + k]) >= 0);
            c = c * 16 + hexval(s[i + k]);
        }
        i += 5;

        if (c >= 0xd800 && c <= 0xdbff) {
            assert_int_equal(s[i + 1], '\\');
            assert_int_equal(s[i + 2], 'u');
            lo = 0;
            for (k = 3; k < 7; k++) {
                lo = lo * 16 + hexval(s[i + k]);
            }
            assert_true(lo >= 0xdc00 && lo <= 0xdfff);
            c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
            i += 6;
        }

        o += put_utf8(c, out + o);
    }

    return o;
}


static size_t
url_decode(const char *s, size_t len, uint8_t *out)
{
    size_t  i, o;

    o = 0;

    for (i = 0; i < len; i++) {
        if (s[i] == '%') {
            assert_true(hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0);
            out[o++] = (uint8_t) (hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
            continue;
        }

        assert_non_null(memchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "abcdefghijklmnopqrstuvwxyz0123456789-._~",
                               s[i], 66));
        out[o++] = (uint8_t) s[i];
    }

    return o;
}


static int
ci_contains(const char *s, size_t len, const char *needle)
{
    int     found;
    size_t  i, j, n;

    found = 0;
    n = strlen(needle);

    for (i = 0; i + n <= len; i++) {
        for (j = 0; j < n; j++) {
            if ((s[i + j] | 0x20) != (needle[j] | 0x20)) {
                break;
            }
        }

        if (j == n) {
            found++;
        }
    }

    return found;
}


static void
test_html_corpus(void **state)
{
    char     out[1024];
    size_t   i, n, m, k;
    uint8_t  dec[1024], want[1024];

    (void) state;

    for (i = 0; i < NPAYLOADS; i++) {
        n = omni_escape(OMNI_ESCAPE_HTML, payloads[i].data, payloads[i].len,
                        out, sizeof(out));
        assert_true(n <= sizeof(out));
        assert_true(n <= omni_escape_max(OMNI_ESCAPE_HTML, payloads[i].len));

        m = html_decode(out, n, dec);
        /* control characters other than tab and line ends become U+FFFD */
        k = utf8_canonical((const uint8_t *) payloads[i].data,
                           payloads[i].len, want, 1);
        assert_int_equal(m, k);
        assert_memory_equal(dec, want, m);
    }
}


static void
test_js_corpus(void **state)
{
    char     out[1024];
    size_t   i, n, m, k;
    uint8_t  dec[1024], want[1024];

    (void) state;

    for (i = 0; i < NPAYLOADS; i++) {
        n = omni_escape(OMNI_ESCAPE_JS, payloads[i].data, payloads[i].len,
                        out, sizeof(out));
        assert_true(n <= sizeof(out));
        assert_true(n <= omni_escape_max(OMNI_ESCAPE_JS, payloads[i].len));

        m = js_decode(out, n, dec);
        k = utf8_canonical((const uint8_t *) payloads[i].data,
                           payloads[i].len, want, 0);
        assert_int_equal(m, k);
        assert_memory_equal(dec, want, m);

        assert_false(ci_contains(out, n, "</script"));
        assert_false(ci_contains(out, n, "<!--"));
        assert_false(ci_contains(out, n, "\xe2\x80\xa8"));
    }
}


static void
test_url_corpus(void **state)
{
    char     out[1024];
    size_t   i, n, m;
    uint8_t  dec[1024];

    (void) state;

    for (i = 0; i < NPAYLOADS; i++) {
        n = omni_escape(OMNI_ESCAPE_URL, payloads[i].data, payloads[i].len,
                        out, sizeof(out));
        assert_true(n <= omni_escape_max(OMNI_ESCAPE_URL, payloads[i].len));

        m = url_decode(out, n, dec);
        assert_int_equal(m, payloads[i].len);
        assert_memory_equal(dec, payloads[i].data, m);
    }
}


static int
is_js_number(const char *s, size_t n)
{
    size_t  i;

    i = 0;

    if (i < n && s[i] == '-') {
        i++;
    }

    if (i >= n || s[i] < '0' || s[i] > '9') {
        return 0;
    }

    if (s[i] == '0' && i + 1 < n && s[i + 1] != '.') {
        return 0;
    }

    while (i < n && s[i] >= '0' && s[i] <= '9') {
        i++;
    }

    if (i < n && s[i] == '.') {
        i++;
        if (i >= n) {
            return 0;
        }
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
    }

    return i == n;
}


static void
test_number_corpus(void **state)
{
    char    out[1024];
    size_t  i, n;

    (void) state;

    for (i = 0; i < NPAYLOADS; i++) {
        n = omni_escape(OMNI_ESCAPE_NUMBER, payloads[i].data,
                        payloads[i].len, out, sizeof(out));
        assert_true(is_js_number(out, n));

        /* no payload of the corpus is a number */
        assert_int_equal(n, 1);
        assert_int_equal(out[0], '0');
    }
}


static void
check(omni_escape_e how, const char *in, const char *want)
{
    char    out[256];
    size_t  n;

    n = omni_escape(how, in, strlen(in), out, sizeof(out));
    out[n] = '\0';
    assert_string_equal(out, want);
    assert_int_equal(omni_escape(how, in, strlen(in), NULL, 0), n);
}


static void
test_exact(void **state)
{
    (void) state;

    check(OMNI_ESCAPE_HTML, "a&b<c>d\"e'f`g",
          "a&amp;b&lt;c&gt;d&quot;e&#39;f&#96;g");
    check(OMNI_ESCAPE_HTML, "Zo\xc3\xab", "Zo&#x00EB;");
    check(OMNI_ESCAPE_HTML, "\xf0\x9f\x98\x80", "&#x01F600;");
    check(OMNI_ESCAPE_HTML, "\xc0\xbc", "&#xFFFD;&#xFFFD;");
    check(OMNI_ESCAPE_HTML, "tab\there", "tab\there");
    check(OMNI_ESCAPE_HTML, "", "");

    check(OMNI_ESCAPE_JS, "O'Brien \"x\" \\", "O\\x27Brien \\x22x\\x22 \\x5C");
    check(OMNI_ESCAPE_JS, "</script>", "\\x3C/script\\x3E");
    check(OMNI_ESCAPE_JS, "a\nb&c`", "a\\x0Ab\\x26c\\x60");
    check(OMNI_ESCAPE_JS, "\xe2\x80\xa8\xe2\x80\xa9", "\\u2028\\u2029");
    check(OMNI_ESCAPE_JS, "\xf0\x9f\x98\x80", "\\uD83D\\uDE00");
    check(OMNI_ESCAPE_JS, "\xff", "\\uFFFD");

    check(OMNI_ESCAPE_URL, "a b&c=d/é~._-", "a%20b%26c%3Dd%2F%C3%A9~._-");

    check(OMNI_ESCAPE_NUMBER, "42", "42");
    check(OMNI_ESCAPE_NUMBER, "-3.50", "-3.50");
    check(OMNI_ESCAPE_NUMBER, "007", "7");
    check(OMNI_ESCAPE_NUMBER, "0.5", "0.5");
    check(OMNI_ESCAPE_NUMBER, "-00.5", "-0.5");
    check(OMNI_ESCAPE_NUMBER, "0", "0");
    check(OMNI_ESCAPE_NUMBER, "", "0");
    check(OMNI_ESCAPE_NUMBER, "-", "0");
    check(OMNI_ESCAPE_NUMBER, ".5", "0");
    check(OMNI_ESCAPE_NUMBER, "5.", "0");
    check(OMNI_ESCAPE_NUMBER, "+5", "0");
    check(OMNI_ESCAPE_NUMBER, "1e3", "0");
    check(OMNI_ESCAPE_NUMBER, " 1", "0");
    check(OMNI_ESCAPE_NUMBER, "1,5", "0");
    check(OMNI_ESCAPE_NUMBER, "Infinity", "0");
    check(OMNI_ESCAPE_NUMBER, "NaN", "0");
}


/* a short buffer gets whole escape sequences only, never half of one */

static void
test_truncation(void **state)
{
    char         full[256], out[256];
    size_t       n, size, k, how;
    const char  *in = "<\"\xc3\xab&x'\xf0\x9f\x98\x80y";

    (void) state;

    for (how = OMNI_ESCAPE_HTML; how <= OMNI_ESCAPE_NUMBER; how++) {
        n = omni_escape(how, in, strlen(in), full, sizeof(full));

        for (size = 0; size <= n; size++) {
            memset(out, 1, sizeof(out));
            assert_int_equal(omni_escape(how, in, strlen(in), out, size), n);

            for (k = 0; k < size && out[k] != 1; k++) {
                assert_int_equal(out[k], full[k]);
            }

            /* nothing past the prefix, and never past size */
            for (/* void */; k < sizeof(out); k++) {
                assert_int_equal(out[k], 1);
            }

            if (size == n) {
                assert_memory_equal(out, full, n);
            }
        }
    }

    /* whole units: the HTML prefix in 7 bytes is "&lt;", not "&lt;&qu" */
    memset(out, '#', sizeof(out));
    assert_int_equal(omni_escape(OMNI_ESCAPE_HTML, "<\"", 2, out, 7), 10);
    assert_memory_equal(out, "&lt;###", 7);
}


/* a value rendered in each context of a page keeps the page's structure */

static int
lookup_v(void *data, const char *name, size_t len)
{
    (void) data;
    return (len == 1 && name[0] == 'v') ? 0 : -1;
}


static int
value_v(void *data, int field, omni_value_t *v)
{
    (void) field;
    v->str = *(const omni_str_t *) data;
    return OMNI_OK;
}


static void
count_specials(const char *s, size_t n, size_t counts[5])
{
    size_t  i;

    memset(counts, 0, 5 * sizeof(size_t));

    for (i = 0; i < n; i++) {
        switch (s[i]) {
        case '<': counts[0]++; break;
        case '>': counts[1]++; break;
        case '"': counts[2]++; break;
        case '\'': counts[3]++; break;
        case '`': counts[4]++; break;
        }
    }
}


static void
test_contexts(void **state)
{
    char                    out[16384];
    size_t                  i, n, got[5], want[5];
    omni_template_t        *tpl;
    omni_template_error_t   err;

    static const char  src[] =
        "<p title=\"{{v}}\" data-x='{{v}}'>{{v}}</p>"
        "<a href=\"/s?q={{v|url}}&r={{v|url}}\">x</a>"
        "<script>var a=\"{{v|js}}\",b='{{v|js}}',n={{v|number}};</script>";

    static const char  skeleton[] =
        "<p title=\"\" data-x=''></p><a href=\"/s?q=&r=\">x</a>"
        "<script>var a=\"\",b='',n=0;</script>";

    (void) state;

    assert_int_equal(omni_template_compile(src, sizeof(src) - 1, lookup_v,
                                           NULL, &tpl, &err), OMNI_OK);

    count_specials(skeleton, sizeof(skeleton) - 1, want);

    for (i = 0; i < NPAYLOADS; i++) {
        assert_int_equal(omni_template_render(tpl, value_v,
                                              (void *) &payloads[i], out,
                                              sizeof(out), &n), OMNI_OK);
        count_specials(out, n, got);
        assert_memory_equal(got, want, sizeof(want));
        assert_int_equal(ci_contains(out, n, "</script"), 1);
        assert_int_equal(ci_contains(out, n, "<script"), 1);
    }

    omni_template_free(tpl);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_html_corpus),
        cmocka_unit_test(test_js_corpus),
        cmocka_unit_test(test_url_corpus),
        cmocka_unit_test(test_number_corpus),
        cmocka_unit_test(test_exact),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_contexts),
    };

    return cmocka_run_group_tests_name("escape", tests, NULL, NULL);
}
