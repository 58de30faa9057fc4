/*
 * The Prometheus text writer: exact output, name rules, label value and
 * HELP escaping, UTF-8 repair, number formats and every truncation.
 */

#define _GNU_SOURCE

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <omni/prom.h>


#define S(s)  { s, sizeof(s) - 1 }


static void
assert_output(omni_prom_t *w, const char *want)
{
    assert_int_equal(omni_prom_finish(w), OMNI_OK);
    assert_int_equal(w->len, strlen(want));
    assert_memory_equal(w->buf, want, w->len);
}


static void
test_family_and_samples(void **state)
{
    char         buf[512];
    omni_prom_t  w;

    omni_prom_label_t  labels[] = {
        { "offer", S("welcome") },
        { "variant", S("b") },
    };

    (void) state;

    omni_prom_init(&w, buf, sizeof(buf));
    omni_prom_family(&w, "omni_variant_impressions_total", OMNI_PROM_COUNTER,
                     "Offer impressions per experiment variant.");
    omni_prom_sample_uint(&w, "omni_variant_impressions_total", labels, 2,
                          1027);
    omni_prom_family(&w, "omni_up", OMNI_PROM_GAUGE, NULL);
    omni_prom_sample_uint(&w, "omni_up", NULL, 0, 1);
    omni_prom_family(&w, "x:y", OMNI_PROM_UNTYPED, "");
    omni_prom_sample_uint(&w, "x:y", NULL, 0, 18446744073709551615ULL);

    assert_output(&w,
        "# HELP omni_variant_impressions_total Offer impressions per "
        "experiment variant.\n"
        "# TYPE omni_variant_impressions_total counter\n"
        "omni_variant_impressions_total{offer=\"welcome\",variant=\"b\"} 1027\n"
        "# TYPE omni_up gauge\n"
        "omni_up 1\n"
        "# HELP x:y \n"
        "# TYPE x:y untyped\n"
        "x:y 18446744073709551615\n");
}


static void
test_label_escaping(void **state)
{
    char         buf[512];
    omni_prom_t  w;

    omni_prom_label_t  labels[] = {
        { "offer", S("a\\b\"c\nd") },
        { "empty", S("") },
        { "utf8", S("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9b\x92") },
    };

    (void) state;

    omni_prom_init(&w, buf, sizeof(buf));
    omni_prom_family(&w, "m", OMNI_PROM_COUNTER, NULL);
    omni_prom_sample_uint(&w, "m", labels, 3, 0);

    assert_output(&w,
        "# TYPE m counter\n"
        "m{offer=\"a\\\\b\\\"c\\nd\",empty=\"\","
        "utf8=\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9b\x92\"} 0\n");
}


typedef struct {
    const char  *in;
    size_t       len;
    const char  *out;
    size_t       out_len;
} escape_case_t;


#define E(in, out)  { in, sizeof(in) - 1, out, sizeof(out) - 1 }

#define FFFD  "\xef\xbf\xbd"


static void
test_escape_cases(void **state)
{
    size_t  i, n;
    char    out[64];

    static const escape_case_t  cases[] = {
        E("", ""),
        E("plain", "plain"),
        E("\\", "\\\\"),
        E("\"", "\\\""),
        E("\n", "\\n"),
        E("\r\t", "\r\t"),                   /* allowed as they are */
        E("a\0b", "a\0b"),
        E("\xff", FFFD),                        /* never UTF-8 */
        E("\xc3", FFFD),                        /* truncated */
        E("\xc3(", FFFD "("),                   /* bad continuation */
        E("\xc0\xaf", FFFD FFFD),               /* overlong */
        E("\xe0\x80\xaf", FFFD FFFD FFFD),      /* overlong */
        E("\xed\xa0\x80", FFFD FFFD FFFD),      /* surrogate */
        E("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD),  /* > U+10FFFF */
        E("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"),  /* U+10FFFF */
        E(FFFD, FFFD),
        E("\xe2\x82", FFFD FFFD),
        E("\xe2\x82\xac\\", "\xe2\x82\xac\\\\"),
    };

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        n = omni_prom_escape_label(cases[i].in, cases[i].len, NULL);
        assert_int_equal(n, cases[i].out_len);

        memset(out, 'X', sizeof(out));
        assert_int_equal(omni_prom_escape_label(cases[i].in, cases[i].len,
                                                out), n);
        assert_memory_equal(out, cases[i].out, n);
        assert_int_equal(out[n], 'X');
        assert_true(n <= 3 * cases[i].len);
    }
}


/*
 * Long values are escaped in pieces: a piece boundary must never fall
 * inside a multi-byte character, wherever the characters sit.
 */

static void
test_long_values(void **state)
{
    char         value[300], want[1200], buf[2048];
    size_t       shift, i, n, wn;
    omni_prom_t  w;

    omni_prom_label_t  label = { "v", { value, 0 } };

    (void) state;

    for (shift = 0; shift < 4; shift++) {
        n = 0;

        for (i = 0; i < shift; i++) {
            value[n++] = 'a';
        }

        while (n + 4 <= 280) {
            memcpy(value + n, "\xf0\x9f\x9b\x92", 4);       /* 4 bytes */
            n += 4;

            if (n % 3 == 0) {
                value[n++] = '"';
            }
        }

        label.value.len = n;

        wn = (size_t) snprintf(want, sizeof(want), "# TYPE m gauge\nm{v=\"");
        wn += omni_prom_escape_label(value, n, want + wn);
        memcpy(want + wn, "\"} 1\n", 5);
        wn += 5;

        /* the reference escapes the value in one call */
        assert_null(memmem(want, wn, "\xef\xbf\xbd", 3));

        omni_prom_init(&w, buf, sizeof(buf));
        omni_prom_family(&w, "m", OMNI_PROM_GAUGE, NULL);
        omni_prom_sample_uint(&w, "m", &label, 1, 1);

        assert_int_equal(omni_prom_finish(&w), OMNI_OK);
        assert_int_equal(w.len, wn);
        assert_memory_equal(buf, want, wn);
    }
}


static void
test_help_escaping(void **state)
{
    char         buf[256];
    omni_prom_t  w;

    (void) state;

    omni_prom_init(&w, buf, sizeof(buf));
    omni_prom_family(&w, "m", OMNI_PROM_COUNTER, "a \\ b\nc \"quoted\"");

    /* in HELP only backslash and newline are escaped */
    assert_output(&w,
        "# HELP m a \\\\ b\\nc \"quoted\"\n"
        "# TYPE m counter\n");
}


static void
test_numbers(void **state)
{
    char         buf[512];
    omni_prom_t  w;

    (void) state;

    omni_prom_init(&w, buf, sizeof(buf));
    omni_prom_family(&w, "m", OMNI_PROM_GAUGE, NULL);
    omni_prom_sample_double(&w, "m", NULL, 0, 0.1);
    omni_prom_sample_double(&w, "m", NULL, 0, -2.5e-300);
    omni_prom_sample_double(&w, "m", NULL, 0, NAN);
    omni_prom_sample_double(&w, "m", NULL, 0, INFINITY);
    omni_prom_sample_double(&w, "m", NULL, 0, -INFINITY);
    omni_prom_sample_double(&w, "m", NULL, 0, 3.0);
    omni_prom_sample_cents(&w, "m", NULL, 0, 0);
    omni_prom_sample_cents(&w, "m", NULL, 0, 5);
    omni_prom_sample_cents(&w, "m", NULL, 0, 123456);
    omni_prom_sample_cents(&w, "m", NULL, 0, -1205);
    omni_prom_sample_cents(&w, "m", NULL, 0, INT64_MIN);
    omni_prom_sample_cents(&w, "m", NULL, 0, INT64_MAX);

    assert_output(&w,
        "# TYPE m gauge\n"
        "m 0.10000000000000001\n"
        "m -2.5e-300\n"
        "m NaN\n"
        "m +Inf\n"
        "m -Inf\n"
        "m 3\n"
        "m 0.00\n"
        "m 0.05\n"
        "m 1234.56\n"
        "m -12.05\n"
        "m -92233720368547758.08\n"
        "m 92233720368547758.07\n");
}


typedef struct {
    const char  *name;
    int          metric;
    int          label;
} name_case_t;


static void
test_names(void **state)
{
    size_t  i;

    static const name_case_t  cases[] = {
        { "a", 1, 1 },
        { "_", 1, 1 },
        { "abc_DEF_09", 1, 1 },
        { "a:b", 1, 0 },
        { ":a", 1, 0 },
        { "__name__", 1, 0 },       /* reserved for labels */
        { "_x", 1, 1 },
        { "", 0, 0 },
        { "0a", 0, 0 },
        { "a-b", 0, 0 },
        { "a b", 0, 0 },
        { "a.b", 0, 0 },
        { "caf\xc3\xa9", 0, 0 },
    };

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(omni_prom_metric_name_valid(cases[i].name,
                                                     strlen(cases[i].name)),
                         cases[i].metric);
        assert_int_equal(omni_prom_label_name_valid(cases[i].name,
                                                    strlen(cases[i].name)),
                         cases[i].label);
    }
}


static void
test_invalid_use(void **state)
{
    char         buf[256];
    omni_prom_t  w;

    omni_prom_label_t  bad = { "__reserved", S("x") };
    omni_prom_label_t  dash = { "a-b", S("x") };

    (void) state;

    /* a sample before any family */
    omni_prom_init(&w, buf, sizeof(buf));
    omni_prom_sample_uint(&w, "m", NULL, 0, 1);
    assert_int_equal(omni_prom_finish(&w), OMNI_EINVAL);

    /* a sample of another family */
    omni_prom_init(&w, buf, sizeof(buf));
    omni_prom_family(&w, "m", OMNI_PROM_COUNTER, NULL);
    omni_prom_sample_uint(&w, "n", NULL, 0, 1);
    assert_int_equal(omni_prom_finish(&w), OMNI_EINVAL);

    /* invalid names; the error sticks and nothing more is written */
    omni_prom_init(&w, buf, sizeof(buf));
    omni_prom_family(&w, "bad-name", OMNI_PROM_COUNTER, NULL);
    assert_int_equal(omni_prom_finish(&w), OMNI_EINVAL);
    assert_int_equal(w.len, 0);
    omni_prom_family(&w, "good", OMNI_PROM_COUNTER, NULL);
    assert_int_equal(w.len, 0);
    assert_int_equal(omni_prom_finish(&w), OMNI_EINVAL);

    omni_prom_init(&w, buf, sizeof(buf));
    omni_prom_family(&w, "m", OMNI_PROM_COUNTER, NULL);
    omni_prom_sample_uint(&w, "m", &bad, 1, 1);
    assert_int_equal(omni_prom_finish(&w), OMNI_EINVAL);

    omni_prom_init(&w, buf, sizeof(buf));
    omni_prom_family(&w, "m", OMNI_PROM_COUNTER, NULL);
    omni_prom_sample_uint(&w, "m", &dash, 1, 1);
    assert_int_equal(omni_prom_finish(&w), OMNI_EINVAL);

    omni_prom_init(&w, buf, sizeof(buf));
    omni_prom_family(&w, "m", (omni_prom_type_e) 7, NULL);
    assert_int_equal(omni_prom_finish(&w), OMNI_EINVAL);
}


/*
 * Sizing: a NULL buffer measures; every smaller buffer gets exactly its
 * size of the output, never a byte more, and ETOOBIG.
 */

static void
test_truncation(void **state)
{
    char         full[256], buf[257];
    size_t       need, size;
    omni_prom_t  w;

    omni_prom_label_t  label = { "offer", S("x\"y") };

    (void) state;

    omni_prom_init(&w, NULL, 100);
    omni_prom_family(&w, "m_total", OMNI_PROM_COUNTER, "Help.");
    omni_prom_sample_uint(&w, "m_total", &label, 1, 42);
    assert_int_equal(omni_prom_finish(&w), OMNI_ETOOBIG);
    need = w.len;

    omni_prom_init(&w, full, sizeof(full));
    omni_prom_family(&w, "m_total", OMNI_PROM_COUNTER, "Help.");
    omni_prom_sample_uint(&w, "m_total", &label, 1, 42);
    assert_int_equal(omni_prom_finish(&w), OMNI_OK);
    assert_int_equal(w.len, need);

    for (size = 0; size < need; size++) {
        memset(buf, 'Z', sizeof(buf));

        omni_prom_init(&w, buf, size);
        omni_prom_family(&w, "m_total", OMNI_PROM_COUNTER, "Help.");
        omni_prom_sample_uint(&w, "m_total", &label, 1, 42);

        assert_int_equal(omni_prom_finish(&w), OMNI_ETOOBIG);
        assert_int_equal(w.len, need);
        assert_memory_equal(buf, full, size);
        assert_int_equal(buf[size], 'Z');
    }

    omni_prom_init(&w, buf, need);
    omni_prom_family(&w, "m_total", OMNI_PROM_COUNTER, "Help.");
    omni_prom_sample_uint(&w, "m_total", &label, 1, 42);
    assert_int_equal(omni_prom_finish(&w), OMNI_OK);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_family_and_samples),
        cmocka_unit_test(test_label_escaping),
        cmocka_unit_test(test_escape_cases),
        cmocka_unit_test(test_long_values),
        cmocka_unit_test(test_help_escaping),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_invalid_use),
        cmocka_unit_test(test_truncation),
    };

    return cmocka_run_group_tests_name("prom", tests, NULL, NULL);
}
