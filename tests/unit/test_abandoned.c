/*
 * Abandoned carts: the filter of "omnictl abandoned" and its JSON line.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include <omni/abandoned.h>


#define T0  1700000000


static omni_str_t
str(const char *s)
{
    omni_str_t  r;

    r.data = s;
    r.len = strlen(s);

    return r;
}


static void
cart(omni_activity_t *a)
{
    omni_activity_init(a);

    a->visits = 1;
    a->first_seen = T0 - 100;
    a->last_seen = T0;
    a->cart_updated = T0 - 10;
    a->ncart = 2;
    a->cart[0].item = str("SKU-7");
    a->cart[0].qty = 1;
    a->cart[0].price = 11990;
    a->cart[1].item = str("SKU-9");
    a->cart[1].qty = 2;
    a->cart[1].price = 1990;
    a->cart_value = 15970;

    a->first_touch.channel = OMNI_CHANNEL_EMAIL;
    a->first_touch.source = str("newsletter");
    a->first_touch.medium = str("email");
    a->first_touch.campaign = str("spring \xff sale");
    a->first_touch.at = T0 - 100;
    a->last_touch = a->first_touch;
    a->last_touch.channel = OMNI_CHANNEL_SEARCH;
    a->last_touch.source = str("google");
}


static void
test_match(void **state)
{
    omni_activity_t          a;
    omni_abandoned_filter_t  f;

    (void) state;

    cart(&a);

    memset(&f, 0, sizeof(f));
    f.abandon_after = 1800;

    f.now = T0 + 1799;
    assert_false(omni_abandoned_match(&a, &f));
    f.now = T0 + 1800;
    assert_true(omni_abandoned_match(&a, &f));

    /* last seen within --since */
    f.since = 1800;
    assert_true(omni_abandoned_match(&a, &f));
    f.since = 1799;
    assert_false(omni_abandoned_match(&a, &f));
    f.since = 0;

    /* --min-value, inclusive */
    f.min_value = 15970;
    assert_true(omni_abandoned_match(&a, &f));
    f.min_value = 15971;
    assert_false(omni_abandoned_match(&a, &f));
    f.min_value = 0;

    /* found abandoned by nginx and back since: still abandoned */
    f.now = T0 + 10;
    assert_false(omni_abandoned_match(&a, &f));
    a.abandoned_at = T0 - 5;
    assert_true(omni_abandoned_match(&a, &f));

    /* until a purchase */
    a.last_purchase = T0 + 5;
    assert_false(omni_abandoned_match(&a, &f));
    a.last_purchase = 0;

    /* an emptied cart (the merge zeroes its value with its lines) */
    a.ncart = 0;
    a.cart_value = 0;
    assert_false(omni_abandoned_match(&a, &f));
}


static void
test_json(void **state)
{
    char             *line;
    size_t            len;
    json_t           *j, *c;
    omni_id_t         id;
    json_error_t      err;
    omni_activity_t   a;

    (void) state;

    memset(&id, 0x3c, sizeof(id));
    cart(&a);

    line = omni_abandoned_to_json(&id, &a, 1800, &len);
    assert_non_null(line);
    assert_int_equal(strlen(line), len);
    assert_null(strchr(line, '\n'));

    j = json_loads(line, 0, &err);
    assert_non_null(j);

    assert_int_equal(strlen(json_string_value(json_object_get(j, "visitor"))),
                     OMNI_ID_TEXT_LEN);
    assert_true(json_is_null(json_object_get(j, "customer_id")));
    assert_int_equal(json_integer_value(json_object_get(j, "cart_value")),
                     15970);
    assert_int_equal(json_integer_value(json_object_get(j, "last_seen")),
                     T0);
    assert_int_equal(json_integer_value(json_object_get(j, "abandoned_at")),
                     T0 + 1800);

    c = json_array_get(json_object_get(j, "cart"), 1);
    assert_string_equal(json_string_value(json_object_get(c, "item")),
                        "SKU-9");
    assert_int_equal(json_integer_value(json_object_get(c, "qty")), 2);
    assert_int_equal(json_integer_value(json_object_get(c, "price")), 1990);

    c = json_object_get(j, "first_channel");
    assert_string_equal(json_string_value(json_object_get(c, "channel")),
                        "email");
    /* a byte that is not UTF-8 does not break the line */
    assert_string_equal(json_string_value(json_object_get(c, "campaign")),
                        "spring \xef\xbf\xbd sale");
    c = json_object_get(j, "last_channel");
    assert_string_equal(json_string_value(json_object_get(c, "channel")),
                        "search");

    json_decref(j);
    free(line);

    /* linked; no touch recorded; abandoned_at from the record */
    a.customer_id = str("C1");
    a.first_touch.channel = OMNI_CHANNEL_NONE;
    a.abandoned_at = T0 + 42;

    line = omni_abandoned_to_json(&id, &a, 1800, &len);
    assert_non_null(line);
    j = json_loads(line, 0, &err);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "customer_id")),
                        "C1");
    assert_true(json_is_null(json_object_get(j, "first_channel")));
    assert_int_equal(json_integer_value(json_object_get(j, "abandoned_at")),
                     T0 + 42);
    json_decref(j);
    free(line);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_json),
    };

    return cmocka_run_group_tests_name("abandoned", tests, NULL, NULL);
}
