/*
 * The first-response cookie (first.h): what is sealed opens again, for
 * that visitor and key only, within its age; every truncation and every
 * changed byte is refused; the set is bounded; and the flush applies one
 * copy of a set, however many requests queued it.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <omni/activity.h>
#include <omni/first.h>
#include <omni/flush.h>
#include <omni/queue.h>
#include <omni/store.h>
#include <omni/wire.h>

#include "store_support.h"


#define T0  1700000000


static omni_signer_t  *signer, *other;
static omni_id_t       id1, id2;


static omni_str_t
str(const char *s)
{
    omni_str_t  r;

    r.data = s;
    r.len = strlen(s);

    return r;
}


static void
assert_text(omni_str_t s, const char *text)
{
    assert_int_equal(s.len, strlen(text));
    assert_memory_equal(s.data, text, s.len);
}


static int
setup(void **state)
{
    (void) state;

    signer = omni_signer_new("first-response-test-key-32-bytes", 32);
    other = omni_signer_new("another-key-another-key-32-bytes", 32);
    assert_non_null(signer);
    assert_non_null(other);

    memset(&id1, 0x11, sizeof(id1));
    memset(&id2, 0x22, sizeof(id2));

    return 0;
}


static int
teardown(void **state)
{
    (void) state;

    omni_signer_free(signer);
    omni_signer_free(other);

    return 0;
}


/* a landing page from an email campaign, and a product view */

static void
landing(omni_first_t *f, int64_t at)
{
    omni_event_t  ev;

    omni_first_init(f, at);

    omni_event_init(&ev, OMNI_EVENT_PAGEVIEW, at);
    ev.touch.channel = OMNI_CHANNEL_EMAIL;
    ev.touch.source = str("newsletter");
    ev.touch.medium = str("email");
    ev.touch.campaign = str("spring");
    assert_int_equal(omni_first_add(f, &ev), OMNI_OK);

    omni_event_init(&ev, OMNI_EVENT_VIEW, at);
    ev.item = str("SKU-7");
    assert_int_equal(omni_first_add(f, &ev), OMNI_OK);
}


static size_t
seal(const omni_first_t *f, const omni_id_t *id, char *out)
{
    size_t  len;

    len = omni_first_seal(signer, id, f, out);
    assert_int_equal(len, omni_first_cookie_len(f));
    assert_true(len <= OMNI_FIRST_COOKIE_MAX);

    return len;
}


static void
test_round_trip(void **state)
{
    char          value[OMNI_FIRST_COOKIE_MAX];
    size_t        len, pos;
    omni_event_t  ev;
    omni_first_t  f, g;

    (void) state;

    landing(&f, T0);
    len = seal(&f, &id1, value);

    assert_memory_equal(value, "f1.", 3);

    assert_int_equal(omni_first_open(signer, &id1, value, len, T0 + 5, &g),
                     OMNI_OK);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.made, T0);

    pos = 0;
    assert_int_equal(omni_first_next(&g, &pos, &ev), OMNI_OK);
    assert_int_equal(ev.type, OMNI_EVENT_PAGEVIEW);
    assert_int_equal(ev.at, T0);
    assert_int_equal(ev.flags, OMNI_EVENT_FIRST|OMNI_EVENT_FIRST_START);
    assert_int_equal(ev.touch.channel, OMNI_CHANNEL_EMAIL);
    assert_text(ev.touch.source, "newsletter");
    assert_text(ev.touch.campaign, "spring");

    assert_int_equal(omni_first_next(&g, &pos, &ev), OMNI_OK);
    assert_int_equal(ev.type, OMNI_EVENT_VIEW);
    assert_int_equal(ev.flags, OMNI_EVENT_FIRST);
    assert_text(ev.item, "SKU-7");

    assert_int_equal(omni_first_next(&g, &pos, &ev), OMNI_ENOTFOUND);
    assert_int_equal(omni_first_next(&g, &pos, &ev), OMNI_ENOTFOUND);
}


/* bound to the visitor and to the key */

static void
test_forged(void **state)
{
    char          value[OMNI_FIRST_COOKIE_MAX];
    size_t        len;
    omni_first_t  f, g;

    (void) state;

    landing(&f, T0);
    len = seal(&f, &id1, value);

    assert_int_equal(omni_first_open(signer, &id2, value, len, T0, &g),
                     OMNI_EFORGED);
    assert_int_equal(omni_first_open(other, &id1, value, len, T0, &g),
                     OMNI_EFORGED);

    /* the visitor cookie's own signature is not a first-response mac */
    len = omni_first_seal(other, &id1, &f, value);
    assert_int_equal(omni_first_open(signer, &id1, value, len, T0, &g),
                     OMNI_EFORGED);
}


static void
test_every_truncation_and_byte(void **state)
{
    int           rc;
    char          value[OMNI_FIRST_COOKIE_MAX], bad[OMNI_FIRST_COOKIE_MAX];
    size_t        len, i, c;
    omni_first_t  f, g;

    (void) state;

    landing(&f, T0);
    len = seal(&f, &id1, value);

    for (i = 0; i < len; i++) {
        rc = omni_first_open(signer, &id1, value, i, T0, &g);
        assert_true(rc == OMNI_EINVAL || rc == OMNI_EFORGED);
    }

    for (i = 0; i < len; i++) {
        for (c = 0; c < 256; c += 7) {
            if ((char) c == value[i]) {
                continue;
            }

            memcpy(bad, value, len);
            bad[i] = (char) c;

            rc = omni_first_open(signer, &id1, bad, len, T0, &g);
            assert_true(rc == OMNI_EINVAL || rc == OMNI_EFORGED
                        || (i < 3 && rc == OMNI_EVERSION));
        }
    }
}


static void
test_age(void **state)
{
    char          value[OMNI_FIRST_COOKIE_MAX];
    size_t        len;
    omni_first_t  f, g;

    (void) state;

    landing(&f, T0);
    len = seal(&f, &id1, value);

    assert_int_equal(omni_first_open(signer, &id1, value, len,
                                     T0 + OMNI_FIRST_MAX_AGE, &g),
                     OMNI_OK);
    assert_int_equal(omni_first_open(signer, &id1, value, len,
                                     T0 + OMNI_FIRST_MAX_AGE + 1, &g),
                     OMNI_ENOTFOUND);
    assert_int_equal(omni_first_open(signer, &id1, value, len,
                                     T0 - OMNI_FIRST_CLOCK_SKEW, &g),
                     OMNI_OK);
    assert_int_equal(omni_first_open(signer, &id1, value, len,
                                     T0 - OMNI_FIRST_CLOCK_SKEW - 1, &g),
                     OMNI_ENOTFOUND);
}


static void
test_malformed(void **state)
{
    char          big[OMNI_FIRST_COOKIE_MAX + 2];
    omni_first_t  g;

    (void) state;

#define open_text(s)                                                          \
    omni_first_open(signer, &id1, s, sizeof(s) - 1, T0, &g)

    assert_int_equal(open_text(""), OMNI_EINVAL);
    assert_int_equal(open_text("f"), OMNI_EINVAL);
    assert_int_equal(open_text("f1."), OMNI_EINVAL);
    assert_int_equal(open_text("v1.AAAA.AAAAAAAAAAAAAAAAAAAAAA"), OMNI_EINVAL);
    assert_int_equal(open_text("f2.AAAA.AAAAAAAAAAAAAAAAAAAAAA"),
                     OMNI_EVERSION);
    assert_int_equal(open_text("f12.x"), OMNI_EVERSION);
    assert_int_equal(open_text("fx.AAAA.AAAAAAAAAAAAAAAAAAAAAA"), OMNI_EINVAL);
    assert_int_equal(open_text("f1..AAAAAAAAAAAAAAAAAAAAAA"), OMNI_EINVAL);
    assert_int_equal(open_text("f1.AAAA.AAAAAAAAAAAAAAAAAAAAA="), OMNI_EINVAL);
    assert_int_equal(open_text("f1.AAAA"), OMNI_EINVAL);

#undef open_text

    memset(big, 'A', sizeof(big));
    memcpy(big, "f1.", 3);
    big[sizeof(big) - 23] = '.';
    assert_int_equal(omni_first_open(signer, &id1, big, sizeof(big), T0, &g),
                     OMNI_ETOOBIG);

    /* as long as the longest we make, of junk: decoded, refused by the mac */
    big[sizeof(big) - 23] = 'A';
    big[sizeof(big) - 25] = '.';
    assert_int_equal(omni_first_open(signer, &id1, big, sizeof(big) - 2, T0,
                                     &g),
                     OMNI_EFORGED);
}


/* signed by us but not a set we would make: every bound still holds */

static void
test_signed_junk(void **state)
{
    char           value[OMNI_FIRST_COOKIE_MAX];
    size_t         len;
    omni_first_t   f, g;
    omni_writer_t  w;

    (void) state;

    /* no event at all */
    omni_first_init(&f, T0);
    len = seal(&f, &id1, value);
    assert_int_equal(omni_first_open(signer, &id1, value, len, T0, &g),
                     OMNI_EINVAL);

    /* an event, then bytes that are not one */
    landing(&f, T0);
    f.data[f.len++] = 0x01;
    len = seal(&f, &id1, value);
    assert_int_equal(omni_first_open(signer, &id1, value, len, T0, &g),
                     OMNI_EINVAL);

    /* an event type out of range */
    omni_first_init(&f, T0);
    omni_writer_init(&w, f.data + f.len, sizeof(f.data) - f.len);
    omni_write_u8(&w, OMNI_EVENT_MAX);
    f.len += omni_writer_len(&w, f.data + f.len);
    len = seal(&f, &id1, value);
    assert_int_equal(omni_first_open(signer, &id1, value, len, T0, &g),
                     OMNI_EINVAL);

    /* a time that does not decode */
    f.len = 0;
    f.data[f.len++] = 0x80;
    len = seal(&f, &id1, value);
    assert_int_equal(omni_first_open(signer, &id1, value, len, T0, &g),
                     OMNI_EINVAL);
}


static void
test_bounded(void **state)
{
    int           rc;
    char          value[OMNI_FIRST_COOKIE_MAX], item[OMNI_KEY_MAX + 1];
    size_t        len, n, used, pos;
    omni_event_t  ev;
    omni_first_t  f, g;

    (void) state;

    memset(item, 'i', sizeof(item));

    omni_first_init(&f, T0);

    omni_event_init(&ev, OMNI_EVENT_VIEW, T0);
    ev.item.data = item;
    ev.item.len = OMNI_KEY_MAX + 1;
    assert_int_equal(omni_first_add(&f, &ev), OMNI_EINVAL);
    assert_int_equal(f.n, 0);

    ev.item.len = OMNI_KEY_MAX;

    for (n = 0; ; n++) {
        used = f.len;
        rc = omni_first_add(&f, &ev);

        if (rc != OMNI_OK) {
            assert_int_equal(rc, OMNI_EFULL);
            assert_int_equal(f.len, used);
            assert_int_equal(f.n, n);
            break;
        }
    }

    assert_true(n >= 6);
    assert_true(f.len <= OMNI_FIRST_MAX);

    len = seal(&f, &id1, value);
    assert_int_equal(omni_first_open(signer, &id1, value, len, T0, &g),
                     OMNI_OK);
    assert_int_equal(g.n, n);

    for (pos = 0, used = 0; omni_first_next(&g, &pos, &ev) == OMNI_OK;
         used++)
    {
        assert_int_equal(ev.item.len, OMNI_KEY_MAX);
    }

    assert_int_equal(used, n);
}


/* the flush side: one copy of a set counts */

typedef struct {
    void     *last;
} alloc_t;


static void *
test_alloc(void *data, size_t size)
{
    alloc_t  *a = data;

    free(a->last);
    a->last = malloc(size);

    return a->last;
}


static void
push_set(omni_queue_t *q, const omni_id_t *id, const omni_first_t *f)
{
    size_t        pos;
    omni_event_t  ev;

    pos = 0;

    while (omni_first_next(f, &pos, &ev) == OMNI_OK) {
        assert_int_equal(omni_queue_push(q, id, &ev), OMNI_OK);
    }
}


static void
push_page(omni_queue_t *q, const omni_id_t *id, int64_t at)
{
    omni_event_t  ev;

    omni_event_init(&ev, OMNI_EVENT_PAGEVIEW, at);
    assert_int_equal(omni_queue_push(q, id, &ev), OMNI_OK);
}


static void
flush(omni_store_t *s, omni_queue_t *q, omni_flush_stats_t *st)
{
    omni_batch_t             *b;
    static omni_flush_conf_t  conf = { 1800, 1800 };

    b = omni_queue_take(q);
    assert_non_null(b);
    memset(st, 0, sizeof(omni_flush_stats_t));
    assert_int_equal(omni_flush_batch(s, b, &conf, st), OMNI_OK);
    omni_queue_release(q, b);
}


static void
test_flush_once(void **state)
{
    char                *dir;
    alloc_t              al;
    omni_id_t            id3, id4;
    omni_first_t         f;
    omni_queue_t        *q;
    omni_store_t        *s;
    omni_activity_t      a;
    omni_store_conf_t    sc;
    omni_flush_stats_t   st;

    (void) state;

    dir = test_tmpdir();
    memset(&sc, 0, sizeof(sc));
    sc.flags = OMNI_STORE_ACTIVITY;
    assert_int_equal(omni_store_open(&s, dir, &sc), OMNI_OK);

    q = omni_queue_new(OMNI_QUEUE_MIN_SIZE);
    assert_non_null(q);

    landing(&f, T0);
    al.last = NULL;

    /* three requests came back with the cookie at once, one with a page */
    push_set(q, &id1, &f);
    push_set(q, &id1, &f);
    push_page(q, &id1, T0 + 2);
    push_set(q, &id1, &f);

    flush(s, q, &st);
    assert_int_equal(st.events, 3);
    assert_int_equal(st.copies, 4);

    assert_int_equal(omni_store_get_activity(s, &id1, test_alloc, &al, &a),
                     OMNI_OK);
    assert_int_equal(a.pageviews, 2);
    assert_int_equal(a.visits, 1);
    assert_int_equal(a.nviewed, 1);
    assert_int_equal(a.first_seen, T0);
    assert_int_equal(a.first_touch.channel, OMNI_CHANNEL_EMAIL);

    /* a copy in a later batch finds the record the set began */
    push_set(q, &id1, &f);
    flush(s, q, &st);
    assert_int_equal(st.events, 0);
    assert_int_equal(st.copies, 2);

    assert_int_equal(omni_store_get_activity(s, &id1, test_alloc, &al, &a),
                     OMNI_OK);
    assert_int_equal(a.pageviews, 2);

    /*
     * A later request without the cookie reached the store first (another
     * worker's batch): the set still applies, and its campaign replaces
     * the "direct" the visit was opened with.
     */
    memset(&id3, 0x33, sizeof(id3));
    push_page(q, &id3, T0 + 3);
    flush(s, q, &st);

    push_set(q, &id3, &f);
    flush(s, q, &st);
    assert_int_equal(st.events, 2);
    assert_int_equal(st.copies, 0);

    assert_int_equal(omni_store_get_activity(s, &id3, test_alloc, &al, &a),
                     OMNI_OK);
    assert_int_equal(a.pageviews, 2);
    assert_int_equal(a.first_seen, T0);
    assert_int_equal(a.first_touch.channel, OMNI_CHANNEL_EMAIL);
    assert_int_equal(a.last_touch.channel, OMNI_CHANNEL_EMAIL);

    /* begun in the same second by a request without the cookie */
    memset(&id4, 0x44, sizeof(id4));
    push_page(q, &id4, T0);
    flush(s, q, &st);
    push_set(q, &id4, &f);
    push_set(q, &id4, &f);
    flush(s, q, &st);
    assert_int_equal(st.events, 2);
    assert_int_equal(st.copies, 2);

    assert_int_equal(omni_store_get_activity(s, &id4, test_alloc, &al, &a),
                     OMNI_OK);
    assert_int_equal(a.pageviews, 2);
    assert_int_equal(a.nviewed, 1);
    assert_int_equal(a.first_set, T0);
    assert_int_equal(a.first_touch.channel, OMNI_CHANNEL_EMAIL);

    free(al.last);
    omni_queue_free(q);
    omni_store_close(s);
    test_rmtree(dir);
    free(dir);
}


/* first_set is in the record's tail, only when set */

static void
test_record_tail(void **state)
{
    uint8_t          buf[OMNI_ACTIVITY_RECORD_MAX];
    uint8_t          buf2[OMNI_ACTIVITY_RECORD_MAX];
    size_t           len, len2;
    omni_activity_t  a, b;

    (void) state;

    omni_activity_init(&a);
    a.visits = 1;
    a.first_seen = T0;
    assert_int_equal(omni_activity_encode(&a, buf, sizeof(buf), &len),
                     OMNI_OK);

    a.first_set = T0;
    assert_int_equal(omni_activity_encode(&a, buf2, sizeof(buf2), &len2),
                     OMNI_OK);
    assert_true(len2 > len);

    assert_int_equal(omni_activity_decode(buf2, len2, &b), OMNI_OK);
    assert_int_equal(b.first_set, T0);
    assert_int_equal(b.abandoned_at, 0);
    assert_int_equal(b.last_order.len, 0);

    assert_int_equal(omni_activity_decode(buf, len, &b), OMNI_OK);
    assert_int_equal(b.first_set, 0);
}


/* a set cut short (no START in the run) is never applied half */

static void
test_flush_no_start(void **state)
{
    char                *dir;
    size_t               pos;
    omni_event_t         ev;
    omni_first_t         f;
    omni_queue_t        *q;
    omni_store_t        *s;
    omni_store_conf_t    sc;
    omni_flush_stats_t   st;

    (void) state;

    dir = test_tmpdir();
    memset(&sc, 0, sizeof(sc));
    sc.flags = OMNI_STORE_ACTIVITY;
    assert_int_equal(omni_store_open(&s, dir, &sc), OMNI_OK);

    q = omni_queue_new(OMNI_QUEUE_MIN_SIZE);
    assert_non_null(q);

    landing(&f, T0);

    pos = 0;
    assert_int_equal(omni_first_next(&f, &pos, &ev), OMNI_OK);
    assert_int_equal(omni_first_next(&f, &pos, &ev), OMNI_OK);
    assert_int_equal(omni_queue_push(q, &id2, &ev), OMNI_OK);

    flush(s, q, &st);
    assert_int_equal(st.events, 0);
    assert_int_equal(st.copies, 1);
    assert_int_equal(st.visitors, 0);

    omni_queue_free(q);
    omni_store_close(s);
    test_rmtree(dir);
    free(dir);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_forged),
        cmocka_unit_test(test_every_truncation_and_byte),
        cmocka_unit_test(test_age),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_signed_junk),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_flush_once),
        cmocka_unit_test(test_flush_no_start),
        cmocka_unit_test(test_record_tail),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
