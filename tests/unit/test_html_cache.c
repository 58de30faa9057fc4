/*
 * Anchor offsets of file regions: a page rebuilt from the marks (file
 * slices between them, insertions at them) equals the streaming rewrite,
 * however the region was read and whatever the scanner held before it;
 * overflow keeps what the caller needs; the cache stores and replaces.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <omni/html_cache.h>


#define OUT_MAX  65536


static const omni_str_t  c_head = omni_string("[H]");
static const omni_str_t  c_start = omni_string("[B]");
static const omni_str_t  c_end = omni_string("[E]");

static const omni_html_slot_t  c_slots[] = {
    { omni_string("hero"), omni_string("[S:hero]") },
    { omni_string("side"), omni_string("[S:side]") }
};

static const omni_html_inserts_t  c_ins = {
    &c_head, &c_start, &c_end, c_slots, 2
};


static const char  page[] =
    "<!doctype html><html><head><title>x</title><script>\"</head>\""
    "</script></head>\n<body class=\"a>b\"><!--omni:slot hero--><p>text</p>"
    "<!--omni:slot side--><!--omni:slot hero--></body></html>\n";


static void
out_put(char *out, size_t *n, const char *s, size_t len)
{
    assert_true(*n + len <= OUT_MAX);
    memcpy(out + *n, s, len);
    *n += len;
}


static const omni_str_t *
content(const omni_html_mark_t *mk)
{
    size_t  i;

    switch (mk->anchor) {

    case OMNI_HTML_HEAD_END:
        return &c_head;

    case OMNI_HTML_BODY_START:
        return &c_start;

    case OMNI_HTML_BODY_END:
        return &c_end;
    }

    for (i = 0; i < 2; i++) {
        if (c_slots[i].name.len == mk->len
            && memcmp(c_slots[i].name.data, mk->name, mk->len) == 0)
        {
            return &c_slots[i].content;
        }
    }

    return NULL;
}


/* the page as a file-splitting caller would send it */

static void
rebuild(const omni_html_mark_t *marks, size_t nmarks, const char *held,
    const char *region, uint64_t passed, char *out, size_t *n)
{
    size_t             i;
    uint64_t           cur;
    const omni_str_t  *c;

    cur = 0;

    for (i = 0; i < nmarks; i++) {
        assert_true(marks[i].offset >= cur);
        out_put(out, n, region + cur, marks[i].offset - cur);
        cur = marks[i].offset;

        if (marks[i].type == OMNI_HTML_MARK_GIVE_BACK) {
            out_put(out, n, held, marks[i].len);
            continue;
        }

        c = content(&marks[i]);

        if (c) {
            out_put(out, n, c->data, c->len);
        }
    }

    assert_true(passed >= cur);
    out_put(out, n, region + cur, passed - cur);
}


static void
expected(const char *in, size_t len, char *out, size_t *n)
{
    omni_str_t  chunk;

    chunk.data = in;
    chunk.len = len;

    assert_int_equal(omni_html_rewrite(&chunk, 1, &c_ins, out, OUT_MAX, n),
                     OMNI_OK);
}


/* the region read in pieces of every size from 1 to its length */

static void
test_marks_rebuild(void **state)
{
    char                 want[OUT_MAX], got[OUT_MAX];
    size_t               len, piece, off, n, wn, gn;
    omni_html_t          h;
    omni_html_mark_t     marks[OMNI_HTML_MARKS_MAX];
    omni_html_marker_t   m;
    omni_str_t           keep = omni_string("hero");

    (void) state;

    len = sizeof(page) - 1;
    expected(page, len, want, &wn);

    for (piece = 1; piece <= len; piece++) {
        omni_html_init(&h, OMNI_HTML_WANT_ALL);
        omni_html_marker_init(&m, &h, marks, OMNI_HTML_MARKS_MAX, keep);

        for (off = 0; off < len; off += n) {
            n = (len - off < piece) ? len - off : piece;
            omni_html_marker_feed(&m, page + off, n, off + n == len);
        }

        assert_int_equal(m.overflow, 0);
        assert_int_equal(m.passed, len);
        assert_int_equal(m.nmarks, 6);

        gn = 0;
        rebuild(m.marks, m.nmarks, omni_html_marker_held(&m), page, m.passed,
                got, &gn);

        assert_int_equal(gn, wn);
        assert_memory_equal(got, want, wn);
    }
}


/*
 * A region that starts after bytes the scanner holds ("</he" from an
 * earlier buffer) and ends in the middle of a tag: the held bytes come
 * back as a GIVE_BACK mark, the tail is left in the state, and going on
 * from that state gives the page of the streaming rewrite.
 */

static void
test_marks_between_buffers(void **state)
{
    char                 want[OUT_MAX], got[OUT_MAX];
    size_t               len, a, b, wn, gn;
    omni_html_t          h;
    omni_html_step_t     s;
    omni_html_mark_t     marks[OMNI_HTML_MARKS_MAX];
    omni_html_marker_t   m;
    omni_str_t           keep = omni_string("hero");

    static const char  doc[] =
        "<title>t</title></head><body><!--omni:slot hero--></body>";

    (void) state;

    len = sizeof(doc) - 1;
    expected(doc, len, want, &wn);

    for (a = 0; a <= len; a++) {
        for (b = a; b <= len; b++) {

            /* [0, a) in memory, [a, b) the file region, [b, len) memory */

            omni_html_init(&h, OMNI_HTML_WANT_ALL);
            gn = 0;

            omni_html_feed(&h, doc, a, a == len);

            while (omni_html_next(&h, &s) == OMNI_OK) {
                if (s.op == OMNI_HTML_INSERT) {
                    omni_html_mark_t  mk;

                    mk.anchor = (unsigned char) s.anchor;
                    mk.len = (unsigned char) s.name.len;

                    if (s.name.len) {
                        memcpy(mk.name, s.name.data, s.name.len);
                    }

                    out_put(got, &gn, content(&mk)->data,
                            content(&mk)->len);

                } else {
                    out_put(got, &gn, s.data, s.len);
                }
            }

            if (a == len) {
                assert_int_equal(gn, wn);
                continue;
            }

            omni_html_marker_init(&m, &h, marks, OMNI_HTML_MARKS_MAX, keep);
            omni_html_marker_feed(&m, doc + a, b - a, b == len);

            rebuild(m.marks, m.nmarks, omni_html_marker_held(&m), doc + a,
                    m.passed, got, &gn);

            assert_true(b - a - m.passed <= OMNI_HTML_HOLD_MAX);

            /* go on from the state at the end of the region */
            h = m.scan;

            if (b < len) {
                omni_html_feed(&h, doc + b, len - b, 1);

                while (omni_html_next(&h, &s) == OMNI_OK) {
                    if (s.op == OMNI_HTML_INSERT) {
                        omni_html_mark_t  mk;

                        mk.anchor = (unsigned char) s.anchor;
                        mk.len = (unsigned char) s.name.len;

                        if (s.name.len) {
                            memcpy(mk.name, s.name.data, s.name.len);
                        }

                        out_put(got, &gn, content(&mk)->data,
                                content(&mk)->len);

                    } else {
                        out_put(got, &gn, s.data, s.len);
                    }
                }
            }

            if (gn != wn || memcmp(got, want, wn) != 0) {
                fail_msg("cut %zu %zu: got \"%.*s\"", a, b, (int) gn, got);
            }
        }
    }
}


/* more slot markers than marks: the anchors and the first kept slot stay */

static void
test_marks_overflow(void **state)
{
    int                  i;
    char                 doc[8192];
    size_t               len;
    omni_html_t          h;
    omni_html_mark_t     marks[8];
    omni_html_marker_t   m;
    omni_str_t           keep = omni_string("hero");
    omni_html_cache_t   *cache;
    omni_html_file_key_t key;

    (void) state;

    len = sprintf(doc, "<head></head><body>");

    for (i = 0; i < 20; i++) {
        len += sprintf(doc + len, "<!--omni:slot s%d-->", i);
    }

    len += sprintf(doc + len, "<!--omni:slot hero--><!--omni:slot hero-->"
                   "</body>");

    omni_html_init(&h, OMNI_HTML_WANT_ALL);
    omni_html_marker_init(&m, &h, marks, 8, keep);
    omni_html_marker_feed(&m, doc, len, 1);

    assert_int_equal(m.overflow, 1);
    assert_int_equal(m.nmarks, 4);
    assert_int_equal(m.marks[0].anchor, OMNI_HTML_HEAD_END);
    assert_int_equal(m.marks[1].anchor, OMNI_HTML_BODY_START);
    assert_int_equal(m.marks[2].anchor, OMNI_HTML_SLOT);
    assert_memory_equal(m.marks[2].name, "hero", 4);
    assert_int_equal(m.marks[2].offset, len - 7 - 21);
    assert_int_equal(m.marks[3].anchor, OMNI_HTML_BODY_END);

    cache = omni_html_cache_new(4);
    assert_non_null(cache);
    memset(&key, 0, sizeof(key));
    assert_int_equal(omni_html_cache_put(cache, &key, &m, 1), OMNI_EINVAL);

    /* the kept slot among the first marks, then the overflow */
    len = sprintf(doc, "<!--omni:slot hero-->");

    for (i = 0; i < 20; i++) {
        len += sprintf(doc + len, "<!--omni:slot s%d--><!--omni:slot hero-->",
                       i);
    }

    omni_html_marker_init(&m, &h, marks, 8, keep);
    omni_html_marker_feed(&m, doc, len, 1);

    assert_int_equal(m.overflow, 1);
    assert_int_equal(m.nmarks, 1);
    assert_int_equal(m.marks[0].offset, 21);

    omni_html_cache_free(cache);
}


static void
test_cache(void **state)
{
    size_t                    len;
    omni_html_t               h;
    omni_html_mark_t          marks[OMNI_HTML_MARKS_MAX];
    omni_html_marker_t        m;
    omni_html_file_key_t      key, other;
    omni_html_cache_t        *cache;
    omni_html_cache_stats_t   st;
    const omni_html_entry_t  *e;
    omni_str_t                keep = omni_string("");

    (void) state;

    len = sizeof(page) - 1;

    cache = omni_html_cache_new(3);
    assert_non_null(cache);

    memset(&key, 0, sizeof(key));
    key.dev = 8;
    key.ino = 1234;
    key.size = len;
    key.mtime_sec = 1700000000;
    key.mtime_nsec = 5;
    key.end = len;

    assert_null(omni_html_cache_get(cache, &key));

    omni_html_init(&h, OMNI_HTML_WANT_ALL);
    omni_html_marker_init(&m, &h, marks, OMNI_HTML_MARKS_MAX, keep);
    omni_html_marker_feed(&m, page, len, 1);

    /* a marker that did not start fresh is not cached */
    assert_int_equal(omni_html_cache_put(cache, &key, &m, 0), OMNI_EINVAL);
    assert_int_equal(omni_html_cache_put(cache, &key, &m, 1), OMNI_OK);

    e = omni_html_cache_get(cache, &key);
    assert_non_null(e);
    assert_int_equal(e->nmarks, 6);
    assert_int_equal(e->passed, len);
    assert_memory_equal(e->marks, m.marks, 6 * sizeof(omni_html_mark_t));
    assert_int_equal(omni_html_fired(&e->end), OMNI_HTML_WANT_ALL);

    /* any field of the identity is another file */
    other = key;
    other.mtime_nsec = 6;
    assert_null(omni_html_cache_get(cache, &other));

    other = key;
    other.start = 1;
    assert_null(omni_html_cache_get(cache, &other));

    /* stored again: replaced, not leaked (ASan checks) */
    assert_int_equal(omni_html_cache_put(cache, &key, &m, 1), OMNI_OK);
    assert_non_null(omni_html_cache_get(cache, &key));

    omni_html_cache_stats(cache, &st);
    assert_int_equal(st.hits, 2);
    assert_int_equal(st.misses, 3);
    assert_int_equal(st.stores, 2);
    assert_int_equal(st.replaced, 1);

    omni_html_cache_free(cache);
    omni_html_cache_free(NULL);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_marks_rebuild),
        cmocka_unit_test(test_marks_between_buffers),
        cmocka_unit_test(test_marks_overflow),
        cmocka_unit_test(test_cache),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
