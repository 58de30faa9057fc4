/*
 * Events: the X-Omni-Event grammar, money, X-Omni-Customer, the beacon.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <omni/event.h>


#define S(s)  s, sizeof(s) - 1


static int
parse(const char *s, omni_event_t *ev, const char **why)
{
    return omni_event_parse_header(s, strlen(s), ev, why);
}


static void
assert_str(omni_str_t s, const char *lit)
{
    assert_int_equal(s.len, strlen(lit));
    assert_memory_equal(s.data, lit, s.len);
}


/* money */

static void
test_money_ok(void **state)
{
    static const struct {
        const char  *in;
        int64_t      cents;
    } cases[] = {
        { "119.90", 11990 }, { "119", 11900 }, { "0.5", 50 },
        { "0", 0 }, { "0.01", 1 }, { "007.50", 750 }, { "1.9", 190 },
        { "10000000000", INT64_C(1000000000000) },
        { "9999999999.99", INT64_C(999999999999) },
    };
    size_t   i;
    int64_t  c;

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        c = -1;
        assert_int_equal(omni_money_parse(cases[i].in, strlen(cases[i].in),
                                          &c), OMNI_OK);
        assert_true(c == cases[i].cents);
    }
}


static void
test_money_bad(void **state)
{
    static const char  *bad[] = {
        "", "-1", "+1", ".5", "5.", "1.234", "1,5", "1e3", "abc", "1.2.3",
        " 1", "1 ", "0x10", "10000000000.01", "10000000001",
        "99999999999999999999999999", "1..5", "١٢", "NaN", "inf",
    };
    size_t   i;
    int64_t  c;

    (void) state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        c = 77;
        assert_int_equal(omni_money_parse(bad[i], strlen(bad[i]), &c),
                         OMNI_EINVAL);
        assert_true(c == 77);
    }
}


/* the header grammar */

static void
test_header_cart(void **state)
{
    omni_event_t  ev;

    (void) state;

    assert_int_equal(parse("cart; item=SKU-7; qty=1; price=119.90", &ev,
                           NULL), OMNI_OK);
    assert_int_equal(ev.type, OMNI_EVENT_CART);
    assert_str(ev.item, "SKU-7");
    assert_int_equal(ev.qty, 1);
    assert_true(ev.price == 11990);
    assert_int_equal(ev.flags, OMNI_EVENT_HAS_QTY | OMNI_EVENT_HAS_PRICE);
    assert_true(ev.at == 0);

    /* qty defaults to 1 and is not flagged */
    assert_int_equal(parse("cart;item=A", &ev, NULL), OMNI_OK);
    assert_int_equal(ev.qty, 1);
    assert_int_equal(ev.flags, 0);

    assert_int_equal(parse("cart; item=A; qty=0", &ev, NULL), OMNI_OK);
    assert_int_equal(ev.qty, 0);
    assert_int_equal(parse("cart; item=A; qty=9999", &ev, NULL), OMNI_OK);
    assert_int_equal(ev.qty, 9999);
}


static void
test_header_purchase(void **state)
{
    omni_event_t  ev;

    (void) state;

    assert_int_equal(parse("purchase; order=O-1; value=119.90; "
                           "items=SKU-7,SKU-9", &ev, NULL), OMNI_OK);
    assert_int_equal(ev.type, OMNI_EVENT_PURCHASE);
    assert_str(ev.order, "O-1");
    assert_true(ev.value == 11990);
    assert_int_equal(ev.nitems, 2);
    assert_str(ev.items[0], "SKU-7");
    assert_str(ev.items[1], "SKU-9");
    assert_true(ev.flags & OMNI_EVENT_HAS_ITEMS);
    assert_true(ev.flags & OMNI_EVENT_HAS_VALUE);

    /* spaces around list elements, currency */
    assert_int_equal(parse("purchase;items= A , B ,C;currency=eur", &ev,
                           NULL), OMNI_OK);
    assert_int_equal(ev.nitems, 3);
    assert_str(ev.items[0], "A");
    assert_str(ev.items[1], "B");
    assert_str(ev.items[2], "C");
    assert_str(ev.currency, "eur");

    /* nothing is required of a purchase */
    assert_int_equal(parse("purchase", &ev, NULL), OMNI_OK);
    assert_int_equal(ev.nitems, 0);
    assert_int_equal(ev.flags, 0);
}


static void
test_header_items_truncated(void **state)
{
    char          buf[1024], *p;
    size_t        i;
    omni_event_t  ev;

    (void) state;

    p = buf + sprintf(buf, "purchase; items=");

    for (i = 0; i < 30; i++) {
        p += sprintf(p, "%sI%zu", i ? "," : "", i);
    }

    assert_int_equal(parse(buf, &ev, NULL), OMNI_OK);
    assert_int_equal(ev.nitems, OMNI_EVENT_MAX_ITEMS);
    assert_str(ev.items[0], "I0");
    assert_str(ev.items[19], "I19");
    assert_true(ev.flags & OMNI_EVENT_ITEMS_TRUNCATED);

    /* a bad id past the kept ones still fails the event */
    strcpy(p, ",bad id");
    assert_int_equal(parse(buf, &ev, NULL), OMNI_EINVAL);
}


static void
test_header_spaces_case(void **state)
{
    omni_event_t  ev;

    (void) state;

    assert_int_equal(parse("  \tVIEW \t ;\tITEM = SKU-7 \t; ", &ev, NULL),
                     OMNI_OK);
    assert_int_equal(ev.type, OMNI_EVENT_VIEW);
    assert_str(ev.item, "SKU-7");

    assert_int_equal(parse("Remove; Item=X; Qty=2", &ev, NULL), OMNI_OK);
    assert_int_equal(ev.type, OMNI_EVENT_REMOVE);
    assert_int_equal(ev.qty, 2);

    assert_int_equal(parse("clear", &ev, NULL), OMNI_OK);
    assert_int_equal(ev.type, OMNI_EVENT_CLEAR);
    assert_int_equal(parse("clear;", &ev, NULL), OMNI_OK);
}


static void
test_header_unknown_keys(void **state)
{
    omni_event_t  ev;

    (void) state;

    /* skipped, whatever their value */
    assert_int_equal(parse("view; item=A; brand=Acme Inc; color=\"red\"; "
                           "x-y_z=caf\xc3\xa9", &ev, NULL), OMNI_OK);
    assert_str(ev.item, "A");

    /* an unknown key may repeat, a known one may not */
    assert_int_equal(parse("view; item=A; k=1; k=2", &ev, NULL), OMNI_OK);
}


static void
test_header_errors(void **state)
{
    static const struct {
        const char  *in;
        const char  *why;
    } cases[] = {
        { "", "missing event type" },
        { "   ", "missing event type" },
        { "; item=A", "missing event type" },
        { "bogus; item=A", "unknown event type" },
        { "pageview", "unknown event type" },
        { "link; customer=C1", "unknown event type" },
        { "impression", "unknown event type" },
        { "view", "missing item" },
        { "cart; qty=1", "missing item" },
        { "remove", "missing item" },
        { "view item=A", "expected \";\"" },
        { "view; item=A item=B", "bad item id" },
        { "view; =A", "missing parameter name" },
        { "view; item", "expected \"=\"" },
        { "view; item A", "expected \"=\"" },
        { "view; item=", "empty parameter value" },
        { "view; item=  ; qty=1", "empty parameter value" },
        { "view;; item=A", "missing parameter name" },
        { "view; item=A; item=B", "duplicate parameter" },
        { "view; item=A; ITEM=A", "duplicate parameter" },
        { "view; item=a\"b", "bad item id" },
        { "view; item=a,b", "bad item id" },
        { "view; item=a<b", "bad item id" },
        { "view; item=caf\xc3\xa9", "bad item id" },
        { "view; item=A\x01", "control character" },
        { "view; item=A; x=\x7f", "control character" },
        { "cart; item=A; qty=-1", "bad qty" },
        { "cart; item=A; qty=10000", "bad qty" },
        { "cart; item=A; qty=1.5", "bad qty" },
        { "cart; item=A; qty=1234567890", "bad qty" },
        { "cart; item=A; price=-1", "bad price" },
        { "cart; item=A; price=1.999", "bad price" },
        { "cart; item=A; price=12abc", "bad price" },
        { "purchase; value=99999999999", "bad value" },
        { "purchase; order=a b", "bad order id" },
        { "purchase; currency=EURO", "bad currency" },
        { "purchase; currency=E1R", "bad currency" },
        { "purchase; items=A,,B", "bad items list" },
        { "purchase; items=A,", "bad items list" },
        { "purchase; items=,A", "bad items list" },
        { "purchase; items=A; items=B", "duplicate parameter" },
        { "purchase; qty=1; qty=1", "duplicate parameter" },
        { "purchase; price=1; price=1", "duplicate parameter" },
        { "purchase; value=1; value=1", "duplicate parameter" },
        { "purchase; order=1; order=1", "duplicate parameter" },
        { "purchase; currency=usd; currency=usd", "duplicate parameter" },
        { "view; item=A, cart; item=B", "bad item id" },
    };
    size_t        i;
    const char   *why;
    omni_event_t  ev;

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        why = NULL;

        if (parse(cases[i].in, &ev, &why) != OMNI_EINVAL) {
            fail_msg("accepted: %s", cases[i].in);
        }

        assert_non_null(why);

        if (strcmp(why, cases[i].why) != 0) {
            fail_msg("%s: \"%s\", expected \"%s\"", cases[i].in, why,
                     cases[i].why);
        }

        assert_int_equal(ev.type, OMNI_EVENT_NONE);
    }

    /* reason may be NULL */
    assert_int_equal(parse("bogus", &ev, NULL), OMNI_EINVAL);
    assert_int_equal(omni_event_parse_header(NULL, 0, &ev, NULL),
                     OMNI_EINVAL);
}


static void
test_header_bounds(void **state)
{
    char          buf[OMNI_EVENT_HEADER_MAX + 2];
    const char   *why;
    omni_event_t  ev;

    (void) state;

    /* an id of exactly OMNI_KEY_MAX, then one more */
    memcpy(buf, "view; item=", 11);
    memset(buf + 11, 'x', OMNI_KEY_MAX);
    buf[11 + OMNI_KEY_MAX] = '\0';
    assert_int_equal(parse(buf, &ev, NULL), OMNI_OK);
    assert_int_equal(ev.item.len, OMNI_KEY_MAX);

    buf[11 + OMNI_KEY_MAX] = 'x';
    buf[12 + OMNI_KEY_MAX] = '\0';
    assert_int_equal(parse(buf, &ev, NULL), OMNI_EINVAL);

    /* the whole value: OMNI_EVENT_HEADER_MAX passes the size check */
    memset(buf, ' ', sizeof(buf));
    memcpy(buf, "clear", 5);
    assert_int_equal(omni_event_parse_header(buf, OMNI_EVENT_HEADER_MAX,
                                             &ev, NULL), OMNI_OK);
    why = NULL;
    assert_int_equal(omni_event_parse_header(buf, OMNI_EVENT_HEADER_MAX + 1,
                                             &ev, &why), OMNI_ETOOBIG);
    assert_string_equal(why, "event too long");
}


static void
test_header_reads_only_len(void **state)
{
    omni_event_t  ev;

    (void) state;

    /* the bytes after len are not part of the value */
    assert_int_equal(omni_event_parse_header(S("view; item=AB"), &ev, NULL),
                     OMNI_OK);
    assert_int_equal(omni_event_parse_header("view; item=ABC", 12, &ev,
                                             NULL), OMNI_OK);
    assert_str(ev.item, "A");
}


static void
test_type_names(void **state)
{
    unsigned  t;

    (void) state;

    for (t = 1; t < OMNI_EVENT_MAX; t++) {
        const char  *name = omni_event_type_name((omni_event_type_e) t);

        assert_int_equal(omni_event_type_by_name(name, strlen(name)), t);
    }

    assert_string_equal(omni_event_type_name(OMNI_EVENT_MAX), "none");
    assert_int_equal(omni_event_type_by_name(S("none")), OMNI_EVENT_NONE);
    assert_int_equal(omni_event_type_by_name(S("vie")), OMNI_EVENT_NONE);
    assert_int_equal(omni_event_type_by_name(S("views")), OMNI_EVENT_NONE);
}


/* X-Omni-Customer */

static void
test_customer(void **state)
{
    char        buf[OMNI_KEY_MAX + 2];
    omni_str_t  id;

    (void) state;

    assert_int_equal(omni_event_parse_customer(S("C1"), &id), OMNI_OK);
    assert_str(id, "C1");
    assert_int_equal(omni_event_parse_customer(S("  cust-42@shop \t"), &id),
                     OMNI_OK);
    assert_str(id, "cust-42@shop");

    assert_int_equal(omni_event_parse_customer(S(""), &id), OMNI_EINVAL);
    assert_int_equal(omni_event_parse_customer(S("   "), &id), OMNI_EINVAL);
    assert_int_equal(omni_event_parse_customer(S("a b"), &id), OMNI_EINVAL);
    assert_int_equal(omni_event_parse_customer(S("a;b"), &id), OMNI_EINVAL);
    assert_int_equal(omni_event_parse_customer(S("<x>"), &id), OMNI_EINVAL);
    assert_int_equal(omni_event_parse_customer(S("a\nb"), &id), OMNI_EINVAL);
    assert_int_equal(omni_event_parse_customer(NULL, 0, &id), OMNI_EINVAL);

    memset(buf, 'c', sizeof(buf));
    assert_int_equal(omni_event_parse_customer(buf, OMNI_KEY_MAX, &id),
                     OMNI_OK);
    assert_int_equal(omni_event_parse_customer(buf, OMNI_KEY_MAX + 1, &id),
                     OMNI_EINVAL);
}


/* the beacon */

static int
beacon(omni_beacon_t *b, const char *json)
{
    return omni_beacon_parse(b, json, strlen(json), 1700000000);
}


static void
assert_safe_error(const char *e)
{
    assert_true(strlen(e) > 0);

    for ( /* void */ ; *e; e++) {
        assert_true(*e >= 0x20 && *e < 0x7f);
        assert_true(strchr("\"\\<>&", *e) == NULL);
    }
}


static void
test_beacon_one(void **state)
{
    omni_beacon_t  b;

    (void) state;

    assert_int_equal(beacon(&b, "{\"type\":\"cart\",\"item\":\"SKU-7\","
                                "\"qty\":2,\"price\":119.90,\"x\":[1]}"),
                     OMNI_OK);
    assert_int_equal(b.nevents, 1);
    assert_int_equal(b.events[0].type, OMNI_EVENT_CART);
    assert_str(b.events[0].item, "SKU-7");
    assert_int_equal(b.events[0].qty, 2);
    assert_true(b.events[0].price == 11990);
    assert_true(b.events[0].at == 1700000000);
    assert_int_equal(b.events[0].flags,
                     OMNI_EVENT_HAS_QTY | OMNI_EVENT_HAS_PRICE);
    omni_beacon_free(&b);
    assert_null(b.json);
    omni_beacon_free(&b);
}


static void
test_beacon_array(void **state)
{
    omni_beacon_t  b;

    (void) state;

    assert_int_equal(beacon(&b,
        "[{\"type\":\"pageview\"},{\"type\":\"view\",\"item\":\"A\"},"
        "{\"type\":\"purchase\",\"order\":\"O-1\",\"value\":\"119.90\","
        "\"currency\":\"EUR\",\"items\":[\"A\",\"B\"]},"
        "{\"type\":\"remove\",\"item\":\"A\"},{\"type\":\"clear\"},"
        "{\"type\":\"purchase\",\"value\":120}]"), OMNI_OK);
    assert_int_equal(b.nevents, 6);
    assert_int_equal(b.events[0].type, OMNI_EVENT_PAGEVIEW);
    assert_int_equal(b.events[1].type, OMNI_EVENT_VIEW);
    assert_int_equal(b.events[2].type, OMNI_EVENT_PURCHASE);
    assert_str(b.events[2].order, "O-1");
    assert_true(b.events[2].value == 11990);
    assert_str(b.events[2].currency, "EUR");
    assert_int_equal(b.events[2].nitems, 2);
    assert_str(b.events[2].items[1], "B");
    assert_int_equal(b.events[3].type, OMNI_EVENT_REMOVE);
    assert_int_equal(b.events[4].type, OMNI_EVENT_CLEAR);
    assert_true(b.events[5].value == 12000);
    omni_beacon_free(&b);
}


static void
test_beacon_money(void **state)
{
    static const struct {
        const char  *json;
        int          rc;
        int64_t      cents;
    } cases[] = {
        { "0.1", OMNI_OK, 10 }, { "0.29", OMNI_OK, 29 },
        { "1.005e2", OMNI_OK, 10050 }, { "19.99", OMNI_OK, 1999 },
        { "0", OMNI_OK, 0 }, { "\"0.5\"", OMNI_OK, 50 },
        { "10000000000", OMNI_OK, INT64_C(1000000000000) },
        { "10000000001", OMNI_EINVAL, 0 }, { "1e300", OMNI_EINVAL, 0 },
        { "-1", OMNI_EINVAL, 0 }, { "-0.5", OMNI_EINVAL, 0 },
        { "1.234", OMNI_EINVAL, 0 }, { "\"1.234\"", OMNI_EINVAL, 0 },
        { "\"-1\"", OMNI_EINVAL, 0 }, { "true", OMNI_EINVAL, 0 },
        { "null", OMNI_EINVAL, 0 }, { "[1]", OMNI_EINVAL, 0 },
    };
    char           json[128];
    size_t         i;
    omni_beacon_t  b;

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(json, sizeof(json), "{\"type\":\"purchase\",\"value\":%s}",
                 cases[i].json);

        if (beacon(&b, json) != cases[i].rc) {
            fail_msg("%s: %s", json, b.error);
        }

        if (cases[i].rc == OMNI_OK) {
            assert_true(b.events[0].value == cases[i].cents);

        } else {
            assert_string_equal(b.error, "event 1: invalid value");
        }

        omni_beacon_free(&b);
    }
}


static void
test_beacon_errors(void **state)
{
    static const struct {
        const char  *json;
        int          rc;
        const char  *error;
    } cases[] = {
        { "", OMNI_EINVAL, "empty body" },
        { "{", OMNI_EINVAL, "invalid JSON at line 1, column 1" },
        { "{\"type\":\"view\",\"item\":\"<script>alert(1)</script>\"",
          OMNI_EINVAL, NULL },
        { "\"view\"", OMNI_EINVAL, "expected an event object or an array" },
        { "42", OMNI_EINVAL, "expected an event object or an array" },
        { "[]", OMNI_EINVAL, "no events" },
        { "[1]", OMNI_EINVAL, "event 1: not an object" },
        { "[{\"type\":\"clear\"},[]]", OMNI_EINVAL, "event 2: not an object" },
        { "{}", OMNI_EINVAL, "event 1: type must be a string" },
        { "{\"type\":1}", OMNI_EINVAL, "event 1: type must be a string" },
        { "{\"type\":\"bogus\"}", OMNI_EINVAL,
          "event 1: unknown or refused type" },
        { "{\"type\":\"impression\",\"offer\":\"x\"}", OMNI_EINVAL,
          "event 1: unknown or refused type" },
        { "{\"type\":\"click\"}", OMNI_EINVAL,
          "event 1: unknown or refused type" },
        { "{\"type\":\"link\"}", OMNI_EINVAL,
          "event 1: unknown or refused type" },
        { "{\"type\":\"view\"}", OMNI_EINVAL, "event 1: missing item" },
        { "{\"type\":\"cart\",\"qty\":1}", OMNI_EINVAL,
          "event 1: missing item" },
        { "{\"type\":\"view\",\"item\":\"a b\"}", OMNI_EINVAL,
          "event 1: invalid item" },
        { "{\"type\":\"view\",\"item\":7}", OMNI_EINVAL,
          "event 1: invalid item" },
        { "{\"type\":\"view\",\"item\":\"\"}", OMNI_EINVAL,
          "event 1: invalid item" },
        { "{\"type\":\"cart\",\"item\":\"A\",\"qty\":-1}", OMNI_EINVAL,
          "event 1: invalid qty" },
        { "{\"type\":\"cart\",\"item\":\"A\",\"qty\":10000}", OMNI_EINVAL,
          "event 1: invalid qty" },
        { "{\"type\":\"cart\",\"item\":\"A\",\"qty\":1.5}", OMNI_EINVAL,
          "event 1: invalid qty" },
        { "{\"type\":\"cart\",\"item\":\"A\",\"qty\":\"1\"}", OMNI_EINVAL,
          "event 1: invalid qty" },
        { "{\"type\":\"cart\",\"item\":\"A\",\"price\":\"x\"}", OMNI_EINVAL,
          "event 1: invalid price" },
        { "{\"type\":\"purchase\",\"order\":\"a;b\"}", OMNI_EINVAL,
          "event 1: invalid order" },
        { "{\"type\":\"purchase\",\"currency\":\"EURO\"}", OMNI_EINVAL,
          "event 1: invalid currency" },
        { "{\"type\":\"purchase\",\"currency\":\"E1R\"}", OMNI_EINVAL,
          "event 1: invalid currency" },
        { "{\"type\":\"purchase\",\"items\":\"A,B\"}", OMNI_EINVAL,
          "event 1: invalid items" },
        { "{\"type\":\"purchase\",\"items\":[\"A\",1]}", OMNI_EINVAL,
          "event 1: invalid items" },
        { "{\"type\":\"view\",\"item\":\"A\",\"item\":\"B\"}", OMNI_EINVAL,
          NULL },
        { "[{\"type\":\"clear\"},{\"type\":\"view\"}]", OMNI_EINVAL,
          "event 2: missing item" },
    };
    size_t         i;
    omni_beacon_t  b;

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (beacon(&b, cases[i].json) != cases[i].rc) {
            fail_msg("accepted: %s", cases[i].json);
        }

        assert_safe_error(b.error);

        if (cases[i].error && strcmp(b.error, cases[i].error) != 0) {
            fail_msg("%s: \"%s\"", cases[i].json, b.error);
        }

        assert_int_equal(b.nevents, 0);
        omni_beacon_free(&b);
    }

    /* the input is never echoed */
    assert_int_equal(beacon(&b, "{\"type\":\"<script>\"}"), OMNI_EINVAL);
    assert_null(strstr(b.error, "script"));
    omni_beacon_free(&b);
    assert_int_equal(beacon(&b, "[\"secret-token-123\"]"), OMNI_EINVAL);
    assert_null(strstr(b.error, "secret"));
    omni_beacon_free(&b);

    assert_int_equal(omni_beacon_parse(&b, NULL, 0, 0), OMNI_EINVAL);
    omni_beacon_free(&b);
}


static void
test_beacon_bounds(void **state)
{
    char           *body, *p;
    size_t          i;
    omni_beacon_t   b;

    (void) state;

    body = test_malloc(OMNI_BEACON_MAX_BODY + 64);

    /* exactly the maximum number of events, then one more */
    p = body;
    *p++ = '[';

    for (i = 0; i < OMNI_BEACON_MAX_EVENTS; i++) {
        p += sprintf(p, "%s{\"type\":\"view\",\"item\":\"I%zu\"}",
                     i ? "," : "", i);
    }

    strcpy(p, "]");
    assert_int_equal(beacon(&b, body), OMNI_OK);
    assert_int_equal(b.nevents, OMNI_BEACON_MAX_EVENTS);
    assert_str(b.events[OMNI_BEACON_MAX_EVENTS - 1].item, "I31");
    omni_beacon_free(&b);

    strcpy(p, ",{\"type\":\"clear\"}]");
    assert_int_equal(beacon(&b, body), OMNI_ETOOBIG);
    assert_safe_error(b.error);
    omni_beacon_free(&b);

    /* the body size: exactly the maximum parses, one more byte does not */
    memset(body, ' ', OMNI_BEACON_MAX_BODY + 1);
    memcpy(body, "{\"type\":\"clear\"}", 16);
    assert_int_equal(omni_beacon_parse(&b, body, OMNI_BEACON_MAX_BODY, 1),
                     OMNI_OK);
    omni_beacon_free(&b);
    assert_int_equal(omni_beacon_parse(&b, body, OMNI_BEACON_MAX_BODY + 1, 1),
                     OMNI_ETOOBIG);
    assert_string_equal(b.error, "body over 16384 bytes");
    assert_null(b.json);
    omni_beacon_free(&b);

    /* items beyond OMNI_EVENT_MAX_ITEMS are dropped, and flagged */
    p = body + sprintf(body, "{\"type\":\"purchase\",\"items\":[");

    for (i = 0; i < 25; i++) {
        p += sprintf(p, "%s\"I%zu\"", i ? "," : "", i);
    }

    strcpy(p, "]}");
    assert_int_equal(beacon(&b, body), OMNI_OK);
    assert_int_equal(b.events[0].nitems, OMNI_EVENT_MAX_ITEMS);
    assert_true(b.events[0].flags & OMNI_EVENT_ITEMS_TRUNCATED);
    omni_beacon_free(&b);

    test_free(body);
}


static void
test_beacon_content_type(void **state)
{
    (void) state;

    assert_true(omni_beacon_content_type_ok(S("application/json")));
    assert_true(omni_beacon_content_type_ok(S("Application/JSON")));
    assert_true(omni_beacon_content_type_ok(S("text/plain;charset=UTF-8")));
    assert_true(omni_beacon_content_type_ok(S(" text/plain ; charset=utf-8")));
    assert_true(omni_beacon_content_type_ok(S("")));
    assert_true(omni_beacon_content_type_ok(NULL, 0));

    assert_false(omni_beacon_content_type_ok(
        S("application/x-www-form-urlencoded")));
    assert_false(omni_beacon_content_type_ok(S("multipart/form-data")));
    assert_false(omni_beacon_content_type_ok(S("application/jsonx")));
    assert_false(omni_beacon_content_type_ok(S("text/html")));
    assert_false(omni_beacon_content_type_ok(S("text/plai")));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_money_ok),
        cmocka_unit_test(test_money_bad),
        cmocka_unit_test(test_header_cart),
        cmocka_unit_test(test_header_purchase),
        cmocka_unit_test(test_header_items_truncated),
        cmocka_unit_test(test_header_spaces_case),
        cmocka_unit_test(test_header_unknown_keys),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_header_bounds),
        cmocka_unit_test(test_header_reads_only_len),
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_customer),
        cmocka_unit_test(test_beacon_one),
        cmocka_unit_test(test_beacon_array),
        cmocka_unit_test(test_beacon_money),
        cmocka_unit_test(test_beacon_errors),
        cmocka_unit_test(test_beacon_bounds),
        cmocka_unit_test(test_beacon_content_type),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
