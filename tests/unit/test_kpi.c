/*
 * The KPI counter table: counting, keys and their bounds, a full table,
 * reset, the hourly series, attribution, views, merging, snapshots (with
 * every truncation and corruption), concurrent writers, and the status
 * renderers (JSON and Prometheus).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include <omni/kpi.h>
#include <omni/kpi_status.h>
#include <omni/stats.h>
#include <omni/wire.h>

#include <zlib.h>

#include "../../src/omni_kpi_int.h"


#define NOW   1767225600        /* 2026-01-01T00:00:00Z */
#define S(s)  ((omni_str_t) { s, sizeof(s) - 1 })


typedef struct {
    void        *mem;
    size_t       size;
    omni_kpi_t  *t;
} table_t;


static void *
alloc64(size_t size)
{
    void  *p = NULL;

    assert_int_equal(posix_memalign(&p, 64, size), 0);

    return p;
}


static omni_kpi_t *
table_new(table_t *tb, uint32_t nrows)
{
    tb->size = omni_kpi_size(nrows);
    tb->mem = alloc64(tb->size);
    assert_non_null(tb->mem);
    assert_int_equal(omni_kpi_init(tb->mem, tb->size, NOW, &tb->t), OMNI_OK);
    assert_int_equal(omni_kpi_capacity(tb->t), nrows);

    return tb->t;
}


static void
table_free(table_t *tb)
{
    free(tb->mem);
}


static const omni_kpi_row_t *
find_row(const omni_kpi_view_t *v, omni_kpi_dim_e dim, const char *name,
    const char *variant)
{
    size_t  i;

    for (i = 0; i < v->nrows; i++) {
        const omni_kpi_row_t  *r = &v->rows[i];

        if (r->dim == dim
            && r->name.len == strlen(name)
            && memcmp(r->name.data, name, r->name.len) == 0
            && r->variant.len == strlen(variant)
            && memcmp(r->variant.data, variant, r->variant.len) == 0)
        {
            return r;
        }
    }

    return NULL;
}


static void
take_view(omni_kpi_t *t, int64_t now, omni_kpi_view_t *v,
    omni_kpi_row_t **rows)
{
    size_t  n;

    n = omni_kpi_used(t) + 1;
    *rows = calloc(n, sizeof(omni_kpi_row_t));
    assert_non_null(*rows);
    omni_kpi_view(t, now, *rows, n, v);
}


static void
test_sizes(void **state)
{
    void        *mem;
    omni_kpi_t  *t;

    (void) state;

    assert_int_equal(omni_kpi_rows_for(0), 0);
    assert_int_equal(omni_kpi_rows_for(omni_kpi_size(0)), 0);
    assert_int_equal(omni_kpi_rows_for(omni_kpi_size(1)), 1);
    assert_int_equal(omni_kpi_rows_for(omni_kpi_size(1) - 1), 0);
    assert_int_equal(omni_kpi_rows_for(omni_kpi_size(1000) + 191), 1000);
    assert_int_equal(omni_kpi_size(10) - omni_kpi_size(9), 192);

    mem = alloc64(8192);
    assert_non_null(mem);

    assert_int_equal(omni_kpi_init(NULL, 8192, NOW, &t), OMNI_EINVAL);
    assert_int_equal(omni_kpi_init((char *) mem + 8, 4096, NOW, &t),
                     OMNI_EINVAL);
    assert_int_equal(omni_kpi_init(mem, omni_kpi_size(0), NOW, &t),
                     OMNI_ETOOBIG);
    assert_false(omni_kpi_compatible(mem, 8192));

    assert_int_equal(omni_kpi_init(mem, 8192, NOW, &t), OMNI_OK);
    assert_true(omni_kpi_compatible(mem, 8192));
    assert_false(omni_kpi_compatible(mem, 100));
    assert_false(omni_kpi_compatible(NULL, 8192));
    assert_int_equal(omni_kpi_used(t), 0);

    t->version++;
    assert_false(omni_kpi_compatible(mem, 8192));

    free(mem);
}


static void
test_count_rows(void **state)
{
    table_t           tb;
    omni_kpi_t       *t;
    omni_kpi_row_t   *rows;
    omni_kpi_view_t   v;
    omni_str_t        segs[] = { S("vip"), S(""), S("browsers") };
    omni_kpi_keys_t   k;

    const omni_kpi_row_t  *r;

    (void) state;

    t = table_new(&tb, 64);

    memset(&k, 0, sizeof(k));
    k.offer = S("welcome");
    k.variant = S("a");
    k.channel = S("email");
    k.segments = segs;
    k.nsegments = 3;

    assert_int_equal(omni_kpi_count(t, OMNI_KPI_IMPRESSION, &k, 0, NOW),
                     OMNI_OK);
    assert_int_equal(omni_kpi_count(t, OMNI_KPI_IMPRESSION, &k, 0, NOW),
                     OMNI_OK);
    assert_int_equal(omni_kpi_count(t, OMNI_KPI_CLICK, &k, 0, NOW), OMNI_OK);
    assert_int_equal(omni_kpi_count(t, OMNI_KPI_PURCHASE, &k, 4999, NOW),
                     OMNI_OK);

    /* the value counts for purchases only */
    assert_int_equal(omni_kpi_count(t, OMNI_KPI_CART, &k, 777, NOW),
                     OMNI_OK);

    /* no variant: the offer row only */
    k.variant = S("");
    k.nsegments = 0;
    assert_int_equal(omni_kpi_count(t, OMNI_KPI_IMPRESSION, &k, 0, NOW),
                     OMNI_OK);

    /* a variant without an offer names no row */
    k.offer = S("");
    k.variant = S("b");
    k.channel = S("");
    assert_int_equal(omni_kpi_count(t, OMNI_KPI_VISIT, &k, 0, NOW), OMNI_OK);

    /* no keys: the totals only */
    assert_int_equal(omni_kpi_count(t, OMNI_KPI_VIEW, NULL, 0, NOW), OMNI_OK);

    assert_int_equal(omni_kpi_used(t), 5);

    take_view(t, NOW, &v, &rows);

    assert_int_equal(v.used, 5);
    assert_int_equal(v.nrows, 5);
    assert_int_equal(v.total[OMNI_KPI_IMPRESSIONS], 3);
    assert_int_equal(v.total[OMNI_KPI_CLICKS], 1);
    assert_int_equal(v.total[OMNI_KPI_PURCHASES], 1);
    assert_int_equal(v.total[OMNI_KPI_REVENUE], 4999);
    assert_int_equal(v.total[OMNI_KPI_CARTS], 1);
    assert_int_equal(v.total[OMNI_KPI_VISITS], 1);
    assert_int_equal(v.total[OMNI_KPI_VIEWS], 1);

    /* an offer's rows: one per variant, one without */

    r = find_row(&v, OMNI_KPI_DIM_OFFER, "welcome", "");
    assert_non_null(r);
    assert_int_equal(r->v[OMNI_KPI_IMPRESSIONS], 1);
    assert_int_equal(r->v[OMNI_KPI_CLICKS], 0);

    r = find_row(&v, OMNI_KPI_DIM_OFFER, "welcome", "a");
    assert_non_null(r);
    assert_int_equal(r->v[OMNI_KPI_IMPRESSIONS], 2);
    assert_int_equal(r->v[OMNI_KPI_CLICKS], 1);
    assert_int_equal(r->v[OMNI_KPI_PURCHASES], 1);
    assert_int_equal(r->v[OMNI_KPI_REVENUE], 4999);
    assert_int_equal(r->v[OMNI_KPI_CARTS], 1);

    r = find_row(&v, OMNI_KPI_DIM_CHANNEL, "email", "");
    assert_non_null(r);
    assert_int_equal(r->v[OMNI_KPI_IMPRESSIONS], 3);

    r = find_row(&v, OMNI_KPI_DIM_SEGMENT, "vip", "");
    assert_non_null(r);
    assert_int_equal(r->v[OMNI_KPI_IMPRESSIONS], 2);
    assert_int_equal(r->v[OMNI_KPI_PURCHASES], 1);

    assert_non_null(find_row(&v, OMNI_KPI_DIM_SEGMENT, "browsers", ""));

    /* sorted by dimension, then name, then variant */
    assert_int_equal(v.rows[0].dim, OMNI_KPI_DIM_OFFER);
    assert_int_equal(v.rows[0].variant.len, 0);
    assert_int_equal(v.rows[1].dim, OMNI_KPI_DIM_OFFER);
    assert_int_equal(v.rows[1].variant.len, 1);
    assert_int_equal(v.rows[2].dim, OMNI_KPI_DIM_SEGMENT);
    assert_memory_equal(v.rows[2].name.data, "browsers", 8);
    assert_int_equal(v.rows[3].dim, OMNI_KPI_DIM_SEGMENT);
    assert_int_equal(v.rows[4].dim, OMNI_KPI_DIM_CHANNEL);

    assert_int_equal(v.ops[OMNI_KPI_OP_KPI_REJECTED], 0);
    assert_int_equal(v.ops[OMNI_KPI_OP_KPI_OVERFLOW], 0);

    free(rows);
    table_free(&tb);
}


typedef struct {
    omni_kpi_dim_e  dim;
    const char     *name;
    size_t          name_len;
    const char     *variant;
    size_t          variant_len;
    int             rc;
} key_case_t;


static void
test_keys(void **state)
{
    size_t       i;
    char         long_name[OMNI_KPI_NAME_MAX + 2];
    table_t      tb;
    omni_kpi_t  *t;

    key_case_t   cases[] = {
        { OMNI_KPI_DIM_OFFER, "ok", 2, "", 0, OMNI_OK },
        { OMNI_KPI_DIM_OFFER, long_name, OMNI_KPI_NAME_MAX, "", 0, OMNI_OK },
        { OMNI_KPI_DIM_OFFER, long_name, OMNI_KPI_NAME_MAX + 1, "", 0,
          OMNI_EINVAL },
        { OMNI_KPI_DIM_OFFER, "", 0, "", 0, OMNI_EINVAL },
        { OMNI_KPI_DIM_OFFER, "x", 1, "v", 1, OMNI_OK },
        { OMNI_KPI_DIM_SEGMENT, "s", 1, "v", 1, OMNI_EINVAL },
        { OMNI_KPI_DIM_SEGMENT, "caf\xc3\xa9", 5, "", 0, OMNI_OK },
        { OMNI_KPI_DIM_SEGMENT, "a\nb", 3, "", 0, OMNI_EINVAL },
        { OMNI_KPI_DIM_SEGMENT, "a\x7f", 2, "", 0, OMNI_EINVAL },
        { OMNI_KPI_DIM_SEGMENT, "a\0b", 3, "", 0, OMNI_EINVAL },
        { OMNI_KPI_DIM_SEGMENT, "\xff", 1, "", 0, OMNI_EINVAL },
        { OMNI_KPI_DIM_SEGMENT, "\xc3", 1, "", 0, OMNI_EINVAL },
        { OMNI_KPI_DIM_SEGMENT, "\xc3(", 2, "", 0, OMNI_EINVAL },
        { OMNI_KPI_DIM_SEGMENT, "\xe0\x80\xaf", 3, "", 0, OMNI_EINVAL },
        { OMNI_KPI_DIM_SEGMENT, "\xed\xa0\x80", 3, "", 0, OMNI_EINVAL },
        { OMNI_KPI_DIM_SEGMENT, "\xf0\x80\x80\x80", 4, "", 0, OMNI_EINVAL },
        { OMNI_KPI_DIM_SEGMENT, "\xf4\x90\x80\x80", 4, "", 0, OMNI_EINVAL },
        { OMNI_KPI_DIM_SEGMENT, "\xf0\x9f\x9b\x92", 4, "", 0, OMNI_OK },
        { OMNI_KPI_DIM_CHANNEL, long_name, OMNI_KPI_SHORT_MAX, "", 0,
          OMNI_OK },
        { OMNI_KPI_DIM_CHANNEL, long_name, OMNI_KPI_SHORT_MAX + 1, "", 0,
          OMNI_EINVAL },
        { OMNI_KPI_DIM_OFFER, "o", 1, long_name, OMNI_KPI_SHORT_MAX,
          OMNI_OK },
        { OMNI_KPI_DIM_OFFER, "o", 1, long_name, OMNI_KPI_SHORT_MAX + 1,
          OMNI_EINVAL },
        { OMNI_KPI_DIM_OFFER, "o", 1, "", 0, OMNI_OK },
        { OMNI_KPI_DIM_OFFER, "", 0, "v", 1, OMNI_EINVAL },
        { OMNI_KPI_DIM_OFFER, "o", 1, "a\tb", 3, OMNI_EINVAL },
        { 0, "x", 1, "", 0, OMNI_EINVAL },
        { OMNI_KPI_DIM_MAX, "x", 1, "", 0, OMNI_EINVAL },
    };

    (void) state;

    memset(long_name, 'n', sizeof(long_name));

    t = table_new(&tb, 128);

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        omni_str_t  name = { cases[i].name, cases[i].name_len };
        omni_str_t  variant = { cases[i].variant, cases[i].variant_len };

        assert_int_equal(omni_kpi_add(t, cases[i].dim, name, variant,
                                      OMNI_KPI_CLICKS, 1),
                         cases[i].rc);
    }

    assert_int_equal(omni_kpi_used(t), 8);
    assert_int_equal(t->ops[OMNI_KPI_OP_KPI_REJECTED], 19);

    /* an invalid metric changes nothing */
    assert_int_equal(omni_kpi_add(t, OMNI_KPI_DIM_OFFER, S("ok"), S(""),
                                  OMNI_KPI_NMETRICS, 1), OMNI_EINVAL);
    assert_int_equal(t->ops[OMNI_KPI_OP_KPI_REJECTED], 19);

    table_free(&tb);
}


static void
test_count_errors(void **state)
{
    table_t          tb;
    omni_kpi_t      *t;
    omni_str_t       segs[] = { S("ok"), S("bad\n") };
    omni_kpi_keys_t  k;

    (void) state;

    t = table_new(&tb, 16);
    memset(&k, 0, sizeof(k));

    assert_int_equal(omni_kpi_count(t, OMNI_KPI_NEVENTS, &k, 0, NOW),
                     OMNI_EINVAL);
    assert_int_equal(omni_kpi_count(t, (omni_kpi_event_e) -1, &k, 0, NOW),
                     OMNI_EINVAL);

    /* a negative value counts nothing at all */
    k.offer = S("o");
    assert_int_equal(omni_kpi_count(t, OMNI_KPI_PURCHASE, &k, -1, NOW),
                     OMNI_EINVAL);
    assert_int_equal(t->total[OMNI_KPI_PURCHASES], 0);
    assert_int_equal(omni_kpi_used(t), 0);
    assert_int_equal(t->ops[OMNI_KPI_OP_KPI_REJECTED], 1);

    /* one bad key: the others are counted, the first error returned */
    k.segments = segs;
    k.nsegments = 2;
    assert_int_equal(omni_kpi_count(t, OMNI_KPI_PURCHASE, &k, 10, NOW),
                     OMNI_EINVAL);
    assert_int_equal(t->total[OMNI_KPI_PURCHASES], 1);
    assert_int_equal(omni_kpi_used(t), 2);
    assert_int_equal(t->ops[OMNI_KPI_OP_KPI_REJECTED], 2);

    table_free(&tb);
}


/*
 * A full table: every slot taken, new keys are dropped and counted as
 * overflow, known keys still count, and no lookup goes round forever.
 */

static void
test_full_table(void **state)
{
    int              i, fails;
    char             name[16];
    table_t          tb;
    omni_kpi_t      *t;
    omni_kpi_keys_t  k;

    (void) state;

    t = table_new(&tb, 8);
    memset(&k, 0, sizeof(k));

    for (i = 0; i < 8; i++) {
        k.offer.len = (size_t) snprintf(name, sizeof(name), "o%d", i);
        k.offer.data = name;
        assert_int_equal(omni_kpi_count(t, OMNI_KPI_IMPRESSION, &k, 0, NOW),
                         OMNI_OK);
    }

    assert_int_equal(omni_kpi_used(t), 8);

    fails = 0;

    for (i = 8; i < 20; i++) {
        k.offer.len = (size_t) snprintf(name, sizeof(name), "o%d", i);
        k.offer.data = name;

        if (omni_kpi_count(t, OMNI_KPI_IMPRESSION, &k, 0, NOW)
            == OMNI_EFULL)
        {
            fails++;
        }
    }

    assert_int_equal(fails, 12);
    assert_int_equal(t->ops[OMNI_KPI_OP_KPI_OVERFLOW], 12);
    assert_int_equal(t->total[OMNI_KPI_IMPRESSIONS], 20);

    k.offer = S("o3");
    assert_int_equal(omni_kpi_count(t, OMNI_KPI_CLICK, &k, 0, NOW), OMNI_OK);

    table_free(&tb);
}


/* more rows than the probe limit: past it, keys overflow */

static void
test_probe_limit(void **state)
{
    int         i, ok;
    char        name[16];
    table_t     tb;
    omni_kpi_t *t;

    (void) state;

    t = table_new(&tb, 4 * OMNI_KPI_MAX_PROBES);

    ok = 0;

    for (i = 0; i < 8 * OMNI_KPI_MAX_PROBES; i++) {
        omni_str_t  s = { name, (size_t) snprintf(name, sizeof(name),
                                                  "segment-%d", i) };

        if (omni_kpi_add(t, OMNI_KPI_DIM_SEGMENT, s, S(""), OMNI_KPI_VISITS,
                         1) == OMNI_OK)
        {
            ok++;
        }
    }

    /* nearly every slot can be used before the probe limit bites */
    assert_true(ok >= 4 * OMNI_KPI_MAX_PROBES * 9 / 10);
    assert_int_equal(ok, (int) omni_kpi_used(t));
    assert_int_equal(t->ops[OMNI_KPI_OP_KPI_OVERFLOW],
                     8 * OMNI_KPI_MAX_PROBES - ok);

    table_free(&tb);
}


static void
test_ops(void **state)
{
    table_t      tb;
    omni_kpi_t  *t;

    (void) state;

    t = table_new(&tb, 4);

    omni_kpi_op(t, OMNI_KPI_OP_LOOKUPS, 1);
    omni_kpi_op(t, OMNI_KPI_OP_LOOKUPS, 1);
    omni_kpi_op(t, OMNI_KPI_OP_EVENTS_FLUSHED, 250);
    omni_kpi_op(t, OMNI_KPI_NOPS, 1);                   /* ignored */
    omni_kpi_op(t, (omni_kpi_op_e) -1, 1);              /* ignored */

    assert_int_equal(t->ops[OMNI_KPI_OP_LOOKUPS], 2);
    assert_int_equal(t->ops[OMNI_KPI_OP_EVENTS_FLUSHED], 250);

    table_free(&tb);
}


static void
test_reset(void **state)
{
    table_t          tb;
    omni_kpi_t      *t;
    omni_kpi_row_t  *rows;
    omni_kpi_view_t  v;
    omni_kpi_keys_t  k;

    (void) state;

    t = table_new(&tb, 16);
    memset(&k, 0, sizeof(k));
    k.offer = S("welcome");
    k.variant = S("a");

    omni_kpi_count(t, OMNI_KPI_CART, &k, 0, NOW);
    omni_kpi_count(t, OMNI_KPI_PURCHASE, &k, 100, NOW);
    omni_kpi_op(t, OMNI_KPI_OP_LOOKUPS, 3);

    omni_kpi_reset(t, NOW + 60);

    take_view(t, NOW + 60, &v, &rows);

    assert_int_equal(v.since, NOW + 60);
    assert_int_equal(v.nrows, 1);                       /* keys kept */
    assert_int_equal(v.rows[0].v[OMNI_KPI_PURCHASES], 0);
    assert_int_equal(v.rows[0].v[OMNI_KPI_REVENUE], 0);
    assert_int_equal(v.total[OMNI_KPI_CARTS], 0);
    assert_int_equal(v.ops[OMNI_KPI_OP_LOOKUPS], 0);
    assert_int_equal(v.series[OMNI_KPI_SERIES_CARTS][OMNI_KPI_HOURS - 1], 0);

    free(rows);

    /* and counting goes on in the same rows */
    omni_kpi_count(t, OMNI_KPI_CLICK, &k, 0, NOW + 61);
    assert_int_equal(omni_kpi_used(t), 1);

    table_free(&tb);
}


static void
test_series(void **state)
{
    int              i;
    table_t          tb;
    omni_kpi_t      *t;
    omni_kpi_row_t  *rows;
    omni_kpi_view_t  v;

    (void) state;

    t = table_new(&tb, 4);

    /* carts in each of the last 50 hours: i carts, i hours ago */
    for (i = 0; i < 50; i++) {
        int  n;

        for (n = 0; n < i + 1; n++) {
            omni_kpi_count(t, OMNI_KPI_CART, NULL, 0,
                           NOW + 3599 - (int64_t) (49 - i) * 3600);
        }
    }

    omni_kpi_count(t, OMNI_KPI_ABANDON, NULL, 0, NOW);
    omni_kpi_count(t, OMNI_KPI_ABANDON, NULL, 0, NOW + 1);
    omni_kpi_count(t, OMNI_KPI_RECOVER, NULL, 0, NOW - 3600);
    omni_kpi_count(t, OMNI_KPI_PURCHASE, NULL, 5, NOW - 47 * 3600);
    omni_kpi_count(t, OMNI_KPI_IMPRESSION, NULL, 0, NOW);  /* not kept */

    take_view(t, NOW + 10, &v, &rows);

    assert_int_equal(v.series_end, NOW);

    /* the window is the last 48 hours, oldest first */
    for (i = 0; i < OMNI_KPI_HOURS; i++) {
        assert_int_equal(v.series[OMNI_KPI_SERIES_CARTS][i], i + 3);
    }

    assert_int_equal(v.series[OMNI_KPI_SERIES_ABANDONED][47], 2);
    assert_int_equal(v.series[OMNI_KPI_SERIES_ABANDONED][46], 0);
    assert_int_equal(v.series[OMNI_KPI_SERIES_RECOVERED][46], 1);
    assert_int_equal(v.series[OMNI_KPI_SERIES_PURCHASES][0], 1);

    /* a late event for an hour whose bucket was recycled is dropped */
    omni_kpi_count(t, OMNI_KPI_ABANDON, NULL, 0, NOW - 48 * 3600);
    omni_kpi_view(t, NOW + 10, rows, 1, &v);
    assert_int_equal(v.series[OMNI_KPI_SERIES_ABANDONED][47], 2);

    /* and a day later, only what happened since is left */
    omni_kpi_count(t, OMNI_KPI_CART, NULL, 0, NOW + 24 * 3600);
    omni_kpi_view(t, NOW + 24 * 3600, rows, 1, &v);
    assert_int_equal(v.series_end, NOW + 24 * 3600);
    assert_int_equal(v.series[OMNI_KPI_SERIES_CARTS][47], 1);
    assert_int_equal(v.series[OMNI_KPI_SERIES_CARTS][46], 0);
    assert_int_equal(v.series[OMNI_KPI_SERIES_CARTS][23], 50);
    assert_int_equal(v.series[OMNI_KPI_SERIES_CARTS][0], 27);

    /* before the epoch's first 48 hours nothing breaks */
    omni_kpi_view(t, 100, rows, 1, &v);
    assert_int_equal(v.series_end, 0);
    omni_kpi_count(t, OMNI_KPI_CART, NULL, 0, -5);

    free(rows);
    table_free(&tb);
}


static void
test_series_saturates(void **state)
{
    table_t      tb;
    omni_kpi_t  *t;
    uint64_t     w;

    (void) state;

    t = table_new(&tb, 4);

    omni_kpi_series_add(t, OMNI_KPI_SERIES_CARTS, NOW / 3600,
                        OMNI_KPI_COUNT_MASK - 1);
    omni_kpi_series_add(t, OMNI_KPI_SERIES_CARTS, NOW / 3600, 5);

    w = t->series[(NOW / 3600) % OMNI_KPI_HOURS][OMNI_KPI_SERIES_CARTS];
    assert_int_equal(w >> OMNI_KPI_STAMP_SHIFT, NOW / 3600);
    assert_int_equal(w & OMNI_KPI_COUNT_MASK, OMNI_KPI_COUNT_MASK);

    table_free(&tb);
}


static void
test_attribute(void **state)
{
    omni_kpi_keys_t  k;
    omni_activity_t  a;

    (void) state;

    memset(&a, 0, sizeof(a));
    memset(&k, 0, sizeof(k));

    assert_int_equal(omni_kpi_attribute(&k, NULL, NOW, 3600), 0);
    assert_int_equal(omni_kpi_attribute(&k, &a, NOW, 3600), 0);

    a.last_offer = S("welcome");
    a.last_variant = S("b");
    a.last_offer_at = NOW - 3600;

    assert_int_equal(omni_kpi_attribute(&k, &a, NOW, 3599), 0);
    assert_int_equal(k.offer.len, 0);

    assert_int_equal(omni_kpi_attribute(&k, &a, NOW, 3600), 1);
    assert_memory_equal(k.offer.data, "welcome", 7);
    assert_memory_equal(k.variant.data, "b", 1);

    /* shown "in the future" (a clock step): not attributed */
    memset(&k, 0, sizeof(k));
    a.last_offer_at = NOW + 10;
    assert_int_equal(omni_kpi_attribute(&k, &a, NOW, 3600), 0);
    assert_int_equal(k.offer.len, 0);
}


/*
 * A slot left BUSY (its writer died while claiming it) is skipped after a
 * bounded wait; if it later turns out to hold the same key, the view sums
 * both rows.
 */

static void
test_busy_slot(void **state)
{
    table_t           tb;
    uint32_t          i;
    omni_kpi_t       *t;
    omni_kpi_row_t   *rows;
    omni_kpi_slot_t  *s;
    omni_kpi_view_t   v;

    const omni_kpi_row_t  *r;

    (void) state;

    t = table_new(&tb, 16);

    for (i = 0; i < 16; i++) {
        t->rows[i].state = OMNI_KPI_ROW_BUSY;
    }

    t->rows[3].state = OMNI_KPI_ROW_EMPTY;

    assert_int_equal(omni_kpi_add(t, OMNI_KPI_DIM_OFFER, S("x"), S(""),
                                  OMNI_KPI_CLICKS, 2), OMNI_OK);
    assert_int_equal(t->rows[3].state, OMNI_KPI_ROW_READY);

    /* the "dead" writer finishes after all, with the same key */
    s = &t->rows[5];
    memcpy(s, &t->rows[3], sizeof(omni_kpi_slot_t));
    s->v[OMNI_KPI_CLICKS] = 5;

    rows = calloc(16, sizeof(omni_kpi_row_t));
    assert_non_null(rows);
    omni_kpi_view(t, NOW, rows, 16, &v);

    assert_int_equal(v.nrows, 1);
    r = find_row(&v, OMNI_KPI_DIM_OFFER, "x", "");
    assert_non_null(r);
    assert_int_equal(r->v[OMNI_KPI_CLICKS], 7);

    /* no free slot anywhere: a new key overflows, in bounded time */
    assert_int_equal(omni_kpi_add(t, OMNI_KPI_DIM_OFFER, S("y"), S(""),
                                  OMNI_KPI_CLICKS, 1), OMNI_EFULL);

    free(rows);
    table_free(&tb);
}


/* the view copies at most the rows it is given */

static void
test_view_bounded(void **state)
{
    int              i;
    char             name[8];
    table_t          tb;
    omni_kpi_t      *t;
    omni_kpi_row_t   rows[3];
    omni_kpi_view_t  v;

    (void) state;

    t = table_new(&tb, 32);

    for (i = 0; i < 10; i++) {
        omni_str_t  s = { name, (size_t) snprintf(name, sizeof(name),
                                                  "c%d", i) };

        omni_kpi_add(t, OMNI_KPI_DIM_CHANNEL, s, S(""), OMNI_KPI_VISITS, 1);
    }

    omni_kpi_view(t, NOW, rows, 3, &v);
    assert_int_equal(v.nrows, 3);

    omni_kpi_view(t, NOW, NULL, 0, &v);
    assert_int_equal(v.nrows, 0);

    table_free(&tb);
}


static void
fill_sample(omni_kpi_t *t)
{
    omni_str_t       segs[] = { S("vip") };
    omni_kpi_keys_t  k;

    memset(&k, 0, sizeof(k));
    k.offer = S("welcome");
    k.variant = S("a");
    k.channel = S("email");
    k.segments = segs;
    k.nsegments = 1;

    omni_kpi_count(t, OMNI_KPI_IMPRESSION, &k, 0, NOW);
    omni_kpi_count(t, OMNI_KPI_PURCHASE, &k, 1250, NOW);
    omni_kpi_count(t, OMNI_KPI_CART, &k, 0, NOW - 7200);
    omni_kpi_count(t, OMNI_KPI_ABANDON, &k, 0, NOW - 3600);

    k.variant = S(OMNI_KPI_HOLDOUT);
    omni_kpi_count(t, OMNI_KPI_IMPRESSION, &k, 0, NOW);

    omni_kpi_op(t, OMNI_KPI_OP_LOOKUPS, 42);
    omni_kpi_op(t, OMNI_KPI_OP_SKIP_ENCODED, 7);
}


static void
assert_sample(omni_kpi_t *t, uint64_t times)
{
    omni_kpi_row_t  *rows;
    omni_kpi_view_t  v;

    const omni_kpi_row_t  *r;

    take_view(t, NOW, &v, &rows);

    assert_int_equal(v.total[OMNI_KPI_IMPRESSIONS], 2 * times);
    assert_int_equal(v.total[OMNI_KPI_REVENUE], 1250 * times);
    assert_int_equal(v.ops[OMNI_KPI_OP_LOOKUPS], 42 * times);
    assert_int_equal(v.ops[OMNI_KPI_OP_SKIP_ENCODED], 7 * times);
    assert_int_equal(v.series[OMNI_KPI_SERIES_CARTS][45], times);
    assert_int_equal(v.series[OMNI_KPI_SERIES_ABANDONED][46], times);
    assert_int_equal(v.series[OMNI_KPI_SERIES_PURCHASES][47], times);

    r = find_row(&v, OMNI_KPI_DIM_OFFER, "welcome", "a");
    assert_non_null(r);
    assert_int_equal(r->v[OMNI_KPI_PURCHASES], times);
    assert_int_equal(r->v[OMNI_KPI_REVENUE], 1250 * times);

    r = find_row(&v, OMNI_KPI_DIM_OFFER, "welcome", OMNI_KPI_HOLDOUT);
    assert_non_null(r);
    assert_int_equal(r->v[OMNI_KPI_IMPRESSIONS], times);

    /* the holdout's exposure carries the segment too */
    r = find_row(&v, OMNI_KPI_DIM_SEGMENT, "vip", "");
    assert_non_null(r);
    assert_int_equal(r->v[OMNI_KPI_IMPRESSIONS], 2 * times);

    free(rows);
}


static void
test_merge(void **state)
{
    table_t      a, b, c;
    omni_kpi_t  *src, *dst, *tiny;

    (void) state;

    src = table_new(&a, 16);
    dst = table_new(&b, 200);
    tiny = table_new(&c, 2);

    fill_sample(src);
    omni_kpi_set_persisted(src, NOW - 5);

    omni_kpi_merge(dst, src);
    assert_sample(dst, 1);
    assert_int_equal(dst->persisted, NOW - 5);

    omni_kpi_merge(dst, src);
    assert_sample(dst, 2);

    /* rows that do not fit are counted, the rest is kept */
    omni_kpi_merge(tiny, src);
    assert_int_equal(omni_kpi_used(tiny), 2);
    assert_int_equal(tiny->ops[OMNI_KPI_OP_KPI_OVERFLOW], 2);
    assert_int_equal(tiny->total[OMNI_KPI_IMPRESSIONS], 2);

    table_free(&a);
    table_free(&b);
    table_free(&c);
}


static void
test_encode_decode(void **state)
{
    size_t       len, i;
    uint8_t     *buf, *copy;
    table_t      a, b;
    omni_kpi_t  *src, *dst;

    (void) state;

    src = table_new(&a, 16);
    dst = table_new(&b, 64);

    fill_sample(src);

    /* a row whose counters are all zero is not saved */
    omni_kpi_add(src, OMNI_KPI_DIM_CHANNEL, S("idle"), S(""),
                 OMNI_KPI_VISITS, 0);

    assert_int_equal(omni_kpi_encode(src, NOW + 1, &buf, &len), OMNI_OK);

    assert_int_equal(omni_kpi_decode(dst, buf, len), OMNI_OK);
    assert_sample(dst, 1);
    assert_int_equal(omni_kpi_used(dst), 4);
    assert_int_equal(dst->persisted, NOW + 1);
    assert_int_equal(dst->since, NOW);

    /* every truncation is refused and changes nothing */
    for (i = 0; i < len; i++) {
        assert_int_not_equal(omni_kpi_decode(dst, buf, i), OMNI_OK);
    }

    /* so is every single corrupted byte (the checksum) */
    copy = malloc(len);
    assert_non_null(copy);

    for (i = 0; i < len; i++) {
        memcpy(copy, buf, len);
        copy[i] ^= 0x20;
        assert_int_not_equal(omni_kpi_decode(dst, copy, len), OMNI_OK);
    }

    assert_sample(dst, 1);

    free(copy);
    free(buf);
    table_free(&a);
    table_free(&b);
}


/* well-formed checksums over bad structure: refused before any change */

static void
test_decode_structure(void **state)
{
    size_t         len;
    uint8_t        buf[256];
    uint32_t       crc;
    table_t        tb;
    omni_kpi_t    *t;
    omni_writer_t  w;

    (void) state;

    t = table_new(&tb, 8);

#define BEGIN(version)                                                      \
    omni_writer_init(&w, buf, sizeof(buf));                                 \
    for (len = 0; len < 8; len++) {                                         \
        omni_write_u8(&w, (uint8_t) "OMNIKPI\n"[len]);                      \
    }                                                                       \
    omni_write_uint(&w, version);                                           \
    omni_write_int(&w, NOW);                                                \
    omni_write_int(&w, NOW)

#define END(rc)                                                             \
    len = omni_writer_len(&w, buf);                                         \
    crc = (uint32_t) crc32(0, buf, (unsigned) len);                         \
    memcpy(buf + len, &crc, 4);                                             \
    assert_int_equal(omni_kpi_decode(t, buf, len + 4), rc)

    /* an unknown version */
    BEGIN(2);
    END(OMNI_EVERSION);

    /* absurd counts */
    BEGIN(1);
    omni_write_uint(&w, 100000);
    END(OMNI_EINVAL);

    /* a row with a bad dimension, after a valid header */
    BEGIN(1);
    omni_write_uint(&w, 1);
    omni_write_uint(&w, 9);                 /* one op */
    omni_write_uint(&w, 0);
    omni_write_uint(&w, 0);
    omni_write_uint(&w, 0);                 /* no series */
    omni_write_uint(&w, 1);
    omni_write_u8(&w, 7);
    omni_write_str(&w, S("x"));
    omni_write_str(&w, S(""));
    omni_write_uint(&w, 0);
    END(OMNI_EINVAL);
    assert_int_equal(t->ops[0], 0);

    /* trailing bytes */
    BEGIN(1);
    omni_write_uint(&w, 0);
    omni_write_uint(&w, 0);
    omni_write_uint(&w, 0);
    omni_write_uint(&w, 0);
    omni_write_uint(&w, 0);
    omni_write_u8(&w, 0);
    END(OMNI_EINVAL);

    /*
     * A newer build's snapshot with more ops and metrics than this one
     * knows and an invalid key: what is known is kept.
     */
    BEGIN(1);
    omni_write_uint(&w, OMNI_KPI_NOPS + 2);
    for (len = 0; len < OMNI_KPI_NOPS + 2; len++) {
        omni_write_uint(&w, 1);
    }
    omni_write_uint(&w, 0);
    omni_write_uint(&w, 0);
    omni_write_uint(&w, 0);
    omni_write_uint(&w, 2);
    omni_write_u8(&w, OMNI_KPI_DIM_CHANNEL);
    omni_write_str(&w, S("web"));
    omni_write_str(&w, S(""));
    omni_write_uint(&w, OMNI_KPI_NMETRICS + 1);
    for (len = 0; len < OMNI_KPI_NMETRICS + 1; len++) {
        omni_write_uint(&w, 3);
    }
    omni_write_u8(&w, OMNI_KPI_DIM_CHANNEL);
    omni_write_str(&w, S("bad\n"));
    omni_write_str(&w, S(""));
    omni_write_uint(&w, 1);
    omni_write_uint(&w, 1);
    END(OMNI_OK);

    assert_int_equal(t->ops[OMNI_KPI_OP_LOOKUPS], 1);
    assert_int_equal(t->ops[OMNI_KPI_OP_KPI_REJECTED], 2);
    assert_int_equal(omni_kpi_used(t), 1);
    assert_int_equal(t->rows[0].v[0] + t->rows[1].v[0] + t->rows[2].v[0]
                     + t->rows[3].v[0] + t->rows[4].v[0] + t->rows[5].v[0]
                     + t->rows[6].v[0] + t->rows[7].v[0], 3);

    /* wrong magic, too short */
    assert_int_equal(omni_kpi_decode(t, "OMNIKPX\n\0\0\0\0\0", 13),
                     OMNI_EINVAL);
    assert_int_equal(omni_kpi_decode(t, "OMNI", 4), OMNI_EINVAL);

#undef BEGIN
#undef END

    table_free(&tb);
}


static void
test_save_load(void **state)
{
    char         dir[] = "/tmp/omni-kpi-XXXXXX", path[256];
    FILE        *f;
    table_t      a, b;
    omni_kpi_t  *src, *dst;

    (void) state;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/kpi.snap", dir);

    src = table_new(&a, 16);
    dst = table_new(&b, 16);

    assert_int_equal(omni_kpi_load(dst, path), OMNI_ENOTFOUND);

    fill_sample(src);
    assert_int_equal(omni_kpi_save(src, path, NOW), OMNI_OK);

    /* saving again replaces the file */
    fill_sample(src);
    assert_int_equal(omni_kpi_save(src, path, NOW), OMNI_OK);

    assert_int_equal(omni_kpi_load(dst, path), OMNI_OK);
    assert_sample(dst, 2);

    /* a damaged file is refused */
    f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 20, SEEK_SET);
    fputc('!', f);
    fclose(f);
    assert_int_equal(omni_kpi_load(dst, path), OMNI_EINVAL);

    /* a directory is not a snapshot; an unwritable place fails cleanly */
    assert_int_equal(omni_kpi_load(dst, dir), OMNI_EINVAL);
    snprintf(path, sizeof(path), "%s/no/such/dir/kpi.snap", dir);
    assert_int_equal(omni_kpi_save(src, path, NOW), OMNI_ERROR);

    snprintf(path, sizeof(path), "%s/kpi.snap", dir);
    unlink(path);
    rmdir(dir);

    table_free(&a);
    table_free(&b);
}


/* concurrent writers: every increment lands, each key gets one row */

#define THREADS     4
#define ITERATIONS  20000

static void *
writer(void *arg)
{
    int              i;
    char             seg[16];
    omni_kpi_t      *t = arg;
    omni_str_t       segs[1];
    omni_kpi_keys_t  k;

    memset(&k, 0, sizeof(k));
    k.offer = S("welcome");
    k.variant = S("b");
    k.channel = S("social");
    k.segments = segs;
    k.nsegments = 1;

    for (i = 0; i < ITERATIONS; i++) {
        segs[0].data = seg;
        segs[0].len = (size_t) snprintf(seg, sizeof(seg), "s%d", i % 50);

        omni_kpi_count(t, OMNI_KPI_PURCHASE, &k, 3, NOW + i);
        omni_kpi_op(t, OMNI_KPI_OP_LOOKUPS, 1);
    }

    return NULL;
}


static void
test_concurrent(void **state)
{
    int              i;
    uint64_t         sum;
    table_t          tb;
    pthread_t        th[THREADS];
    omni_kpi_t      *t;
    omni_kpi_row_t  *rows;
    omni_kpi_view_t  v;

    const omni_kpi_row_t  *r;

    (void) state;

    t = table_new(&tb, 256);

    for (i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, writer, t), 0);
    }

    for (i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
    }

    take_view(t, NOW + ITERATIONS, &v, &rows);

    assert_int_equal(omni_kpi_used(t), 2 + 50);
    assert_int_equal(v.nrows, 2 + 50);
    assert_int_equal(v.total[OMNI_KPI_PURCHASES], THREADS * ITERATIONS);
    assert_int_equal(v.ops[OMNI_KPI_OP_LOOKUPS], THREADS * ITERATIONS);

    r = find_row(&v, OMNI_KPI_DIM_OFFER, "welcome", "b");
    assert_non_null(r);
    assert_int_equal(r->v[OMNI_KPI_REVENUE], 3 * THREADS * ITERATIONS);

    sum = 0;
    for (i = 0; i < (int) v.nrows; i++) {
        if (v.rows[i].dim == OMNI_KPI_DIM_SEGMENT) {
            sum += v.rows[i].v[OMNI_KPI_PURCHASES];
        }
    }

    assert_int_equal(sum, THREADS * ITERATIONS);

    /* each of the ITERATIONS seconds fell in some hour of the series */
    sum = 0;
    for (i = 0; i < OMNI_KPI_HOURS; i++) {
        sum += v.series[OMNI_KPI_SERIES_PURCHASES][i];
    }

    assert_int_equal(sum, THREADS * ITERATIONS);

    free(rows);
    table_free(&tb);
}


static void
test_names(void **state)
{
    (void) state;

    assert_string_equal(omni_kpi_dim_name(OMNI_KPI_DIM_OFFER), "offer");
    assert_string_equal(omni_kpi_dim_name(OMNI_KPI_DIM_CHANNEL), "channel");
    assert_null(omni_kpi_dim_name(0));
    assert_null(omni_kpi_dim_name(OMNI_KPI_DIM_MAX));
    assert_string_equal(omni_kpi_metric_name(OMNI_KPI_REVENUE),
                        "revenue_cents");
    assert_null(omni_kpi_metric_name(OMNI_KPI_NMETRICS));
    assert_string_equal(omni_kpi_event_name(OMNI_KPI_PURCHASE), "purchase");
    assert_null(omni_kpi_event_name(OMNI_KPI_NEVENTS));
    assert_string_equal(omni_kpi_series_name(OMNI_KPI_SERIES_ABANDONED),
                        "abandoned");
    assert_null(omni_kpi_series_name(OMNI_KPI_NSERIES));

    assert_int_equal(omni_kpi_event_by_name("impression", 10),
                     OMNI_KPI_IMPRESSION);
    assert_int_equal(omni_kpi_event_by_name("recover", 7), OMNI_KPI_RECOVER);
    assert_int_equal(omni_kpi_event_by_name("impressions", 11),
                     OMNI_KPI_NEVENTS);
    assert_int_equal(omni_kpi_event_by_name("imp", 3), OMNI_KPI_NEVENTS);
    assert_int_equal(omni_kpi_event_by_name("", 0), OMNI_KPI_NEVENTS);
}


/* Status renderers */

static omni_kpi_info_t  info = {
    "omni", 1048576, 604800, "ngx_omni_module/test"
};


static void
fill_experiment(omni_kpi_t *t)
{
    int              i;
    omni_kpi_keys_t  k;

    memset(&k, 0, sizeof(k));
    k.offer = S("welcome");

    /* variant a: 1000 exposures, 120 purchases; holdout: 1000, 100 */

    for (i = 0; i < 1000; i++) {
        k.variant = S("a");
        omni_kpi_count(t, OMNI_KPI_IMPRESSION, &k, 0, NOW);

        if (i < 120) {
            omni_kpi_count(t, OMNI_KPI_PURCHASE, &k, 2000, NOW);
        }

        k.variant = S(OMNI_KPI_HOLDOUT);
        omni_kpi_count(t, OMNI_KPI_IMPRESSION, &k, 0, NOW);

        if (i < 100) {
            omni_kpi_count(t, OMNI_KPI_PURCHASE, &k, 2000, NOW);
        }
    }

    /* variant b: more purchases than exposures, capped */
    k.variant = S("b");
    omni_kpi_count(t, OMNI_KPI_IMPRESSION, &k, 0, NOW);
    omni_kpi_count(t, OMNI_KPI_PURCHASE, &k, 1, NOW);
    omni_kpi_count(t, OMNI_KPI_PURCHASE, &k, 1, NOW);

    /* an offer with variants and no holdout is no experiment */
    k.offer = S("cart-reminder");
    k.variant = S("x");
    omni_kpi_count(t, OMNI_KPI_IMPRESSION, &k, 0, NOW);

    k.offer = S("a\"b\\c");
    k.variant = S("");
    omni_kpi_count(t, OMNI_KPI_CLICK, &k, 0, NOW);

    omni_kpi_op(t, OMNI_KPI_OP_SKIP_NOT_HTML, 11);
    omni_kpi_op(t, OMNI_KPI_OP_KPI_REJECTED, 2);
}


static void
test_status_json(void **state)
{
    char            *out;
    size_t           len;
    table_t          tb;
    json_t          *root, *e, *arm, *a;
    omni_ab_t        ab;
    omni_kpi_t      *t;
    json_error_t     err;
    omni_kpi_row_t  *rows;
    omni_kpi_view_t  v;

    (void) state;

    t = table_new(&tb, 64);
    fill_experiment(t);
    omni_kpi_count(t, OMNI_KPI_ABANDON, NULL, 0, NOW - 3600);

    take_view(t, NOW + 5, &v, &rows);

    assert_int_equal(omni_kpi_status_json(&v, &info, &out, &len), OMNI_OK);

    root = json_loadb(out, len, JSON_REJECT_DUPLICATES, &err);
    assert_non_null(root);

    assert_int_equal(json_integer_value(json_object_get(root, "schema")), 1);
    assert_int_equal(json_integer_value(json_object_get(root, "now")),
                     NOW + 5);
    assert_int_equal(json_integer_value(json_object_get(root, "since")),
                     NOW);
    assert_true(json_is_null(json_object_get(root, "persisted")));
    assert_int_equal(json_integer_value(json_object_get(root,
                                                "attribution_window")),
                     604800);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(root, "zone"), "name")), "omni");
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(root, "zone"), "capacity")), 64);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(root, "totals"), "impressions")),
                     2002);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(root, "totals"), "revenue_cents")),
                     440002);

    a = json_object_get(root, "offers");
    assert_int_equal(json_array_size(a), 3);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(a, 0), "offer")), "a\"b\\c");

    a = json_object_get(root, "variants");
    assert_int_equal(json_array_size(a), 4);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(a, 1), "offer")), "welcome");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(a, 1), "variant")), "a");
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(a, 1), "purchases")), 120);

    assert_int_equal(json_array_size(json_object_get(root, "segments")), 0);

    /* one experiment, checked against the statistics core */

    a = json_object_get(root, "experiments");
    assert_int_equal(json_array_size(a), 1);
    e = json_array_get(a, 0);
    assert_string_equal(json_string_value(json_object_get(e, "offer")),
                        "welcome");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(e, "control"), "variant")),
                        "holdout");
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(e, "control"), "exposures")), 1000);

    a = json_object_get(e, "variants");
    assert_int_equal(json_array_size(a), 2);

    arm = json_array_get(a, 0);
    assert_string_equal(json_string_value(json_object_get(arm, "variant")),
                        "a");
    omni_stats_ab(120, 1000, 100, 1000, &ab);
    assert_true(json_real_value(json_object_get(arm, "z")) == ab.z);
    assert_true(json_real_value(json_object_get(arm, "p_value"))
                == ab.p_value);
    assert_true(json_real_value(json_object_get(arm, "lift")) == ab.lift);
    assert_true(json_real_value(json_array_get(json_object_get(arm,
                                                               "lift_ci"), 0))
                == ab.lift_lo);
    assert_true(json_real_value(json_array_get(json_object_get(arm,
                                                               "diff_ci"), 1))
                == ab.diff_hi);
    assert_true(json_real_value(json_object_get(arm, "rate")) == 0.12);
    assert_true(json_is_false(json_object_get(arm, "significant")));
    assert_true(json_is_false(json_object_get(arm, "small_sample")));

    /* b: 2 purchases for 1 exposure count as 1 conversion; no CI */
    arm = json_array_get(a, 1);
    assert_int_equal(json_integer_value(json_object_get(arm, "conversions")),
                     1);
    assert_true(json_is_true(json_object_get(arm, "small_sample")));
    assert_true(json_is_array(json_object_get(arm, "lift_ci")));

    /* the series and the operations */

    e = json_object_get(root, "series");
    assert_int_equal(json_integer_value(json_object_get(e, "step")), 3600);
    assert_int_equal(json_integer_value(json_object_get(e, "end")), NOW);
    assert_int_equal(json_array_size(json_object_get(e, "abandoned")), 48);
    assert_int_equal(json_integer_value(json_array_get(
                         json_object_get(e, "abandoned"), 46)), 1);
    assert_int_equal(json_integer_value(json_array_get(
                         json_object_get(e, "purchases"), 47)), 222);

    e = json_object_get(root, "operations");
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(e, "pages"),
                                         "skipped"), "not_html")), 11);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(e, "kpi"), "rejected")), 2);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(e, "store"), "lookups")), 0);
    assert_int_equal(json_object_size(json_object_get(e, "events")), 3);

    json_decref(root);
    free(out);
    free(rows);
    table_free(&tb);
}


static void
test_status_json_empty(void **state)
{
    char            *out;
    size_t           len;
    table_t          tb;
    json_t          *root;
    omni_kpi_t      *t;
    omni_kpi_view_t  v;

    (void) state;

    t = table_new(&tb, 4);
    omni_kpi_set_persisted(t, NOW - 1);
    omni_kpi_view(t, NOW, NULL, 0, &v);

    assert_int_equal(omni_kpi_status_json(&v, &info, &out, &len), OMNI_OK);
    root = json_loadb(out, len, 0, NULL);
    assert_non_null(root);
    assert_int_equal(json_integer_value(json_object_get(root, "persisted")),
                     NOW - 1);
    assert_int_equal(json_array_size(json_object_get(root, "experiments")),
                     0);

    json_decref(root);
    free(out);
    table_free(&tb);
}


static void
test_status_prometheus(void **state)
{
    char            *buf;
    table_t          tb;
    omni_kpi_t      *t;
    omni_prom_t      w;
    omni_kpi_row_t  *rows;
    omni_kpi_view_t  v;

    (void) state;

    t = table_new(&tb, 64);
    fill_experiment(t);

    take_view(t, NOW, &v, &rows);

    omni_prom_init(&w, NULL, 0);
    assert_int_equal(omni_kpi_status_prometheus(&v, &info, &w),
                     OMNI_ETOOBIG);

    buf = malloc(w.len + 1);
    assert_non_null(buf);

    omni_prom_init(&w, buf, w.len);
    assert_int_equal(omni_kpi_status_prometheus(&v, &info, &w), OMNI_OK);
    buf[w.len] = '\0';

#define HAS(line)  assert_non_null(strstr(buf, line))

    HAS("# TYPE omni_impressions_total counter\nomni_impressions_total 2002\n");
    HAS("\nomni_revenue_total 4400.02\n");
    HAS("\nomni_variant_impressions_total{offer=\"welcome\","
        "variant=\"holdout\"} 1000\n");
    HAS("\nomni_variant_revenue_total{offer=\"welcome\",variant=\"a\"} "
        "2400.00\n");
    HAS("\nomni_offer_clicks_total{offer=\"a\\\"b\\\\c\"} 1\n");
    HAS("# TYPE omni_pages_skipped_total counter\n"
        "omni_pages_skipped_total{reason=\"not_html\"} 11\n"
        "omni_pages_skipped_total{reason=\"status\"} 0\n");
    HAS("\nomni_kpi_dropped_total{reason=\"table_full\"} 0\n"
        "omni_kpi_dropped_total{reason=\"invalid_key\"} 2\n");
    HAS("\nomni_kpi_rows{state=\"used\"} 5\n");
    HAS("\nomni_offer_impressions_total{offer=\"welcome\"} 1001\n");
    HAS("\nomni_offer_purchases_total{offer=\"welcome\"} 122\n");
    HAS("\nomni_kpi_rows{state=\"capacity\"} 64\n");
    HAS("\nomni_kpi_info{zone=\"omni\",generator=\"ngx_omni_module/test\"} "
        "1\n");
    HAS("\nomni_attribution_window_seconds 604800\n");
    HAS("\nomni_kpi_since_timestamp_seconds 1767225600\n");
    HAS("# HELP omni_segment_visits_total Visits (sessions started), "
        "by segment.\n");

    /* every family is declared once */
    assert_null(strstr(strstr(buf, "# TYPE omni_pages_skipped_total") + 1,
                       "# TYPE omni_pages_skipped_total"));

#undef HAS

    free(buf);
    free(rows);
    table_free(&tb);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_count_rows),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_count_errors),
        cmocka_unit_test(test_full_table),
        cmocka_unit_test(test_probe_limit),
        cmocka_unit_test(test_ops),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_series),
        cmocka_unit_test(test_series_saturates),
        cmocka_unit_test(test_attribute),
        cmocka_unit_test(test_busy_slot),
        cmocka_unit_test(test_view_bounded),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_encode_decode),
        cmocka_unit_test(test_decode_structure),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_concurrent),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_status_json),
        cmocka_unit_test(test_status_json_empty),
        cmocka_unit_test(test_status_prometheus),
    };

    return cmocka_run_group_tests_name("kpi", tests, NULL, NULL);
}
