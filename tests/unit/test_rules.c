/*
 * Segment rules: every operator on every kind of field, all / any / not,
 * references between segments, missing values, and the funnel stage.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <omni/decide.h>


#define NOW   1795000000
#define S(s)  { s, sizeof(s) - 1 }


static omni_profile_t   profile;
static omni_activity_t  activity;
static omni_facts_t     facts;
static omni_str_t       vars[2];


/* Ada: a gold customer with a cart, back after two hours, from an email */

static void
reset_facts(void)
{
    static const omni_str_t  country = S("FR");

    memset(&profile, 0, sizeof(profile));
    profile.customer_id = (omni_str_t) S("C-1");
    profile.first_name = (omni_str_t) S("Ada");
    profile.locale = (omni_str_t) S("fr-FR");
    profile.tier = (omni_str_t) S("Gold");
    profile.points = 1200;
    profile.ntags = 2;
    profile.tags[0] = (omni_str_t) S("vip");
    profile.tags[1] = (omni_str_t) S("Newsletter");
    profile.nattrs = 2;
    profile.attrs[0].key = (omni_str_t) S("ltv");
    profile.attrs[0].value = (omni_str_t) S("742.50");
    profile.attrs[1].key = (omni_str_t) S("size");
    profile.attrs[1].value = (omni_str_t) S("M");

    memset(&activity, 0, sizeof(activity));
    activity.first_seen = NOW - 40 * 86400;
    activity.last_seen = NOW - 2 * 3600;
    activity.visits = 3;
    activity.pageviews = 10;
    activity.purchases = 1;
    activity.last_purchase = NOW - 10 * 86400;
    activity.cart_value = 8998;
    activity.cart_updated = NOW - 3 * 3600;
    activity.ncart = 2;
    activity.cart[0].item = (omni_str_t) S("SKU-1");
    activity.cart[0].qty = 2;
    activity.cart[0].price = 1999;
    activity.cart[1].item = (omni_str_t) S("SKU-2");
    activity.cart[1].qty = 1;
    activity.cart[1].price = 5000;
    activity.nviewed = 2;
    activity.viewed[0] = (omni_str_t) S("SKU-1");
    activity.viewed[1] = (omni_str_t) S("SKU-9");
    activity.npurchased = 1;
    activity.purchased[0] = (omni_str_t) S("SKU-7");

    vars[0] = country;
    vars[1] = (omni_str_t) omni_null_string;

    omni_facts_init(&facts);
    facts.profile = &profile;
    facts.activity = &activity;
    facts.now = NOW;
    facts.channel = OMNI_CHANNEL_EMAIL;
    facts.device = OMNI_DEVICE_MOBILE;
    facts.utm_source = (omni_str_t) S("Newsletter");
    facts.utm_medium = (omni_str_t) S("email");
    facts.utm_campaign = (omni_str_t) S("winter-sale");
    facts.path = (omni_str_t) S("/products/shoes");
    facts.vars = vars;
}


static omni_campaigns_t *
load(const char *json)
{
    omni_campaigns_t        *cs;
    omni_campaigns_error_t   err;

    if (omni_campaigns_load(json, strlen(json), "t.json", NULL, NULL, &cs,
                            &err) != OMNI_OK)
    {
        fail_msg("%s\n  %u:%u: %s", json, err.line, err.column, err.text);
    }

    return cs;
}


/*
 * Whether the facts match one rule.  The file always names the variables
 * "geoip2_country" then "region", so that facts.vars lines up.
 */

static int
match(const char *rule)
{
    int                 in;
    char                json[1024];
    omni_decision_t     d;
    omni_campaigns_t   *cs;

    snprintf(json, sizeof(json),
             "{\"segments\": {"
             " \"v\": {\"any\": [{\"var\": \"geoip2_country\", \"eq\": \"x\"},"
             " {\"var\": \"region\", \"eq\": \"x\"}]}, \"s\": %s}}", rule);

    cs = load(json);
    assert_string_equal(omni_campaigns_var(cs, 0).data, "geoip2_country");
    assert_int_equal(omni_decide(cs, NULL, &facts, &d, NULL), OMNI_OK);
    in = omni_decision_in_segment(&d, 1);
    omni_campaigns_free(cs);

    return in;
}


typedef struct {
    const char  *rule;
    int          want;
} rule_case_t;


static void
check_cases(const rule_case_t *cases, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (match(cases[i].rule) != cases[i].want) {
            fail_msg("%s: want %d", cases[i].rule, cases[i].want);
        }
    }
}


#define CHECK(cases)  check_cases(cases, sizeof(cases) / sizeof(cases[0]))


static void
test_text(void **state)
{
    static const rule_case_t  cases[] = {
        { "{\"field\": \"tier\", \"eq\": \"gold\"}", 1 },
        { "{\"field\": \"tier\", \"eq\": \"GOLD\"}", 1 },
        { "{\"field\": \"tier\", \"eq\": \"silver\"}", 0 },
        { "{\"field\": \"tier\", \"eq\": \"gol\"}", 0 },
        { "{\"field\": \"tier\", \"ne\": \"silver\"}", 1 },
        { "{\"field\": \"tier\", \"ne\": \"Gold\"}", 0 },
        { "{\"field\": \"tier\", \"in\": [\"silver\", \"gold\"]}", 1 },
        { "{\"field\": \"tier\", \"in\": [\"silver\"]}", 0 },
        { "{\"field\": \"first_name\", \"contains\": \"D\"}", 1 },
        { "{\"field\": \"first_name\", \"contains\": \"z\"}", 0 },
        { "{\"field\": \"first_name\", \"contains\": \"Adam\"}", 0 },
        { "{\"field\": \"locale\", \"prefix\": \"fr\"}", 1 },
        { "{\"field\": \"locale\", \"prefix\": \"en\"}", 0 },
        { "{\"field\": \"locale\", \"prefix\": \"fr-FR-x\"}", 0 },
        { "{\"field\": \"customer_id\", \"eq\": \"c-1\"}", 1 },
        { "{\"field\": \"tier\", \"exists\": true}", 1 },
        { "{\"field\": \"tier\", \"exists\": false}", 0 },
        { "{\"field\": \"utm_source\", \"eq\": \"newsletter\"}", 1 },
        { "{\"field\": \"utm_medium\", \"eq\": \"email\"}", 1 },
        { "{\"field\": \"utm_campaign\", \"prefix\": \"winter\"}", 1 },
        { "{\"field\": \"path\", \"prefix\": \"/products/\"}", 1 },
        { "{\"field\": \"path\", \"contains\": \"shoe\"}", 1 },
        { "{\"field\": \"path\", \"eq\": \"/\"}", 0 },
    };

    (void) state;

    reset_facts();
    CHECK(cases);
}


static void
test_attributes_and_variables(void **state)
{
    static const rule_case_t  cases[] = {
        { "{\"field\": \"attr.size\", \"eq\": \"m\"}", 1 },
        { "{\"field\": \"attr.SIZE\", \"eq\": \"M\"}", 1 },
        { "{\"field\": \"attr.size\", \"in\": [\"S\", \"L\"]}", 0 },
        { "{\"field\": \"attr.ltv\", \"gte\": 500}", 1 },
        { "{\"field\": \"attr.ltv\", \"gt\": 742.5}", 0 },
        { "{\"field\": \"attr.ltv\", \"lte\": 742.5}", 1 },
        { "{\"field\": \"attr.ltv\", \"lt\": 500}", 0 },
        { "{\"field\": \"attr.ltv\", \"eq\": 742.5}", 1 },
        { "{\"field\": \"attr.ltv\", \"ne\": 742.5}", 0 },
        { "{\"field\": \"attr.ltv\", \"eq\": \"742.50\"}", 1 },
        { "{\"field\": \"attr.size\", \"gt\": 3}", 0 },
        { "{\"field\": \"attr.size\", \"ne\": 3}", 1 },
        { "{\"field\": \"attr.missing\", \"exists\": false}", 1 },
        { "{\"field\": \"attr.missing\", \"exists\": true}", 0 },
        { "{\"field\": \"attr.missing\", \"ne\": \"x\"}", 1 },
        { "{\"field\": \"attr.missing\", \"eq\": \"x\"}", 0 },
        { "{\"field\": \"attr.missing\", \"lt\": 1}", 0 },
        { "{\"var\": \"geoip2_country\", \"eq\": \"fr\"}", 1 },
        { "{\"var\": \"$geoip2_country\", \"in\": [\"DE\", \"FR\"]}", 1 },
        { "{\"var\": \"geoip2_country\", \"prefix\": \"F\"}", 1 },
        { "{\"var\": \"region\", \"exists\": false}", 1 },
        { "{\"var\": \"region\", \"eq\": \"x\"}", 0 },
        { "{\"var\": \"region\", \"ne\": \"x\"}", 1 },
    };

    (void) state;

    reset_facts();
    CHECK(cases);

    /* no variables at all */
    facts.vars = NULL;
    assert_false(match("{\"var\": \"geoip2_country\", \"eq\": \"fr\"}"));
    assert_true(match("{\"var\": \"geoip2_country\", \"exists\": false}"));

    /* numbers in variables */
    reset_facts();
    vars[1] = (omni_str_t) S(" -12.5 ");
    assert_true(match("{\"var\": \"region\", \"lt\": -12}"));
    assert_true(match("{\"var\": \"region\", \"gte\": -12.5}"));
    vars[1] = (omni_str_t) S("12x");
    assert_false(match("{\"var\": \"region\", \"lt\": 100}"));
    vars[1] = (omni_str_t) S(".");
    assert_false(match("{\"var\": \"region\", \"lt\": 100}"));
}


static void
test_numbers(void **state)
{
    static const rule_case_t  cases[] = {
        { "{\"field\": \"points\", \"gte\": 1000}", 1 },
        { "{\"field\": \"points\", \"gte\": 1200}", 1 },
        { "{\"field\": \"points\", \"gt\": 1200}", 0 },
        { "{\"field\": \"points\", \"lt\": 1200}", 0 },
        { "{\"field\": \"points\", \"lte\": 1200}", 1 },
        { "{\"field\": \"points\", \"eq\": 1200}", 1 },
        { "{\"field\": \"points\", \"ne\": 1200}", 0 },
        { "{\"field\": \"points\", \"in\": [1, 1200]}", 1 },
        { "{\"field\": \"points\", \"in\": [1, 2]}", 0 },
        { "{\"field\": \"points\", \"exists\": true}", 1 },
        /* back after two hours: this request starts visit 4 */
        { "{\"field\": \"visits\", \"eq\": 4}", 1 },
        { "{\"field\": \"pageviews\", \"eq\": 11}", 1 },
        { "{\"field\": \"cart_value\", \"eq\": 89.98}", 1 },
        { "{\"field\": \"cart_value\", \"gte\": 89.98}", 1 },
        { "{\"field\": \"cart_value\", \"gt\": 89.98}", 0 },
        { "{\"field\": \"cart_value\", \"lt\": 100}", 1 },
        { "{\"field\": \"cart_value\", \"gte\": 100}", 0 },
        { "{\"field\": \"cart_items\", \"eq\": 3}", 1 },
        { "{\"field\": \"purchases\", \"eq\": 1}", 1 },
        { "{\"field\": \"days_since_purchase\", \"eq\": 10}", 1 },
        { "{\"field\": \"days_since_purchase\", \"lte\": 7}", 0 },
        { "{\"field\": \"days_since_purchase\", \"exists\": true}", 1 },
    };

    (void) state;

    reset_facts();
    CHECK(cases);

    /* within the visit: the same visit, no new one */
    activity.last_seen = NOW - 60;
    assert_true(match("{\"field\": \"visits\", \"eq\": 3}"));

    /* never bought: no days since */
    activity.purchases = 0;
    activity.last_purchase = 0;
    assert_true(match("{\"field\": \"days_since_purchase\", "
                      "\"exists\": false}"));
    assert_false(match("{\"field\": \"days_since_purchase\", \"lt\": 5}"));
    assert_true(match("{\"field\": \"days_since_purchase\", \"ne\": 3}"));
}


static void
test_booleans_names_lists(void **state)
{
    static const rule_case_t  cases[] = {
        { "{\"field\": \"abandoned\", \"eq\": true}", 1 },
        { "{\"field\": \"abandoned\", \"ne\": true}", 0 },
        { "{\"field\": \"abandoned\", \"eq\": false}", 0 },
        { "{\"field\": \"new_visitor\", \"eq\": false}", 1 },
        { "{\"field\": \"new_visitor\", \"ne\": false}", 0 },
        { "{\"field\": \"channel\", \"eq\": \"email\"}", 1 },
        { "{\"field\": \"channel\", \"eq\": \"EMAIL\"}", 1 },
        { "{\"field\": \"channel\", \"ne\": \"email\"}", 0 },
        { "{\"field\": \"channel\", \"in\": [\"sms\", \"email\"]}", 1 },
        { "{\"field\": \"channel\", \"in\": [\"sms\", \"push\"]}", 0 },
        { "{\"field\": \"channel\", \"exists\": true}", 1 },
        { "{\"field\": \"device\", \"eq\": \"mobile\"}", 1 },
        { "{\"field\": \"device\", \"in\": [\"tablet\", \"desktop\"]}", 0 },
        { "{\"field\": \"device\", \"exists\": false}", 0 },
        { "{\"field\": \"tags\", \"contains\": \"VIP\"}", 1 },
        { "{\"field\": \"tags\", \"in\": [\"x\", \"newsletter\"]}", 1 },
        { "{\"field\": \"tags\", \"in\": [\"x\", \"y\"]}", 0 },
        { "{\"field\": \"tags\", \"exists\": true}", 1 },
        { "{\"tag\": \"vip\"}", 1 },
        { "{\"tag\": \"nope\"}", 0 },
        { "{\"field\": \"viewed\", \"contains\": \"sku-9\"}", 1 },
        { "{\"field\": \"viewed\", \"contains\": \"SKU-7\"}", 0 },
        { "{\"field\": \"viewed\", \"exists\": false}", 0 },
        { "{\"field\": \"purchased\", \"contains\": \"SKU-7\"}", 1 },
        { "{\"field\": \"purchased\", \"in\": [\"SKU-1\", \"SKU-2\"]}", 0 },
    };

    (void) state;

    reset_facts();
    CHECK(cases);

    facts.new_visitor = 1;
    facts.channel = OMNI_CHANNEL_NONE;
    facts.device = OMNI_DEVICE_UNKNOWN;
    assert_true(match("{\"field\": \"new_visitor\", \"eq\": true}"));
    assert_true(match("{\"field\": \"channel\", \"exists\": false}"));
    assert_true(match("{\"field\": \"channel\", \"ne\": \"email\"}"));
    assert_true(match("{\"field\": \"channel\", \"eq\": \"none\"}"));
    assert_true(match("{\"field\": \"device\", \"eq\": \"unknown\"}"));
    assert_true(match("{\"field\": \"device\", \"exists\": false}"));
}


static void
test_missing_records(void **state)
{
    static const rule_case_t  no_profile[] = {
        { "{\"field\": \"tier\", \"eq\": \"gold\"}", 0 },
        { "{\"field\": \"tier\", \"ne\": \"gold\"}", 1 },
        { "{\"field\": \"tier\", \"exists\": false}", 1 },
        { "{\"field\": \"points\", \"gte\": 0}", 0 },
        { "{\"field\": \"points\", \"ne\": 0}", 1 },
        { "{\"field\": \"points\", \"exists\": false}", 1 },
        { "{\"tag\": \"vip\"}", 0 },
        { "{\"field\": \"tags\", \"exists\": false}", 1 },
        { "{\"field\": \"attr.size\", \"exists\": false}", 1 },
        { "{\"field\": \"customer_id\", \"exists\": false}", 1 },
    };

    static const rule_case_t  new_visitor[] = {
        { "{\"field\": \"visits\", \"eq\": 1}", 1 },
        { "{\"field\": \"pageviews\", \"eq\": 1}", 1 },
        { "{\"field\": \"purchases\", \"eq\": 0}", 1 },
        { "{\"field\": \"cart_value\", \"eq\": 0}", 1 },
        { "{\"field\": \"cart_items\", \"eq\": 0}", 1 },
        { "{\"field\": \"abandoned\", \"eq\": false}", 1 },
        { "{\"field\": \"viewed\", \"exists\": false}", 1 },
        { "{\"field\": \"purchased\", \"contains\": \"SKU-7\"}", 0 },
        { "{\"field\": \"days_since_purchase\", \"exists\": false}", 1 },
    };

    (void) state;

    reset_facts();
    facts.profile = NULL;
    facts.activity = NULL;
    CHECK(no_profile);
    CHECK(new_visitor);

    /* the activity's linked customer id stands in for the profile's */
    reset_facts();
    facts.profile = NULL;
    activity.customer_id = (omni_str_t) S("C-9");
    assert_true(match("{\"field\": \"customer_id\", \"eq\": \"C-9\"}"));
}


static void
test_combinators(void **state)
{
#define T  "{\"tag\": \"vip\"}"
#define F  "{\"tag\": \"nope\"}"

    static const rule_case_t  cases[] = {
        { "{\"all\": [" T "]}", 1 },
        { "{\"all\": [" T ", " T "]}", 1 },
        { "{\"all\": [" T ", " F "]}", 0 },
        { "{\"all\": [" F ", " T "]}", 0 },
        { "{\"any\": [" F ", " T "]}", 1 },
        { "{\"any\": [" F ", " F "]}", 0 },
        { "{\"any\": [" T "]}", 1 },
        { "{\"not\": " T "}", 0 },
        { "{\"not\": " F "}", 1 },
        { "{\"not\": {\"not\": " T "}}", 1 },
        { "{\"all\": [{\"any\": [" F ", {\"not\": " F "}]}, " T "]}", 1 },
        { "{\"any\": [{\"all\": [" T ", " F "]}, {\"not\": " T "}]}", 0 },
        { "{\"description\": \"VIPs\", \"all\": [" T ", "
          "{\"field\": \"tier\", \"eq\": \"gold\", \"description\": \"x\"}]}",
          1 },
    };

#undef T
#undef F

    (void) state;

    reset_facts();
    CHECK(cases);
}


static void
test_references(void **state)
{
    char               names[256];
    size_t             len;
    omni_decision_t    d;
    omni_campaigns_t  *cs;

    (void) state;

    reset_facts();

    /* forward and backward references, evaluated in dependency order */
    cs = load("{\"segments\": {"
              " \"d\": {\"any\": [{\"segment\": \"c\"}, {\"segment\": \"b\"}]},"
              " \"c\": {\"not\": {\"segment\": \"b\"}},"
              " \"b\": {\"all\": [{\"segment\": \"a\"}, {\"field\": \"tier\","
              " \"eq\": \"gold\"}]},"
              " \"a\": {\"tag\": \"vip\"},"
              " \"e\": {\"all\": [{\"segment\": \"d\"}, {\"segment\": \"c\"}]}"
              "}}");

    assert_int_equal(omni_decide(cs, NULL, &facts, &d, NULL), OMNI_OK);
    assert_true(omni_decision_in_segment(&d, 0));     /* d */
    assert_false(omni_decision_in_segment(&d, 1));    /* c */
    assert_true(omni_decision_in_segment(&d, 2));     /* b */
    assert_true(omni_decision_in_segment(&d, 3));     /* a */
    assert_false(omni_decision_in_segment(&d, 4));    /* e */
    assert_false(omni_decision_in_segment(&d, 5));
    assert_false(omni_decision_in_segment(&d, 100000));

    assert_int_equal(omni_decision_segments(cs, &d, names, sizeof(names),
                                            &len), OMNI_OK);
    assert_int_equal(len, 5);
    assert_memory_equal(names, "d,b,a", 5);

    assert_int_equal(omni_decision_segments(cs, &d, names, 4, &len),
                     OMNI_ETOOBIG);
    assert_int_equal(len, 5);
    assert_int_equal(omni_decision_segments(cs, &d, NULL, 0, &len),
                     OMNI_ETOOBIG);
    assert_int_equal(len, 5);

    profile.ntags = 0;
    assert_int_equal(omni_decide(cs, NULL, &facts, &d, NULL), OMNI_OK);
    assert_true(omni_decision_in_segment(&d, 0));
    assert_true(omni_decision_in_segment(&d, 1));
    assert_false(omni_decision_in_segment(&d, 2));
    assert_false(omni_decision_in_segment(&d, 3));
    assert_true(omni_decision_in_segment(&d, 4));
    assert_int_equal(omni_decision_segments(cs, &d, names, sizeof(names),
                                            &len), OMNI_OK);
    assert_memory_equal(names, "d,c,e", len);

    omni_campaigns_free(cs);

    /* none matched: an empty list */
    cs = load("{\"segments\": {\"a\": {\"tag\": \"nope\"}}}");
    assert_int_equal(omni_decide(cs, NULL, &facts, &d, NULL), OMNI_OK);
    assert_int_equal(omni_decision_segments(cs, &d, names, sizeof(names),
                                            &len), OMNI_OK);
    assert_int_equal(len, 0);
    omni_campaigns_free(cs);
}


static void
test_many_segments(void **state)
{
    int                i;
    char              *json;
    omni_decision_t    d;
    omni_campaigns_t  *cs;

    (void) state;

    reset_facts();

    /* a chain through all 512: s0 <- s1 <- ... every one a reference */
    json = malloc(OMNI_SEGMENTS_MAX * 64 + 64);
    assert_non_null(json);
    strcpy(json, "{\"segments\": {\"s0\": {\"tag\": \"vip\"}");

    for (i = 1; i < OMNI_SEGMENTS_MAX; i++) {
        sprintf(json + strlen(json), ", \"s%d\": {\"not\": {\"segment\": "
                "\"s%d\"}}", i, i - 1);
    }

    strcat(json, "}}");
    cs = load(json);

    assert_int_equal(omni_decide(cs, NULL, &facts, &d, NULL), OMNI_OK);

    for (i = 0; i < OMNI_SEGMENTS_MAX; i++) {
        assert_int_equal(omni_decision_in_segment(&d, i), (i % 2) == 0);
    }

    omni_campaigns_free(cs);

    /* one more is refused */
    strcpy(json + strlen(json) - 2, ", \"extra\": {\"tag\": \"x\"}}}");
    assert_int_equal(omni_campaigns_load(json, strlen(json), "t", NULL, NULL,
                                         &cs, NULL), OMNI_EINVAL);
    free(json);
}


/* stages */

static omni_stage_e
stage_of(omni_campaigns_t *cs, const omni_decide_conf_t *conf)
{
    omni_decision_t  d;

    assert_int_equal(omni_decide(cs, conf, &facts, &d, NULL), OMNI_OK);

    return d.stage;
}


static void
test_default_stages(void **state)
{
    omni_campaigns_t    *cs;
    omni_decide_conf_t   conf;

    (void) state;

    cs = load("{}");
    reset_facts();

    /* a cart, even for a buyer: converting again */
    assert_int_equal(stage_of(cs, NULL), OMNI_STAGE_CONVERSION);

    /* a cart being filled right now, not abandoned */
    activity.last_seen = NOW - 60;
    assert_int_equal(stage_of(cs, NULL), OMNI_STAGE_CONVERSION);

    /* bought, nothing in the cart */
    activity.ncart = 0;
    activity.cart_value = 0;
    assert_int_equal(stage_of(cs, NULL), OMNI_STAGE_LOYALTY);

    /* never bought, back for a second visit */
    activity.purchases = 0;
    activity.last_purchase = 0;
    activity.npurchased = 0;
    activity.visits = 1;
    activity.nviewed = 0;
    activity.last_seen = NOW - 3600;
    assert_int_equal(stage_of(cs, NULL), OMNI_STAGE_CONSIDERATION);

    /* first visit, but browsing products */
    activity.last_seen = NOW - 60;
    activity.nviewed = 1;
    assert_int_equal(stage_of(cs, NULL), OMNI_STAGE_CONSIDERATION);

    /* first visit, nothing viewed */
    activity.nviewed = 0;
    assert_int_equal(stage_of(cs, NULL), OMNI_STAGE_AWARENESS);

    /* a longer visit timeout keeps it one visit */
    activity.last_seen = NOW - 3600;
    omni_decide_conf_init(&conf);
    conf.visit_timeout = 7200;
    assert_int_equal(stage_of(cs, &conf), OMNI_STAGE_AWARENESS);
    assert_int_equal(stage_of(cs, NULL), OMNI_STAGE_CONSIDERATION);

    /* nobody knows them */
    facts.activity = NULL;
    facts.profile = NULL;
    assert_int_equal(stage_of(cs, NULL), OMNI_STAGE_AWARENESS);

    assert_string_equal(omni_stage_name(OMNI_STAGE_AWARENESS), "awareness");
    assert_string_equal(omni_stage_name(OMNI_STAGE_LOYALTY), "loyalty");
    assert_string_equal(omni_stage_name(OMNI_STAGE_MAX), "");

    omni_campaigns_free(cs);
}


static void
test_stage_rules(void **state)
{
    omni_campaigns_t  *cs;

    (void) state;

    cs = load("{\"segments\": {\"gold\": {\"field\": \"tier\", "
              "\"eq\": \"gold\"}},"
              " \"stages\": ["
              "  {\"stage\": \"awareness\", \"when\": {\"field\": \"path\","
              "   \"prefix\": \"/landing\"}},"
              "  {\"stage\": \"loyalty\", \"when\": {\"segment\": \"gold\"},"
              "   \"description\": \"gold members are loyal\"},"
              "  {\"stage\": \"consideration\", \"when\": {\"tag\": \"vip\"}}"
              " ]}");

    reset_facts();

    /* the first matching rule wins, before the default logic */
    assert_int_equal(stage_of(cs, NULL), OMNI_STAGE_LOYALTY);

    facts.path = (omni_str_t) S("/landing/x");
    assert_int_equal(stage_of(cs, NULL), OMNI_STAGE_AWARENESS);

    facts.path = (omni_str_t) S("/");
    profile.tier = (omni_str_t) S("silver");
    assert_int_equal(stage_of(cs, NULL), OMNI_STAGE_CONSIDERATION);

    /* no rule matches: the default (a cart: conversion) */
    profile.ntags = 0;
    assert_int_equal(stage_of(cs, NULL), OMNI_STAGE_CONVERSION);

    omni_campaigns_free(cs);
}


static void
test_abandoned(void **state)
{
    omni_decision_t      d;
    omni_campaigns_t    *cs;
    omni_decide_conf_t   conf;

    (void) state;

    cs = load("{}");
    omni_decide_conf_init(&conf);

    /* a cart left three hours ago, last seen two hours ago */
    reset_facts();
    omni_decide(cs, NULL, &facts, &d, NULL);
    assert_true(d.abandoned);

    /* still shopping */
    activity.last_seen = NOW - 600;
    omni_decide(cs, NULL, &facts, &d, NULL);
    assert_false(d.abandoned);

    /* unless the configured delay is shorter */
    conf.abandon_after = 300;
    omni_decide(cs, &conf, &facts, &d, NULL);
    assert_true(d.abandoned);

    /* exactly at the delay counts */
    conf.abandon_after = 600;
    omni_decide(cs, &conf, &facts, &d, NULL);
    assert_true(d.abandoned);
    conf.abandon_after = 601;
    omni_decide(cs, &conf, &facts, &d, NULL);
    assert_false(d.abandoned);

    /* bought after the cart changed: not abandoned */
    reset_facts();
    activity.last_purchase = NOW - 2 * 3600;
    omni_decide(cs, NULL, &facts, &d, NULL);
    assert_false(d.abandoned);

    /* an empty cart */
    reset_facts();
    activity.ncart = 0;
    activity.cart_value = 0;
    omni_decide(cs, NULL, &facts, &d, NULL);
    assert_false(d.abandoned);

    omni_campaigns_free(cs);
}


static void
test_devices(void **state)
{
    (void) state;

    /* no User-Agent at all: a script, not a shopper */
    assert_int_equal(omni_device_classify(NULL, 0), OMNI_DEVICE_BOT);
    assert_int_equal(omni_device_classify("", 0), OMNI_DEVICE_BOT);

#define UA(s, want)  assert_int_equal(omni_device_classify(s, strlen(s)), want)

    UA("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
       "(KHTML, like Gecko) Chrome/120.0 Safari/537.36", OMNI_DEVICE_DESKTOP);
    UA("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
       "(KHTML, like Gecko) Version/17.0 Safari/605.1.15",
       OMNI_DEVICE_DESKTOP);
    UA("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) "
       "AppleWebKit/605.1.15 Mobile/15E148", OMNI_DEVICE_MOBILE);
    UA("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
       "Chrome/120.0 Mobile Safari/537.36", OMNI_DEVICE_MOBILE);
    UA("Mozilla/5.0 (Linux; Android 9; CUBOT X19) Mobile Safari/537.36",
       OMNI_DEVICE_MOBILE);
    UA("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15",
       OMNI_DEVICE_TABLET);
    UA("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 "
       "Chrome/120.0 Safari/537.36", OMNI_DEVICE_TABLET);
    UA("Mozilla/5.0 (compatible; Googlebot/2.1; "
       "+http://www.google.com/bot.html)", OMNI_DEVICE_BOT);
    UA("Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) "
       "Chrome/120.0 Mobile Safari/537.36 (compatible; Googlebot/2.1)",
       OMNI_DEVICE_BOT);
    UA("curl/8.5.0", OMNI_DEVICE_BOT);
    UA("Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0",
       OMNI_DEVICE_BOT);
    UA("facebookexternalhit/1.1", OMNI_DEVICE_BOT);
    UA("Slackbot-LinkExpanding 1.0", OMNI_DEVICE_BOT);
    UA("AhrefsBot", OMNI_DEVICE_BOT);

#undef UA

    assert_string_equal(omni_device_name(OMNI_DEVICE_MOBILE), "mobile");
    assert_string_equal(omni_device_name(OMNI_DEVICE_MAX), "");
    assert_string_equal(omni_tag_event_name(OMNI_TAG_CART), "cart");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_attributes_and_variables),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_booleans_names_lists),
        cmocka_unit_test(test_missing_records),
        cmocka_unit_test(test_combinators),
        cmocka_unit_test(test_references),
        cmocka_unit_test(test_many_segments),
        cmocka_unit_test(test_default_stages),
        cmocka_unit_test(test_stage_rules),
        cmocka_unit_test(test_abandoned),
        cmocka_unit_test(test_devices),
    };

    return cmocka_run_group_tests_name("rules", tests, NULL, NULL);
}
