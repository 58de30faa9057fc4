/*
 * Loading campaigns files: the example file, and one small file per kind
 * of error, checking the message and its line and column.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <omni/campaigns.h>
#include <omni/decide.h>


#define FIXTURE  "tests/fixtures/campaigns.example.json"


static char *
read_file(const char *path, size_t *len)
{
    FILE  *f;
    char  *buf;
    long   n;

    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    rewind(f);

    buf = malloc(n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, n, f), (size_t) n);
    buf[n] = '\0';
    fclose(f);

    *len = (size_t) n;
    return buf;
}


static omni_campaigns_t *
load_ok(const char *json)
{
    int                      rc;
    omni_campaigns_t        *cs;
    omni_campaigns_error_t   err;

    rc = omni_campaigns_load(json, strlen(json), "t.json", NULL, NULL, &cs,
                             &err);
    if (rc != OMNI_OK) {
        fail_msg("unexpected error %u:%u: %s", err.line, err.column,
                 err.text);
    }

    assert_non_null(cs);
    return cs;
}


/* the first error must be at line:col and its text contain "want" */

static void
expect_error(const char *json, unsigned line, unsigned col, const char *want)
{
    int                      rc;
    omni_campaigns_t        *cs;
    omni_campaigns_error_t   err;

    cs = (omni_campaigns_t *) 1;

    rc = omni_campaigns_load(json, strlen(json), "t.json", NULL, NULL, &cs,
                             &err);

    if (rc != OMNI_EINVAL || strstr(err.text, want) == NULL
        || err.line != line || err.column != col)
    {
        fail_msg("%s\n  want %u:%u: ...%s...\n  got  rc %d, %u:%u: %s", json,
                 line, col, want, rc, err.line, err.column, err.text);
    }

    assert_null(cs);
    assert_string_equal(err.file, "t.json");
}


static void
test_example(void **state)
{
    char                      *json;
    size_t                     len;
    omni_campaigns_t          *cs;
    const omni_offer_t        *o;
    const omni_brand_t        *b;
    const omni_tag_t          *t;
    const omni_experiment_t   *e;
    omni_campaigns_error_t     err;

    (void) state;

    json = read_file(FIXTURE, &len);
    assert_int_equal(omni_campaigns_load(json, len, FIXTURE, NULL, NULL, &cs,
                                         &err), OMNI_OK);
    free(json);

    assert_int_equal(omni_campaigns_nsegments(cs), 6);
    assert_int_equal(omni_campaigns_noffers(cs), 4);
    assert_int_equal(omni_campaigns_nexperiments(cs), 1);
    assert_int_equal(omni_campaigns_nbrands(cs), 1);
    assert_int_equal(omni_campaigns_ntags(cs), 1);
    assert_int_equal(omni_campaigns_nvars(cs), 0);
    assert_string_equal(omni_campaigns_segment(cs, 0).data, "vip");
    assert_string_equal(omni_campaigns_segment(cs, 5).data, "not_vip");
    assert_null(omni_campaigns_segment(cs, 6).data);
    assert_string_equal(omni_campaigns_currency(cs).data, "USD");

    o = omni_campaigns_offer(cs, 0);
    assert_string_equal(o->id.data, "cart-reminder");
    assert_int_equal(o->priority, 100);
    assert_string_equal(o->slot.data, "hero");
    assert_string_equal(o->promo_code.data, "COMEBACK10");
    assert_string_equal(o->link.data, "/cart");
    assert_int_equal(o->per_day, 3);
    assert_int_equal(o->per_visit, 0);
    assert_null(o->experiment);
    assert_null(omni_campaigns_offer(cs, 4));

    o = omni_campaigns_offer_by_id(cs, "vip-early-access", 16);
    assert_non_null(o);
    assert_int_equal(o->starts, 1793491200);        /* 2026-11-01 */
    assert_int_equal(o->ends, 1861919999);          /* 2028-12-31 23:59:59 */

    o = omni_campaigns_offer_by_id(cs, "trail-shoe-x", 12);
    assert_int_equal(o->nitems, 1);
    assert_string_equal(o->items[0].data, "SKU-7");
    assert_null(omni_campaigns_offer_by_id(cs, "nope", 4));

    e = omni_campaigns_experiment(cs, 0);
    assert_string_equal(e->id.data, "welcome-copy");
    assert_string_equal(e->offer->id.data, "welcome");
    assert_ptr_equal(e->offer->experiment, e);
    assert_int_equal(e->holdout, 1000);
    assert_int_equal(e->nvariants, 2);
    assert_int_equal(e->variants[0].bucket_end, 5500);
    assert_int_equal(e->variants[1].bucket_end, 10000);
    assert_null(e->variants[0].html);
    assert_non_null(e->variants[1].html);

    b = omni_campaigns_brand_by_name(cs, "northwind", 9);
    assert_non_null(b);
    assert_ptr_equal(omni_campaigns_default_brand(cs), b);
    assert_ptr_equal(omni_campaigns_brand(cs, 0), b);
    assert_null(omni_campaigns_brand_by_name(cs, "north", 5));
    assert_string_equal(b->title.data, "Northwind Outfitters");
    assert_non_null(b->greeting);
    assert_string_equal(b->head.data,
        "<style data-omni-brand=\"northwind\">:root{"
        "--omni-primary:#0b5fff;--omni-accent:#ffb400;"
        "--omni-text:#1d1d1f;--omni-background:#ffffff;"
        "--omni-font:Inter, system-ui, sans-serif;"
        "--omni-logo:url(\"/static/northwind.svg\");}</style>"
        "<meta name=\"theme-color\" content=\"#0b5fff\">");
    assert_int_equal(b->head.len, strlen(b->head.data));

    t = omni_campaigns_tag(cs, 0);
    assert_string_equal(t->id.data, "ads-pixel");
    assert_int_equal(t->consent, OMNI_CONSENT_ADS);
    assert_non_null(t->events[OMNI_TAG_VIEW]);
    assert_non_null(t->events[OMNI_TAG_CART]);
    assert_non_null(t->events[OMNI_TAG_PURCHASE]);
    assert_null(t->events[OMNI_TAG_NONE]);

    omni_campaigns_free(cs);
}


/* the example of the README, with every section and a variable */

static void
test_full_example(void **state)
{
    char                    *json;
    size_t                   len;
    omni_str_t               vars[1] = { { "FR", 2 } };
    omni_facts_t             facts;
    omni_decision_t          d;
    omni_campaigns_t        *cs;
    omni_campaigns_error_t   err;

    (void) state;

    json = read_file("tests/fixtures/campaigns.full.json", &len);
    assert_int_equal(omni_campaigns_load(json, len, "full", NULL, NULL, &cs,
                                         &err), OMNI_OK);
    free(json);

    assert_int_equal(omni_campaigns_nsegments(cs), 8);
    assert_int_equal(omni_campaigns_nvars(cs), 1);
    assert_string_equal(omni_campaigns_var(cs, 0).data,
                        "geoip2_country_code");

    omni_facts_init(&facts);
    facts.now = 1795348800;
    facts.vars = vars;
    assert_int_equal(omni_decide(cs, NULL, &facts, &d, NULL), OMNI_OK);
    assert_true(omni_decision_in_segment(&d, 6));
    assert_false(omni_decision_in_segment(&d, 7));

    omni_campaigns_free(cs);
}


static void
test_small_files(void **state)
{
    omni_campaigns_t        *cs;
    omni_campaigns_error_t   err;

    (void) state;

    assert_int_equal(omni_campaigns_load(NULL, 0, NULL, NULL, NULL, &cs,
                                         &err), OMNI_EINVAL);
    assert_null(cs);
    assert_string_equal(err.file, "campaigns");
    assert_int_equal(err.line, 1);

    cs = load_ok("{}");
    assert_int_equal(omni_campaigns_noffers(cs), 0);
    assert_null(omni_campaigns_default_brand(cs));
    omni_campaigns_free(cs);

    /* a byte order mark, settings, vars, attributes, dates with offsets */
    cs = load_ok("\xef\xbb\xbf{ \"settings\": { \"currency\": \"EUR\", "
                 "\"default_brand\": \"b\" },"
                 " \"brands\": { \"a\": {}, \"b\": { \"colors\": "
                 "{ \"primary\": \"navy\" } } },"
                 " \"segments\": { \"fr\": { \"var\": \"geoip2_country\", "
                 "\"eq\": \"FR\" }, \"big\": { \"field\": \"attr.ltv\", "
                 "\"gte\": 500 } },"
                 " \"offers\": [ { \"id\": \"o\", \"html\": "
                 "\"{{var.geoip2_country}} {{var.region}} {{attr.size}}\", "
                 "\"starts\": \"2026-11-01T09:30:00+01:00\", "
                 "\"ends\": \"2026-11-02\" } ] }");
    assert_string_equal(omni_campaigns_currency(cs).data, "EUR");
    assert_string_equal(omni_campaigns_default_brand(cs)->name.data, "b");
    assert_string_equal(omni_campaigns_default_brand(cs)->head.data,
                        "<style data-omni-brand=\"b\">:root{"
                        "--omni-primary:navy;}</style>"
                        "<meta name=\"theme-color\" content=\"navy\">");
    assert_string_equal(omni_campaigns_brand(cs, 0)->head.data,
                        "<style data-omni-brand=\"a\">:root{}</style>");
    assert_int_equal(omni_campaigns_nvars(cs), 2);
    assert_string_equal(omni_campaigns_var(cs, 0).data, "geoip2_country");
    assert_string_equal(omni_campaigns_var(cs, 1).data, "region");
    assert_null(omni_campaigns_var(cs, 2).data);
    assert_int_equal(omni_campaigns_offer(cs, 0)->starts,
                     1793491200 + 8 * 3600 + 30 * 60);
    assert_int_equal(omni_campaigns_offer(cs, 0)->ends,
                     1793491200 + 2 * 86400 - 1);
    omni_campaigns_free(cs);

    /* with two brands and no default, there is no default */
    cs = load_ok("{ \"brands\": { \"a\": {}, \"b\": {} } }");
    assert_null(omni_campaigns_default_brand(cs));
    omni_campaigns_free(cs);
}


static void
test_syntax_errors(void **state)
{
    (void) state;

    expect_error("", 1, 1, "the file is empty");
    expect_error("{\n  \"offers\": [\n    { \"id\": \"a\" \"html\": \"x\" }\n"
                 "  ]\n}", 3, 22, "invalid JSON: a comma is missing between two "
                 "members ('}' expected near '\"html\"')");
    expect_error("{\"a\": 1,}", 1, 9, "a comma before \"}\" is one too many");
    expect_error("{\"a\": [1,]}", 1, 10, "a comma before \"]\" is one too "
                 "many");
    expect_error("{\"a\": [1 2]}", 1, 10, "a comma is missing between two "
                 "items");
    expect_error("{'a': 1}", 1, 2, "names are written in double quotes");
    expect_error("{\"a\": 'x'}", 1, 7, "texts are written in double quotes, "
                 "not single ones");
    expect_error("{\"a\": tru}", 1, 9, "the words JSON knows are true, "
                 "false and null");
    expect_error("{\"a\": \"x\ny\"}", 1, 8, "a text cannot continue on the "
                 "next line");
    expect_error("{\"a\": 01}", 1, 7, "numbers do not start with 0");
    expect_error("{} x", 1, 4, "something follows the closing");
    expect_error("// note\n{}", 1, 1, "JSON has no comments");
    expect_error("{\"offers\": [", 1, 12, "the file ends too early");
    expect_error("{\"offers\": [], \"offers\": []}", 1, 23,
                 "the same name appears twice");
    expect_error("[]", 1, 1, "the file must hold one JSON object");
    expect_error("{ \"x\": 1 }\n", 1, 3, "unknown field \"x\"");
    expect_error("{\n  \"segment\": {}\n}", 2, 3,
                 "unknown field \"segment\" (did you mean \"segments\"?)");
}


static void
test_rule_errors(void **state)
{
    (void) state;

    expect_error("{\"segments\": {\"a\": {\"field\": \"tierr\", \"eq\": "
                 "\"x\"}}}",
                 1, 30, "segment \"a\": unknown field \"tierr\" (did you mean "
                 "\"tier\"? profile attributes are written \"attr.tierr\")");
    expect_error("{\"segments\": {\"a\": {\"field\": \"promo_code\", "
                 "\"eq\": \"x\"}}}", 1, 30, "is not something a rule can test");
    expect_error("{\"segments\": {\"a\": {\"feild\": \"tier\", \"eq\": "
                 "\"x\"}}}",
                 1, 21, "unknown field \"feild\" (did you mean \"field\"?)");
    expect_error("{\"segments\": {\"a\": {\"field\": \"tier\"}}}", 1, 20,
                 "\"tier\" needs an operator");
    expect_error("{\"segments\": {\"a\": {\"field\": \"tier\", \"eq\": \"x\", "
                 "\"in\": [\"y\"]}}}", 1, 49, "has \"eq\" and \"in\"");
    expect_error("{\"segments\": {\"a\": {\"all\": [], \"any\": []}}}", 1, 20,
                 "both \"all\" and \"any\"");
    expect_error("{\"segments\": {\"a\": {\"all\": []}}}", 1, 28,
                 "\"all\" takes a list of one or more rules");
    expect_error("{\"segments\": {\"a\": {\"not\": []}}}", 1, 28,
                 "\"not\" takes one rule");
    expect_error("{\"segments\": {\"a\": []}}", 1, 20,
                 "a rule must be an object");
    expect_error("{\"segments\": {\"a\": {}}}", 1, 20,
                 "a rule needs one of");
    expect_error("{\"segments\": {\"a\": {\"segment\": \"b\", \"eq\": 1}}}", 1,
                 37, "\"eq\" goes with \"field\" or \"var\"");
    expect_error("{\"segments\": {\"vip\": {\"tag\": \"v\"},\n"
                 " \"a\": {\"segment\": \"vipp\"}}}", 2, 19,
                 "segment \"a\": unknown segment \"vipp\" (did you mean "
                 "\"vip\"?)");
    expect_error("{\"segments\": {\"a\": {\"segment\": \"a\"}}}", 1, 32,
                 "segments refer to each other in a circle: a -> a");
    expect_error("{\"segments\": {\n \"a\": {\"segment\": \"b\"},\n"
                 " \"b\": {\"any\": [{\"tag\": \"x\"}, {\"segment\": "
                 "\"c\"}]},\n"
                 " \"c\": {\"not\": {\"segment\": \"a\"}}}}", 4, 27,
                 "a -> b -> c -> a");
    expect_error("{\"segments\": {\"a\": {\"field\": \"tier\", \"lt\": "
                 "\"x\"}}}",
                 1, 38, "\"lt\" compares numbers, and \"tier\" is text");
    expect_error("{\"segments\": {\"a\": {\"field\": \"tier\", \"eq\": 3}}}",
                 1, 44, "\"tier\" is text: write the value of "
                        "\"eq\" in quotes");
    expect_error("{\"segments\": {\"a\": {\"field\": \"visits\", \"eq\": "
                 "\"3\"}}}",
                 1, 46, "\"visits\" is a number: write the value of \"eq\" "
                 "without quotes");
    expect_error("{\"segments\": {\"a\": {\"field\": \"visits\", "
                 "\"gte\": 2.5}}}",
                 1, 47, "\"visits\" is a whole number; 2.5 is not");
    expect_error("{\"segments\": {\"a\": {\"field\": \"visits\", "
                 "\"contains\": \"3\"}}}", 1, 40,
                 "\"contains\" works on text and lists");
    expect_error("{\"segments\": {\"a\": {\"field\": \"abandoned\", "
                 "\"eq\": \"yes\"}}}", 1, 49, "\"abandoned\" is true or false");
    expect_error("{\"segments\": {\"a\": {\"field\": \"abandoned\", "
                 "\"gt\": 1}}}", 1, 43, "\"abandoned\" is true or false: use");
    expect_error("{\"segments\": {\"a\": {\"field\": \"viewed\", \"eq\": "
                 "\"x\"}}}",
                 1, 40, "\"viewed\" is a list: use \"contains\"");
    expect_error("{\"segments\": {\"a\": {\"field\": \"channel\", "
                 "\"eq\": \"emial\"}}}", 1, 47,
                 "unknown channel \"emial\" (did you mean \"email\"?)");
    expect_error("{\"segments\": {\"a\": {\"field\": \"device\", "
                 "\"in\": [\"mobile\", \"fridge\"]}}}", 1, 57,
                 "unknown device \"fridge\"");
    expect_error("{\"segments\": {\"a\": {\"field\": \"device\", "
                 "\"lt\": \"x\"}}}", 1, 40, "is a name: use");
    expect_error("{\"segments\": {\"a\": {\"field\": \"tier\", "
                 "\"exists\": 1}}}", 1, 48, "\"exists\" takes true or false");
    expect_error("{\"segments\": {\"a\": {\"field\": \"tier\", \"in\": []}}}",
                 1, 44, "\"in\" takes a list of one or more values");
    expect_error("{\"segments\": {\"a\": {\"var\": \"a b\", \"eq\": \"x\"}}}",
                 1, 28, "\"a b\" is not an nginx variable name");
    expect_error("{\"segments\": {\"a\": {\"field\": \"attr.\", \"eq\": "
                 "\"x\"}}}",
                 1, 30, "\"attr.\" is not an attribute name");
    expect_error("{\"segments\": {\"a\": {\"field\": \"attr.x\", "
                 "\"contains\": 5}}}", 1, 52, "\"attr.x\" is text: write the "
                 "value of \"contains\" in quotes");
    expect_error("{\"segments\": {\"a\": {\"var\": \"x\", \"in\": [5]}}}",
                 1, 40, "\"x\" is text");
    expect_error("{\"segments\": {\"a\": {\"var\": \"x\", \"gt\": \"5\"}}}",
                 1, 39, "\"gt\" compares numbers: write the number without "
                 "quotes");
    expect_error("{\"segments\": {\"a b\": {\"tag\": \"x\"}}}", 1, 15,
                 "segment name \"a b\" must be");
    expect_error("{\"segments\": {\"a\": {\"tag\": 3}}}", 1, 28,
                 "\"tag\" takes a profile tag");
    expect_error("{\"segments\": {\"a\": {\"not\": {\"not\": {\"not\": "
                 "{\"not\": "
                 "{\"not\": {\"not\": {\"not\": {\"not\": {\"not\": {\"not\": "
                 "{\"not\": {\"not\": {\"not\": {\"not\": {\"not\": {\"not\": "
                 "{\"not\": {\"tag\": \"x\"}}}}}}}}}}}}}}}}}}}}", 1, 148,
                 "nested more than 16 levels");
    expect_error("{\"segments\": []}", 1, 14, "\"segments\" must be an object");
}


static void
test_stage_errors(void **state)
{
    omni_campaigns_t  *cs;

    (void) state;

    cs = load_ok("{\"stages\": [ {\"stage\": \"loyalty\", \"when\": "
                 "{\"field\": \"tier\", \"exists\": true}} ]}");
    omni_campaigns_free(cs);

    expect_error("{\"stages\": [ {\"stage\": \"loyality\", \"when\": "
                 "{\"tag\": \"x\"}} ]}", 1, 24,
                 "stage rule 1: unknown stage (did you mean \"loyalty\"?)");
    expect_error("{\"stages\": [ {\"stage\": \"loyalty\"} ]}", 1, 14,
                 "\"when\" is missing");
    expect_error("{\"stages\": [ {\"when\": {\"tag\": \"x\"}} ]}", 1, 14,
                 "\"stage\" is missing");
    expect_error("{\"stages\": {}}", 1, 12, "\"stages\" must be a list");
    expect_error("{\"stages\": [ {\"stage\": \"loyalty\", \"when\": "
                 "{\"segment\": \"x\"}} ]}", 1, 55, "unknown segment \"x\"");
}


static void
test_offer_errors(void **state)
{
    (void) state;

    expect_error("{\"offers\": [{\"html\": \"x\"}]}", 1, 13,
                 "offer 1: \"id\" is missing");
    expect_error("{\"offers\": [{\"id\": \"a\"}]}", 1, 13,
                 "offer \"a\": \"html\" is missing");
    expect_error("{\"offers\": [{\"id\": \"a b\", \"html\": \"x\"}]}", 1, 22,
                 "offer 1: the id \"a b\" may only use letters");
    expect_error("{\"offers\": [\n{\"id\": \"a\", \"html\": \"x\"},\n"
                 "{\"id\": \"a\", \"html\": \"x\"}]}", 3, 8,
                 "offer 2: the id \"a\" is already used by the offer at "
                 "line 2");
    expect_error("{\"offers\": [{\"id\": \"a\", \"html\": \"x\", "
                 "\"colour\": 1}]}", 1, 38,
                 "offer \"a\": unknown field \"colour\"");
    expect_error("{\"segments\": {\"vip\": {\"tag\": \"v\"}},\n"
                 " \"offers\": [{\"id\": \"welcome\", \"html\": \"x\",\n"
                 "   \"segments\": [\"vip\", \"vipp\"]}]}", 3, 24,
                 "offer \"welcome\": unknown segment \"vipp\" (did you mean "
                 "\"vip\"?)");
    expect_error("{\"offers\": [{\"id\": \"a\", \"html\": \"x\", "
                 "\"segments\": []}]}", 1, 50, "leave it out to show");
    expect_error("{\"offers\": [{\"id\": \"a\", \"html\": \"x\", "
                 "\"stages\": [\"awarness\"]}]}", 1, 49,
                 "unknown stage \"awarness\" (did you mean \"awareness\"?)");
    expect_error("{\"offers\": [{\"id\": \"a\", \"html\": \"x\", "
                 "\"channels\": [\"emial\"]}]}", 1, 51,
                 "unknown channel \"emial\" (did you mean \"email\"?)");
    expect_error("{\"offers\": [{\"id\": \"a\", \"html\": \"x\", "
                 "\"priority\": \"high\"}]}", 1, 50,
                 "\"priority\" must be a whole number");
    expect_error("{\"offers\": [{\"id\": \"a\", \"html\": \"x\", "
                 "\"starts\": \"2026-02-30T00:00:00Z\"}]}", 1, 48,
                 "\"2026-02-30T00:00:00Z\" is not a valid date");
    expect_error("{\"offers\": [{\"id\": \"a\", \"html\": \"x\", "
                 "\"starts\": \"2026-11-01T00:00:00\"}]}", 1, 48,
                 "is not a valid date");
    expect_error("{\"offers\": [{\"id\": \"a\", \"html\": \"x\", "
                 "\"ends\": 1790000000}]}", 1, 46,
                 "a date must be text in quotes");
    expect_error("{\"offers\": [{\"id\": \"a\", \"html\": \"x\", "
                 "\"starts\": \"2026-12-01\", \"ends\": \"2026-11-01\"}]}",
                 1, 70, "\"ends\" is before \"starts\"");
    expect_error("{\"offers\": [{\"id\": \"a\", \"html\": \"x\", "
                 "\"cap\": {\"per_day\": 0}}]}", 1, 57,
                 "\"per_day\" must be a whole number of 1 or more");
    expect_error("{\"offers\": [{\"id\": \"a\", \"html\": \"x\", "
                 "\"cap\": {\"per_week\": 1}}]}", 1, 46,
                 "unknown field \"per_week\"");
    expect_error("{\"offers\": [{\"id\": \"a\", \"html\": \"x\", "
                 "\"items\": [\"\"]}]}", 1, 48, "a product id must be");
    expect_error("{\"offers\": [{\"id\": \"a\", \"html\": \"x\", "
                 "\"link\": \"javascript:alert(1)\"}]}", 1, 46,
                 "\"link\" must be a path on this site");
    expect_error("{\"offers\": [{\"id\": \"a\", \"html\": \"x\", "
                 "\"link\": \"//evil.example\"}]}", 1, 46,
                 "\"link\" must be a path on this site");
    expect_error("{\"offers\": [{\"id\": \"a\", \"html\": \"x\", "
                 "\"link\": \"/a b\"}]}", 1, 49,
                 "\"link\" must not contain spaces");
    expect_error("{\"offers\": [{\"id\": \"a\", \"html\": \"x\", "
                 "\"promo_code\": 10}]}", 1, 52, "\"promo_code\" must be text");
    expect_error("{\"offers\": {}}", 1, 12, "\"offers\" must be a list");
}


static void
test_template_errors(void **state)
{
    (void) state;

    /* the column of the field inside the string, past escapes */
    expect_error("{\"offers\": [{\"id\": \"a\",\n"
                 "  \"html\": \"<b>Hi \\\"{{frist_name}}\\\"</b>\"}]}", 2, 22,
                 "offer \"a\": template: unknown field {{frist_name}} (did "
                 "you mean {{first_name}}?)");
    expect_error("{\"offers\": [{\"id\": \"a\",\n"
                 "  \"html\": \"\\u00e9\xc3\xa9 {{nope}}\"}]}", 2, 22,
                 "template: unknown field {{nope}}");
    expect_error("{\"offers\": [{\"id\": \"a\", \"html\": \"{{item}}\"}]}",
                 1, 36, "{{item}} is only available in tag event snippets");
    expect_error("{\"offers\": [{\"id\": \"a\", \"html\": \"{{abandoned}}\"}]}",
                 1, 36, "{{abandoned}} can only be used in segment rules");
    expect_error("{\"offers\": [{\"id\": \"a\", \"html\": "
                 "\"x {{click_url}}\"}]}",
                 1, 33, "uses {{click_url}}, but the offer has no \"link\"");
    expect_error("{\"offers\": [{\"id\": \"a\", \"html\": "
                 "\"x {{promo_code\"}]}",
                 1, 36, "template: \"{{\" without a closing \"}}\"");
    expect_error("{\"offers\": [{\"id\": \"a\", \"html\": 5}]}", 1, 33,
                 "a template must be text in quotes");
    expect_error("{\"brands\": {\"b\": {\"greeting\": \"Hi {{promo_code}}\"}}}",
                 1, 37, "brand \"b\": template: {{promo_code}} is only "
                 "available in offer templates");
    expect_error("{\"brands\": {\"b\": {\"greeting\": \"Hi {{greeting}}\"}}}",
                 1, 37, "{{greeting}} is only available in offer templates");
    expect_error("{\"tags\": [{\"id\": \"t\", \"consent\": \"ads\", "
                 "\"events\": "
                 "{\"view\": \"{{first_name}}\"}}]}", 1, 63,
                 "{{first_name}} is not available in tag snippets");
}


static void
test_brand_errors(void **state)
{
    (void) state;

    expect_error("{\"brands\": {\"b\": {\"colors\": {\"primary\": "
                 "\"#0b5fzz\"}}}}", 1, 41, "\"#0b5fzz\" is not a color");
    expect_error("{\"brands\": {\"b\": {\"colors\": {\"primary\": "
                 "\"red;}</style><script>\"}}}}", 1, 41, "is not a color");
    expect_error("{\"brands\": {\"b\": {\"colors\": {\"Primary\": \"red\"}}}}",
                 1, 30, "a color name must be");
    expect_error("{\"brands\": {\"b\": {\"font\": \"x</style>\"}}}", 1, 27,
                 "\"font\" must be a CSS font list");
    expect_error("{\"brands\": {\"b\": {\"font\": \"'Open Sans\"}}}", 1, 27,
                 "\"font\" must be a CSS font list");
    expect_error("{\"brands\": {\"b\": {\"logo\": \"/x\\\");}\"}}}", 1, 27,
                 "\"logo\" must be a path");
    expect_error("{\"brands\": {\"b\": {\"logo\": \"javascript:x\"}}}", 1, 27,
                 "\"logo\" must be a path");
    expect_error("{\"brands\": {\"b\": {\"colour\": {}}}}", 1, 19,
                 "brand \"b\": unknown field \"colour\" (did you mean "
                 "\"colors\"?)");
    expect_error("{\"brands\": {\"b c\": {}}}", 1, 13,
                 "a brand name must be");
    expect_error("{\"brands\": {\"b\": 1}}", 1, 18, "a brand must be an "
                                                    "object");
    expect_error("{\"settings\": {\"default_brand\": \"x\"}, \"brands\": {}}",
                 1, 32, "there is no brand \"x\"");
    expect_error("{\"settings\": {\"currency\": \"euro\"}}", 1, 27,
                 "three-letter ISO 4217 code");
}


static void
test_experiment_errors(void **state)
{
    (void) state;

#define OFFERS  "{\"offers\": [{\"id\": \"welcome\", \"html\": \"x\"}],\n"

    expect_error(OFFERS "\"experiments\": [{\"id\": \"e\", \"offer\": "
                 "\"welcom\", \"variants\": [{\"id\": \"a\"}]}]}", 2, 38,
                 "experiment \"e\": unknown offer \"welcom\" (did you mean "
                 "\"welcome\"?)");
    expect_error(OFFERS "\"experiments\": [{\"id\": \"e\", \"offer\": "
                 "\"welcome\", \"holdout\": 10, \"variants\": [{\"id\": "
                 "\"a\"}]}]}", 2, 60, "write 0.1 for 10%");
    expect_error(OFFERS "\"experiments\": [{\"id\": \"e\", \"offer\": "
                 "\"welcome\", \"variants\": [{\"id\": \"a\", \"weight\": 50},"
                 " {\"id\": \"b\", \"weight\": 40}]}]}", 2, 111,
                 "the variant weights add up to 90; they are percentages and "
                 "must add up to 100");
    expect_error(OFFERS "\"experiments\": [{\"id\": \"e\", \"offer\": "
                 "\"welcome\", \"variants\": [{\"id\": \"a\", \"weight\": 50},"
                 " {\"id\": \"b\"}]}]}", 2, 61,
                 "give every variant a \"weight\", or none");
    expect_error(OFFERS "\"experiments\": [{\"id\": \"e\", \"offer\": "
                 "\"welcome\", \"variants\": [{\"id\": \"a\", \"weight\": -5}]"
                 "}]}", 2, 84, "\"weight\" is the variant's percentage");
    expect_error(OFFERS "\"experiments\": [{\"id\": \"e\", \"offer\": "
                 "\"welcome\", \"variants\": [{\"id\": \"a\"}, {\"id\": "
                 "\"a\"}]}]}", 2, 82, "two variants are called \"a\"");
    expect_error(OFFERS "\"experiments\": [{\"id\": \"e\", \"offer\": "
                 "\"welcome\", \"variants\": [{\"id\": \"holdout\"}]}]}", 2,
                 69, "\"holdout\" is the name of the group");
    expect_error(OFFERS "\"experiments\": [{\"id\": \"e\", \"offer\": "
                 "\"welcome\", \"variants\": []}]}", 2, 61,
                 "\"variants\" must be a list of one or more");
    expect_error(OFFERS "\"experiments\": [{\"id\": \"e\", \"offer\": "
                 "\"welcome\"}]}", 2, 17, "\"variants\" is missing");
    expect_error(OFFERS "\"experiments\": [{\"id\": \"e\", \"offer\": "
                 "\"welcome\", \"variants\": [{\"id\": \"a\"}]},\n"
                 "{\"id\": \"f\", \"offer\": \"welcome\", \"variants\": "
                 "[{\"id\": \"a\"}]}]}", 3, 22,
                 "the offer \"welcome\" is already in the experiment \"e\"");
    expect_error("{\"offers\": [{\"id\": \"w\", \"html\": \"x\"}, "
                 "{\"id\": \"v\", \"html\": \"x\"}],\n"
                 "\"experiments\": [{\"id\": \"e\", \"offer\": \"w\", "
                 "\"variants\": [{\"id\": \"a\"}]},\n"
                 "{\"id\": \"e\", \"offer\": \"v\", \"variants\": "
                 "[{\"id\": \"a\"}]}]}", 3, 8,
                 "the id \"e\" is used by two experiments");
    expect_error(OFFERS "\"experiments\": [{\"id\": \"e\", \"offer\": "
                 "\"welcome\", \"variants\": [{\"id\": \"a\", \"html\": "
                 "\"{{click_url}}\"}]}]}", 2, 82,
                 "uses {{click_url}}, but the offer has no \"link\"");

#undef OFFERS
}


static void
test_tag_errors(void **state)
{
    (void) state;

    expect_error("{\"tags\": [{\"id\": \"t\", \"consent\": \"add\"}]}", 1, 34,
                 "tag \"t\": unknown consent category (did you mean "
                 "\"ads\"?)");
    expect_error("{\"tags\": [{\"id\": \"t\"}]}", 1, 11,
                 "\"consent\" is missing");
    expect_error("{\"tags\": [{\"id\": \"t\", \"consent\": \"ads\", "
                 "\"events\": "
                 "{\"veiw\": \"x\"}}]}", 1, 52,
                 "unknown field \"veiw\" (did you mean \"view\"?)");
    expect_error("{\"tags\": [{\"id\": \"t\", \"consent\": \"ads\", "
                 "\"head\": 1}]}", 1, 49, "\"head\" must be");
    expect_error("{\"tags\": [{\"id\": \"t\", \"consent\": \"ads\"},\n"
                 "{\"id\": \"t\", \"consent\": \"ads\"}]}", 2, 8,
                 "the id \"t\" is used by two tags");
}


/* the report callback sees every error, in file order */

typedef struct {
    unsigned  n;
    unsigned  lines[8];
} collected_t;


static void
collect(void *data, const omni_campaigns_error_t *err)
{
    collected_t  *c = data;

    if (c->n < 8) {
        c->lines[c->n] = err->line;
    }

    c->n++;
}


static void
test_report_all(void **state)
{
    int                      rc;
    char                    *big;
    size_t                   i, n;
    collected_t              c;
    omni_campaigns_t        *cs;
    omni_campaigns_error_t   err;

    static const char  json[] =
        "{\n"
        "  \"offers\": [ { \"id\": \"a\", \"html\": \"{{nope}}\" } ],\n"
        "  \"segments\": {\n"
        "    \"s\": { \"field\": \"nope\", \"eq\": 1 }\n"
        "  },\n"
        "  \"tags\": 1\n"
        "}\n";

    (void) state;

    memset(&c, 0, sizeof(c));

    rc = omni_campaigns_load(json, sizeof(json) - 1, "t.json", collect, &c,
                             &cs, &err);
    assert_int_equal(rc, OMNI_EINVAL);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.lines[0], 2);
    assert_int_equal(c.lines[1], 4);
    assert_int_equal(c.lines[2], 6);
    assert_int_equal(err.line, 2);

    /* many errors: the first ones, then a count of the others */

    n = 200;
    big = malloc(n * 40 + 64);
    assert_non_null(big);
    strcpy(big, "{\"segments\": {");

    for (i = 0; i < n; i++) {
        sprintf(big + strlen(big), "%s\"s%zu\": {\"tag\": 1}", i ? "," : "",
                i);
    }

    strcat(big, "}}");

    memset(&c, 0, sizeof(c));
    rc = omni_campaigns_load(big, strlen(big), "t.json", collect, &c, &cs,
                             &err);
    assert_int_equal(rc, OMNI_EINVAL);
    assert_int_equal(c.n, OMNI_CAMPAIGNS_ERRORS + 1);
    free(big);

    /* too big */
    rc = omni_campaigns_load("{}", OMNI_CAMPAIGNS_FILE_MAX + 1, "t.json",
                             NULL, NULL, &cs, &err);
    assert_int_equal(rc, OMNI_ETOOBIG);
    assert_null(cs);
    assert_non_null(strstr(err.text, "larger than"));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_example),
        cmocka_unit_test(test_full_example),
        cmocka_unit_test(test_small_files),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_rule_errors),
        cmocka_unit_test(test_stage_errors),
        cmocka_unit_test(test_offer_errors),
        cmocka_unit_test(test_template_errors),
        cmocka_unit_test(test_brand_errors),
        cmocka_unit_test(test_experiment_errors),
        cmocka_unit_test(test_tag_errors),
        cmocka_unit_test(test_report_all),
    };

    return cmocka_run_group_tests_name("campaigns", tests, NULL, NULL);
}
