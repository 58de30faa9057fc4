/*
 * Profile records: round trips, every truncation, bit flips, limits.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <omni/profile.h>
#include <omni/wire.h>

#include "store_support.h"


static char  long_key[OMNI_KEY_MAX + 2];
static char  long_short[OMNI_SHORT_MAX + 2];
static char  tag_text[OMNI_PROFILE_MAX_TAGS + 1][OMNI_PROFILE_TAG_MAX + 2];
static char  attr_key[OMNI_PROFILE_MAX_ATTRS + 1][OMNI_PROFILE_ATTR_KEY_MAX
                                                  + 2];


static omni_str_t
str(const char *s)
{
    omni_str_t  r;

    r.data = s;
    r.len = strlen(s);

    return r;
}


static omni_str_t
strn(const char *s, size_t n)
{
    omni_str_t  r;

    r.data = s;
    r.len = n;

    return r;
}


static int
setup_text(void **state)
{
    size_t  i;

    (void) state;

    memset(long_key, 'k', sizeof(long_key));
    memset(long_short, 's', sizeof(long_short));

    for (i = 0; i <= OMNI_PROFILE_MAX_TAGS; i++) {
        memset(tag_text[i], 'a' + i % 26, sizeof(tag_text[i]));
        /* distinct tags: the first two bytes tell them apart */
        tag_text[i][0] = 'A' + i / 26;
        tag_text[i][1] = 'a' + i % 26;
    }

    for (i = 0; i <= OMNI_PROFILE_MAX_ATTRS; i++) {
        memset(attr_key[i], 'x', sizeof(attr_key[i]));
        attr_key[i][0] = 'A' + i / 26;
        attr_key[i][1] = 'a' + i % 26;
    }

    return 0;
}


/* the largest profile the limits allow */
static void
full_profile(omni_profile_t *p)
{
    size_t  i;

    omni_profile_init(p);

    p->customer_id = strn(long_key, OMNI_KEY_MAX);
    p->first_name = strn("\xc3\x85se \xe2\x9c\x93", 8);
    p->locale = str("nb-NO");
    p->tier = strn(long_short, OMNI_SHORT_MAX);
    p->points = -1234567890123LL;
    p->consent = OMNI_CONSENT_EMAIL | OMNI_CONSENT_ADS | 0x80000000u;
    p->updated = 1700000000;

    for (i = 0; i < OMNI_PROFILE_MAX_TAGS; i++) {
        p->tags[i] = strn(tag_text[i], OMNI_PROFILE_TAG_MAX);
    }

    p->ntags = OMNI_PROFILE_MAX_TAGS;

    for (i = 0; i < OMNI_PROFILE_MAX_ATTRS; i++) {
        p->attrs[i].key = strn(attr_key[i], OMNI_PROFILE_ATTR_KEY_MAX);
        p->attrs[i].value = strn(long_short, i % 2 ? OMNI_SHORT_MAX : 0);
    }

    p->nattrs = OMNI_PROFILE_MAX_ATTRS;
}


static void
small_profile(omni_profile_t *p)
{
    omni_profile_init(p);

    p->customer_id = str("C1");
    p->first_name = str("Ann");
    p->locale = str("en-GB");
    p->tier = str("gold");
    p->points = 1200;
    p->consent = OMNI_CONSENT_EMAIL;
    p->tags[0] = str("vip");
    p->tags[1] = str("newsletter");
    p->ntags = 2;
    p->attrs[0].key = str("city");
    p->attrs[0].value = str("Oslo");
    p->nattrs = 1;
}


static void
assert_str_eq(omni_str_t a, omni_str_t b)
{
    assert_int_equal(a.len, b.len);

    if (a.len) {
        assert_memory_equal(a.data, b.data, a.len);
    }
}


static void
assert_profile_eq(const omni_profile_t *a, const omni_profile_t *b)
{
    size_t  i;

    assert_str_eq(a->customer_id, b->customer_id);
    assert_str_eq(a->first_name, b->first_name);
    assert_str_eq(a->locale, b->locale);
    assert_str_eq(a->tier, b->tier);
    assert_true(a->points == b->points);
    assert_int_equal(a->consent, b->consent);
    assert_true(a->updated == b->updated);
    assert_int_equal(a->ntags, b->ntags);
    assert_int_equal(a->nattrs, b->nattrs);

    for (i = 0; i < a->ntags; i++) {
        assert_str_eq(a->tags[i], b->tags[i]);
    }

    for (i = 0; i < a->nattrs; i++) {
        assert_str_eq(a->attrs[i].key, b->attrs[i].key);
        assert_str_eq(a->attrs[i].value, b->attrs[i].value);
    }
}


static void
test_round_trip(void **state)
{
    size_t          len, len2;
    uint8_t        *buf, *buf2;
    omni_profile_t  p, q;

    (void) state;

    buf = malloc(OMNI_PROFILE_RECORD_MAX);
    buf2 = malloc(OMNI_PROFILE_RECORD_MAX);
    assert_non_null(buf);
    assert_non_null(buf2);

    small_profile(&p);
    assert_int_equal(omni_profile_encode(&p, buf, OMNI_PROFILE_RECORD_MAX,
                                         &len), OMNI_OK);
    assert_int_equal(omni_profile_decode(buf, len, &q), OMNI_OK);
    assert_profile_eq(&p, &q);

    /* the view points into the record */
    assert_true((const uint8_t *) q.first_name.data > buf
                && (const uint8_t *) q.first_name.data < buf + len);

    full_profile(&p);
    assert_int_equal(omni_profile_encode(&p, buf, OMNI_PROFILE_RECORD_MAX,
                                         &len), OMNI_OK);
    assert_int_equal(omni_profile_decode(buf, len, &q), OMNI_OK);
    assert_profile_eq(&p, &q);

    /* a decoded view encodes to the same bytes */
    assert_int_equal(omni_profile_encode(&q, buf2, OMNI_PROFILE_RECORD_MAX,
                                         &len2), OMNI_OK);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, buf2, len);

    /* the smallest: a customer id only */
    omni_profile_init(&p);
    p.customer_id = str("x");
    assert_int_equal(omni_profile_encode(&p, buf, OMNI_PROFILE_RECORD_MAX,
                                         &len), OMNI_OK);
    assert_int_equal(omni_profile_decode(buf, len, &q), OMNI_OK);
    assert_profile_eq(&p, &q);

    free(buf);
    free(buf2);
}


/*
 * Every prefix of a record is rejected: by the checksum as it is, and by
 * the bounds checks once the checksum is made to match the cut body.
 */
static void
test_every_truncation(void **state)
{
    size_t          len, cut, i;
    uint8_t         buf[OMNI_PROFILE_RECORD_MAX];
    uint8_t         cutbuf[OMNI_PROFILE_RECORD_MAX];
    omni_profile_t  p, q;

    (void) state;

    for (i = 0; i < 2; i++) {
        if (i == 0) {
            small_profile(&p);

        } else {
            full_profile(&p);
        }

        assert_int_equal(omni_profile_encode(&p, buf, sizeof(buf), &len),
                         OMNI_OK);

        for (cut = 0; cut < len; cut++) {
            assert_int_not_equal(omni_profile_decode(buf, cut, &q), OMNI_OK);
        }

        /* body cut at every point, checksum recomputed */
        for (cut = 1; cut < len - 4; cut++) {
            memcpy(cutbuf, buf, cut);
            memset(cutbuf + cut, 0, 4);
            test_reseal(cutbuf, cut + 4);
            assert_int_equal(omni_profile_decode(cutbuf, cut + 4, &q),
                             OMNI_EINVAL);
        }
    }

    assert_int_equal(omni_profile_decode(NULL, 0, &q), OMNI_EINVAL);
    assert_int_equal(omni_profile_decode(buf, 0, &q), OMNI_EINVAL);
}


static void
test_trailing_garbage(void **state)
{
    int             b;
    size_t          len;
    uint8_t         buf[512];
    omni_profile_t  p, q;

    (void) state;

    small_profile(&p);
    assert_int_equal(omni_profile_encode(&p, buf, sizeof(buf), &len),
                     OMNI_OK);

    for (b = 0; b < 256; b++) {
        /* one more body byte before the checksum */
        buf[len - 4] = (uint8_t) b;
        test_reseal(buf, len + 1);
        assert_int_equal(omni_profile_decode(buf, len + 1, &q), OMNI_EINVAL);
    }
}


static void
test_bit_flips(void **state)
{
    int             i, n, k;
    size_t          len, bit;
    uint8_t         buf[OMNI_PROFILE_RECORD_MAX], copy[OMNI_PROFILE_RECORD_MAX];
    omni_profile_t  p, q;

    (void) state;

    small_profile(&p);
    assert_int_equal(omni_profile_encode(&p, buf, sizeof(buf), &len),
                     OMNI_OK);

    /* every single bit */
    for (bit = 0; bit < len * 8; bit++) {
        memcpy(copy, buf, len);
        copy[bit / 8] ^= (uint8_t) (1 << (bit % 8));
        assert_int_not_equal(omni_profile_decode(copy, len, &q), OMNI_OK);
    }

    /* random damage, from a fixed seed so that a failure repeats */
    srandom(20240611);

    for (i = 0; i < 20000; i++) {
        memcpy(copy, buf, len);
        n = 2 + (int) (random() % 7);

        for (k = 0; k < n; k++) {
            bit = (size_t) random() % (len * 8);
            copy[bit / 8] ^= (uint8_t) (1 << (bit % 8));
        }

        if (memcmp(copy, buf, len) == 0) {
            continue;
        }

        assert_int_not_equal(omni_profile_decode(copy, len, &q), OMNI_OK);
    }

    /* the large record too, one bit per byte */
    full_profile(&p);
    assert_int_equal(omni_profile_encode(&p, buf, sizeof(buf), &len),
                     OMNI_OK);

    for (bit = 0; bit < len * 8; bit += 7) {
        memcpy(copy, buf, len);
        copy[bit / 8] ^= (uint8_t) (1 << (bit % 8));
        assert_int_not_equal(omni_profile_decode(copy, len, &q), OMNI_OK);
    }
}


static void
test_version(void **state)
{
    size_t          len;
    uint8_t         buf[512];
    omni_profile_t  p, q;

    (void) state;

    small_profile(&p);
    assert_int_equal(omni_profile_encode(&p, buf, sizeof(buf), &len),
                     OMNI_OK);
    assert_int_equal(buf[0], OMNI_PROFILE_VERSION);

    buf[0] = OMNI_PROFILE_VERSION + 1;
    test_reseal(buf, len);
    assert_int_equal(omni_profile_decode(buf, len, &q), OMNI_EVERSION);

    buf[0] = 0;
    test_reseal(buf, len);
    assert_int_equal(omni_profile_decode(buf, len, &q), OMNI_EVERSION);
}


/*
 * Hand-made records with a valid frame and a body that breaks one rule:
 * what an encoder with a bug, or a foreign writer, could store.
 */

typedef struct {
    omni_str_t   customer_id;
    omni_str_t   first_name;
    uint64_t     consent;
    uint64_t     ntags;            /* the count written */
    size_t       tags_written;
    omni_str_t   tag;
    uint64_t     nattrs;
    size_t       attrs_written;
    omni_str_t   key;
    omni_str_t   value;
    int          raw_len;          /* a string length past the end */
} craft_t;


static size_t
craft(uint8_t *buf, size_t size, const craft_t *c)
{
    size_t         i, len;
    omni_writer_t  w;

    omni_frame_begin(&w, buf, size, OMNI_PROFILE_VERSION);

    omni_write_str(&w, c->customer_id);
    omni_write_str(&w, c->first_name);

    if (c->raw_len) {
        /* a locale that claims 200 bytes, and 3 of them */
        omni_write_uint(&w, 200);
        omni_write_u8(&w, 'a');
        omni_write_u8(&w, 'b');
        omni_write_u8(&w, 'c');

    } else {
        omni_write_str(&w, str("en"));
    }

    omni_write_str(&w, str("gold"));
    omni_write_int(&w, 5);
    omni_write_uint(&w, c->consent);
    omni_write_int(&w, 0);

    omni_write_uint(&w, c->ntags);

    for (i = 0; i < c->tags_written; i++) {
        omni_write_str(&w, c->tag);
    }

    omni_write_uint(&w, c->nattrs);

    for (i = 0; i < c->attrs_written; i++) {
        omni_write_str(&w, c->key);
        omni_write_str(&w, c->value);
    }

    assert_int_equal(omni_frame_end(&w, buf, &len), OMNI_OK);

    return len;
}


static void
craft_defaults(craft_t *c)
{
    memset(c, 0, sizeof(craft_t));

    c->customer_id = str("C9");
    c->first_name = str("Bo");
    c->ntags = 1;
    c->tags_written = 1;
    c->tag = str("vip");
    c->nattrs = 1;
    c->attrs_written = 1;
    c->key = str("city");
    c->value = str("Rome");
}


static void
assert_crafted(const craft_t *c, int expect)
{
    size_t          len;
    uint8_t        *buf;
    omni_profile_t  q;

    buf = malloc(65536);
    assert_non_null(buf);

    len = craft(buf, 65536, c);
    assert_int_equal(omni_profile_decode(buf, len, &q), expect);

    free(buf);
}


static void
test_crafted_limits(void **state)
{
    craft_t  c;

    (void) state;

    craft_defaults(&c);
    assert_crafted(&c, OMNI_OK);

    /* counts over the limits, with that many entries present */
    craft_defaults(&c);
    c.ntags = c.tags_written = OMNI_PROFILE_MAX_TAGS + 1;
    c.tag = str("t");
    assert_crafted(&c, OMNI_EINVAL);

    craft_defaults(&c);
    c.ntags = c.tags_written = OMNI_PROFILE_MAX_TAGS;
    assert_crafted(&c, OMNI_OK);

    craft_defaults(&c);
    c.nattrs = c.attrs_written = OMNI_PROFILE_MAX_ATTRS + 1;
    assert_crafted(&c, OMNI_EINVAL);

    /* a count far past the record: rejected before any reading */
    craft_defaults(&c);
    c.ntags = (uint64_t) 1 << 40;
    c.tags_written = 0;
    assert_crafted(&c, OMNI_EINVAL);

    craft_defaults(&c);
    c.nattrs = UINT64_MAX;
    c.attrs_written = 0;
    assert_crafted(&c, OMNI_EINVAL);

    /* fewer entries than the count says */
    craft_defaults(&c);
    c.ntags = 3;
    c.tags_written = 2;
    assert_crafted(&c, OMNI_EINVAL);

    /* strings over their limits */
    craft_defaults(&c);
    c.first_name = strn(long_short, OMNI_SHORT_MAX + 1);
    assert_crafted(&c, OMNI_EINVAL);

    craft_defaults(&c);
    c.first_name = strn(long_short, OMNI_SHORT_MAX);
    assert_crafted(&c, OMNI_OK);

    craft_defaults(&c);
    c.customer_id = strn(long_key, OMNI_KEY_MAX + 1);
    assert_crafted(&c, OMNI_EINVAL);

    craft_defaults(&c);
    c.tag = strn(tag_text[0], OMNI_PROFILE_TAG_MAX + 1);
    assert_crafted(&c, OMNI_EINVAL);

    craft_defaults(&c);
    c.key = strn(attr_key[0], OMNI_PROFILE_ATTR_KEY_MAX + 1);
    assert_crafted(&c, OMNI_EINVAL);

    craft_defaults(&c);
    c.value = strn(long_short, OMNI_SHORT_MAX + 1);
    assert_crafted(&c, OMNI_EINVAL);

    /* a string length past the end of the record */
    craft_defaults(&c);
    c.raw_len = 1;
    assert_crafted(&c, OMNI_EINVAL);

    /* the rules on content */
    craft_defaults(&c);
    c.customer_id = str("");
    assert_crafted(&c, OMNI_EINVAL);

    craft_defaults(&c);
    c.first_name = str("A\r\nSet-Cookie: x=1");
    assert_crafted(&c, OMNI_EINVAL);

    craft_defaults(&c);
    c.first_name = str("del\x7f");
    assert_crafted(&c, OMNI_EINVAL);

    craft_defaults(&c);
    c.tag = str("a,b");
    assert_crafted(&c, OMNI_EINVAL);

    craft_defaults(&c);
    c.tag = str("");
    assert_crafted(&c, OMNI_EINVAL);

    craft_defaults(&c);
    c.key = str("my-key");
    assert_crafted(&c, OMNI_EINVAL);

    craft_defaults(&c);
    c.key = str("");
    assert_crafted(&c, OMNI_EINVAL);

    craft_defaults(&c);
    c.value = strn("a\0b", 3);
    assert_crafted(&c, OMNI_EINVAL);

    /* the same key twice (found by fuzz_profile_decode) */
    craft_defaults(&c);
    c.nattrs = c.attrs_written = 2;
    assert_crafted(&c, OMNI_EINVAL);

    craft_defaults(&c);
    c.consent = (uint64_t) UINT32_MAX + 1;
    assert_crafted(&c, OMNI_EINVAL);

    craft_defaults(&c);
    c.consent = UINT32_MAX;
    assert_crafted(&c, OMNI_OK);
}


static void
test_size_limits(void **state)
{
    size_t          len, need, size;
    uint8_t        *buf;
    omni_profile_t  p, q;

    (void) state;

    buf = malloc(OMNI_PROFILE_RECORD_MAX + 64);
    assert_non_null(buf);

    /* a record over the maximum is not even checksummed */
    memset(buf, 0, OMNI_PROFILE_RECORD_MAX + 64);
    buf[0] = OMNI_PROFILE_VERSION;
    assert_int_equal(omni_profile_decode(buf, OMNI_PROFILE_RECORD_MAX + 1,
                                         &q), OMNI_ETOOBIG);

    /* every buffer too small fails, the exact size works */
    small_profile(&p);
    assert_int_equal(omni_profile_encode(&p, buf, OMNI_PROFILE_RECORD_MAX,
                                         &need), OMNI_OK);

    for (size = 0; size < need; size++) {
        assert_int_equal(omni_profile_encode(&p, buf, size, &len),
                         OMNI_ETOOBIG);
    }

    assert_int_equal(omni_profile_encode(&p, buf, need, &len), OMNI_OK);
    assert_int_equal(len, need);
    assert_int_equal(omni_profile_decode(buf, len, &q), OMNI_OK);

    /* fields over their limits */
    small_profile(&p);
    p.first_name = strn(long_short, OMNI_SHORT_MAX + 1);
    assert_int_equal(omni_profile_encode(&p, buf, OMNI_PROFILE_RECORD_MAX,
                                         &len), OMNI_ETOOBIG);

    small_profile(&p);
    p.customer_id = strn(long_key, OMNI_KEY_MAX + 1);
    assert_int_equal(omni_profile_encode(&p, buf, OMNI_PROFILE_RECORD_MAX,
                                         &len), OMNI_ETOOBIG);

    small_profile(&p);
    p.ntags = OMNI_PROFILE_MAX_TAGS + 1;
    assert_int_equal(omni_profile_encode(&p, buf, OMNI_PROFILE_RECORD_MAX,
                                         &len), OMNI_ETOOBIG);

    small_profile(&p);
    p.nattrs = OMNI_PROFILE_MAX_ATTRS + 1;
    assert_int_equal(omni_profile_encode(&p, buf, OMNI_PROFILE_RECORD_MAX,
                                         &len), OMNI_ETOOBIG);

    small_profile(&p);
    p.tags[0] = strn(tag_text[0], OMNI_PROFILE_TAG_MAX + 1);
    assert_int_equal(omni_profile_encode(&p, buf, OMNI_PROFILE_RECORD_MAX,
                                         &len), OMNI_ETOOBIG);

    small_profile(&p);
    p.attrs[0].value = strn(long_short, OMNI_SHORT_MAX + 1);
    assert_int_equal(omni_profile_encode(&p, buf, OMNI_PROFILE_RECORD_MAX,
                                         &len), OMNI_ETOOBIG);

    /* the full profile fits the maximum record */
    full_profile(&p);
    assert_int_equal(omni_profile_encode(&p, buf, OMNI_PROFILE_RECORD_MAX + 64,
                                         &len), OMNI_OK);
    assert_true(len <= OMNI_PROFILE_RECORD_MAX);

    free(buf);
}


static void
test_encode_rules(void **state)
{
    size_t          len;
    uint8_t         buf[1024];
    omni_profile_t  p;

    (void) state;

    small_profile(&p);
    p.customer_id = str("");
    assert_int_equal(omni_profile_encode(&p, buf, sizeof(buf), &len),
                     OMNI_EINVAL);

    small_profile(&p);
    p.first_name = str("Ann\n");
    assert_int_equal(omni_profile_encode(&p, buf, sizeof(buf), &len),
                     OMNI_EINVAL);

    small_profile(&p);
    p.tags[1] = str("a,b");
    assert_int_equal(omni_profile_encode(&p, buf, sizeof(buf), &len),
                     OMNI_EINVAL);

    small_profile(&p);
    p.attrs[0].key = str("a b");
    assert_int_equal(omni_profile_encode(&p, buf, sizeof(buf), &len),
                     OMNI_EINVAL);

    small_profile(&p);
    p.attrs[1].key = str("city");
    p.attrs[1].value = str("Bergen");
    p.nattrs = 2;
    assert_int_equal(omni_profile_encode(&p, buf, sizeof(buf), &len),
                     OMNI_EINVAL);

    p.attrs[1].key = str("City");
    assert_int_equal(omni_profile_encode(&p, buf, sizeof(buf), &len),
                     OMNI_OK);
}


static void
test_lookups(void **state)
{
    size_t          len;
    uint8_t         buf[1024];
    omni_str_t      v;
    omni_profile_t  p, q;

    (void) state;

    small_profile(&p);
    assert_int_equal(omni_profile_encode(&p, buf, sizeof(buf), &len),
                     OMNI_OK);
    assert_int_equal(omni_profile_decode(buf, len, &q), OMNI_OK);

    assert_true(omni_profile_has_tag(&q, "vip", 3));
    assert_true(omni_profile_has_tag(&q, "newsletter", 10));
    assert_false(omni_profile_has_tag(&q, "vi", 2));
    assert_false(omni_profile_has_tag(&q, "VIP", 3));
    assert_false(omni_profile_has_tag(&q, "", 0));

    v = omni_profile_attr(&q, "city", 4);
    assert_int_equal(v.len, 4);
    assert_memory_equal(v.data, "Oslo", 4);

    v = omni_profile_attr(&q, "cit", 3);
    assert_null(v.data);
    assert_int_equal(v.len, 0);

    assert_string_equal(omni_consent_name(OMNI_CONSENT_EMAIL), "email");
    assert_string_equal(omni_consent_name(OMNI_CONSENT_ANALYTICS),
                        "analytics");
    assert_null(omni_consent_name(0x20));
    assert_null(omni_consent_name(OMNI_CONSENT_EMAIL | OMNI_CONSENT_SMS));
    assert_int_equal(omni_consent_by_name("sms", 3), OMNI_CONSENT_SMS);
    assert_int_equal(omni_consent_by_name("ads", 3), OMNI_CONSENT_ADS);
    assert_int_equal(omni_consent_by_name("ad", 2), 0);

    assert_true(omni_profile_attr_key_ok("a_Z9", 4));
    assert_false(omni_profile_attr_key_ok("a.b", 3));
    assert_true(omni_profile_tag_ok("black friday", 12));
    assert_false(omni_profile_tag_ok("a\tb", 3));
}


/* CRC-32C: the standard check value, and the instruction and the
 * portable code agree on every length and alignment */
static void
test_checksum(void **state)
{
    size_t   len, off;
    uint8_t  buf[512];

    (void) state;

    assert_int_equal(omni_crc32c("123456789", 9), 0xe3069283);
    assert_int_equal(omni_crc32c_portable("123456789", 9), 0xe3069283);
    assert_int_equal(omni_crc32c("", 0), 0);

    srandom(99);

    for (len = 0; len < sizeof(buf); len++) {
        buf[len] = (uint8_t) random();
    }

    for (off = 0; off < 8; off++) {
        for (len = 0; len + off <= 300; len++) {
            assert_int_equal(omni_crc32c(buf + off, len),
                             omni_crc32c_portable(buf + off, len));
        }
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_trailing_garbage),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_crafted_limits),
        cmocka_unit_test(test_size_limits),
        cmocka_unit_test(test_encode_rules),
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_checksum),
    };

    return cmocka_run_group_tests_name("profile", tests, setup_text, NULL);
}
