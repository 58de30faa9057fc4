/*
 * Decisions: the scenarios of the example file with a fixed clock, then
 * priority and ties, time windows, caps, channels, purchase suppression,
 * the trace, and the rendering of offers, click URLs and tags.
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


#define FIXTURE  "tests/fixtures/campaigns.example.json"
#define NOW      1795348800             /* 2026-11-22T12:00:00Z */
#define DAY      (NOW / 86400)
#define S(s)     { s, sizeof(s) - 1 }


static omni_campaigns_t  *example;
static omni_profile_t     profile;
static omni_activity_t    activity;
static omni_facts_t       facts;
static omni_id_t          visitor;
static omni_trace_t       trace;


static omni_campaigns_t *
load(const char *json, size_t len)
{
    omni_campaigns_t        *cs;
    omni_campaigns_error_t   err;

    if (omni_campaigns_load(json, len, "t.json", NULL, NULL, &cs, &err)
        != OMNI_OK)
    {
        fail_msg("%u:%u: %s", err.line, err.column, err.text);
    }

    return cs;
}


static int
setup(void **state)
{
    FILE  *f;
    char  *buf;
    long   n;

    (void) state;

    f = fopen(FIXTURE, "rb");
    if (f == NULL) {
        return -1;
    }

    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = malloc(n);

    if (buf == NULL || fread(buf, 1, n, f) != (size_t) n) {
        fclose(f);
        free(buf);
        return -1;
    }

    fclose(f);
    example = load(buf, n);
    free(buf);

    return 0;
}


static int
teardown(void **state)
{
    (void) state;

    omni_campaigns_free(example);

    return 0;
}


/* a known customer, back today, no cart, bought twice */

static void
customer(const char *tier)
{
    memset(&profile, 0, sizeof(profile));
    profile.customer_id = (omni_str_t) S("C-42");
    profile.first_name = (omni_str_t) S("Ada");
    profile.tier.data = tier;
    profile.tier.len = strlen(tier);
    profile.points = 1200;

    memset(&activity, 0, sizeof(activity));
    activity.customer_id = profile.customer_id;
    activity.first_seen = NOW - 90 * 86400;
    activity.last_seen = NOW - 5 * 86400;
    activity.visits = 12;
    activity.pageviews = 80;
    activity.purchases = 2;
    activity.last_purchase = NOW - 20 * 86400;
    activity.npurchased = 1;
    activity.purchased[0] = (omni_str_t) S("SKU-1");

    memset(visitor.bytes, 0x5a, sizeof(visitor.bytes));

    omni_facts_init(&facts);
    facts.profile = &profile;
    facts.activity = &activity;
    facts.visitor = &visitor;
    facts.now = NOW;
    facts.channel = OMNI_CHANNEL_DIRECT;
    facts.device = OMNI_DEVICE_DESKTOP;
}


static void
add_cart(int64_t cents, int64_t updated)
{
    activity.ncart = 1;
    activity.cart[0].item = (omni_str_t) S("SKU-3");
    activity.cart[0].qty = 1;
    activity.cart[0].price = cents;
    activity.cart_value = cents;
    activity.cart_updated = updated;
}


static const char *
decide(const omni_campaigns_t *cs, omni_decision_t *d)
{
    assert_int_equal(omni_decide(cs, NULL, &facts, d, &trace), OMNI_OK);

    return d->offer ? d->offer->id.data : "";
}


static omni_why_e
why(const char *offer)
{
    size_t  i;

    for (i = 0; i < trace.n; i++) {
        if (strcmp(trace.entries[i].offer->id.data, offer) == 0) {
            return trace.entries[i].why;
        }
    }

    fail_msg("offer %s is not in the trace", offer);
    return OMNI_WHY_MAX;
}


static void
render_is(const omni_decision_t *d, const char *want)
{
    char    buf[1024];
    size_t  len;

    assert_int_equal(omni_offer_render(example, NULL, &facts, d,
                                       omni_campaigns_default_brand(example),
                                       buf, sizeof(buf), &len), OMNI_OK);
    buf[len] = '\0';
    assert_string_equal(buf, want);
}


static void
test_vip(void **state)
{
    char             seg[128];
    size_t           len;
    omni_decision_t  d;

    (void) state;

    customer("gold");

    assert_string_equal(decide(example, &d), "vip-early-access");
    assert_int_equal(d.stage, OMNI_STAGE_LOYALTY);
    assert_null(d.experiment);
    assert_string_equal(d.offer->link.data, "");
    assert_string_equal(d.offer->promo_code.data, "");
    assert_string_equal(d.variant_id.data, "");
    assert_int_equal(d.variant_id.len, 0);
    assert_ptr_equal(d.html, d.offer->html);

    assert_int_equal(omni_decision_segments(example, &d, seg, sizeof(seg),
                                            &len), OMNI_OK);
    seg[len] = '\0';
    assert_string_equal(seg, "vip");

    assert_int_equal(why("cart-reminder"), OMNI_WHY_SEGMENT);
    assert_int_equal(why("vip-early-access"), OMNI_WHY_CHOSEN);
    assert_int_equal(why("trail-shoe-x"), OMNI_WHY_SEGMENT);
    assert_int_equal(why("welcome"), OMNI_WHY_STAGE);

    render_is(&d, "<div class=\"omni-offer\">Hi Ada: early access to the "
                  "winter sale, 1200 points to spend.</div>");

    /* the tag instead of the tier, and an escaped name */
    customer("bronze");
    profile.ntags = 1;
    profile.tags[0] = (omni_str_t) S("VIP");
    profile.first_name = (omni_str_t) S("<Ann & \"Bo\">");
    assert_string_equal(decide(example, &d), "vip-early-access");
    render_is(&d, "<div class=\"omni-offer\">Hi &lt;Ann &amp; &quot;Bo&quot;"
                  "&gt;: early access to the winter sale, 1200 points to "
                  "spend.</div>");

    /* no first name: the greeting's fallback */
    profile.first_name = (omni_str_t) omni_null_string;
    render_is(&d, "<div class=\"omni-offer\">Hi there: early access to the "
                  "winter sale, 1200 points to spend.</div>");

    /* not a VIP any more */
    profile.ntags = 0;
    assert_string_equal(decide(example, &d), "");
    assert_int_equal(omni_offer_render(example, NULL, &facts, &d, NULL, seg,
                                       sizeof(seg), &len), OMNI_ENOTFOUND);
}


static void
test_vip_time_window(void **state)
{
    omni_decision_t  d;

    (void) state;

    customer("platinum");

    /* 2026-11-01T00:00:00Z: the first second of the offer */
    facts.now = 1793491200;
    assert_string_equal(decide(example, &d), "vip-early-access");

    facts.now = 1793491199;
    assert_string_equal(decide(example, &d), "");
    assert_int_equal(why("vip-early-access"), OMNI_WHY_NOT_STARTED);

    /* 2028-12-31T23:59:59Z: the last second */
    facts.now = 1861919999;
    assert_string_equal(decide(example, &d), "vip-early-access");

    facts.now = 1861920000;
    assert_string_equal(decide(example, &d), "");
    assert_int_equal(why("vip-early-access"), OMNI_WHY_ENDED);
}


static void
test_vip_abandoned_cart(void **state)
{
    char             seg[128];
    size_t           len;
    omni_decision_t  d;

    (void) state;

    customer("gold");
    add_cart(14990, NOW - 3 * 3600);
    activity.last_seen = NOW - 2 * 3600;

    assert_string_equal(decide(example, &d), "cart-reminder");
    assert_true(d.abandoned);
    assert_int_equal(d.stage, OMNI_STAGE_CONVERSION);
    assert_int_equal(why("vip-early-access"), OMNI_WHY_LOWER_PRIORITY);

    assert_int_equal(omni_decision_segments(example, &d, seg, sizeof(seg),
                                            &len), OMNI_OK);
    seg[len] = '\0';
    assert_string_equal(seg, "vip,cart_abandoners,big_cart");

    render_is(&d, "<div class=\"omni-offer\">Hi Ada, your cart (149.90) is "
                  "still here: 10% off with <b>COMEBACK10</b>. <a href=\""
                  "/omni/click?o=cart-reminder&amp;to=%2Fcart\">Check out"
                  "</a></div>");

    /* shown three times today: capped, the VIP offer again */
    activity.nimpressions = 2;
    activity.impressions[0].offer = (omni_str_t) S("welcome");
    activity.impressions[0].day = DAY;
    activity.impressions[0].today = 9;
    activity.impressions[1].offer = (omni_str_t) S("cart-reminder");
    activity.impressions[1].day = DAY;
    activity.impressions[1].today = 3;
    assert_string_equal(decide(example, &d), "vip-early-access");
    assert_int_equal(why("cart-reminder"), OMNI_WHY_CAP_DAY);

    /* twice today, or three times yesterday: shown */
    activity.impressions[1].today = 2;
    assert_string_equal(decide(example, &d), "cart-reminder");
    activity.impressions[1].today = 3;
    activity.impressions[1].day = DAY - 1;
    assert_string_equal(decide(example, &d), "cart-reminder");

    /* still shopping: not abandoned */
    activity.last_seen = NOW - 60;
    activity.cart_updated = NOW - 60;
    assert_string_equal(decide(example, &d), "vip-early-access");
    assert_false(d.abandoned);
}


static void
test_new_visitors(void **state)
{
    char             buf[256];
    size_t           i, held, a, b, len;
    uint64_t         x;
    omni_decision_t  d;

    (void) state;

    omni_facts_init(&facts);
    facts.now = NOW;
    facts.new_visitor = 1;
    facts.visitor = &visitor;

    held = 0;
    a = 0;
    b = 0;
    x = 88172645463325252ULL;

    for (i = 0; i < 20000; i++) {
        /* xorshift64: cheap, fixed ids */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(visitor.bytes, &x, 8);
        memcpy(visitor.bytes + 8, &i, sizeof(i) < 8 ? sizeof(i) : 8);

        assert_int_equal(omni_decide(example, NULL, &facts, &d, NULL),
                         OMNI_OK);
        assert_int_equal(d.stage, OMNI_STAGE_AWARENESS);
        assert_non_null(d.experiment);
        assert_string_equal(d.experiment->id.data, "welcome-copy");

        if (d.offer == NULL) {
            assert_string_equal(d.variant_id.data, "holdout");
            assert_string_equal(d.held->id.data, "welcome");
            assert_null(d.html);
            held++;
            continue;
        }

        assert_string_equal(d.offer->id.data, "welcome");
        assert_int_equal(omni_offer_render(example, NULL, &facts, &d, NULL,
                                           buf, sizeof(buf), &len), OMNI_OK);
        buf[len] = '\0';

        if (strcmp(d.variant_id.data, "a") == 0) {
            assert_string_equal(buf, "<div class=\"omni-offer\">Welcome! 5% "
                                     "off your first order.</div>");
            a++;

        } else {
            assert_string_equal(d.variant_id.data, "b");
            assert_string_equal(buf, "<div class=\"omni-offer\">First order? "
                                     "Free shipping today.</div>");
            b++;
        }
    }

    /* 10% / 45% / 45%, within 5 standard deviations of 20,000 */
    assert_true(held > 1800 && held < 2200);
    assert_true(a > 8700 && a < 9300);
    assert_true(b > 8700 && b < 9300);

    /* the holdout in the trace */
    memset(visitor.bytes, 0, sizeof(visitor.bytes));

    for (i = 0; i < 1000; i++) {
        visitor.bytes[0] = (uint8_t) i;
        visitor.bytes[1] = (uint8_t) (i >> 8);
        omni_decide(example, NULL, &facts, &d, &trace);

        if (d.held) {
            break;
        }
    }

    assert_non_null(d.held);
    assert_int_equal(why("welcome"), OMNI_WHY_HOLDOUT);

    /* without an id: the first variant, never held out */
    facts.visitor = NULL;
    omni_decide(example, NULL, &facts, &d, NULL);
    assert_string_equal(d.variant_id.data, "a");
}


static void
test_returning_browser(void **state)
{
    omni_decision_t  d;

    (void) state;

    customer("");
    facts.profile = NULL;
    activity.purchases = 0;
    activity.last_purchase = 0;
    activity.npurchased = 0;
    activity.visits = 1;

    /* the second visit: a browser */
    assert_string_equal(decide(example, &d), "trail-shoe-x");
    assert_int_equal(d.stage, OMNI_STAGE_CONSIDERATION);
    render_is(&d, "<div class=\"omni-offer\">The Trail Shoe X is back in your "
                  "size.</div>");

    /* they buy SKU-7: never again */
    activity.purchases = 1;
    activity.last_purchase = NOW - 3600;
    activity.npurchased = 1;
    activity.purchased[0] = (omni_str_t) S("SKU-7");
    assert_string_equal(decide(example, &d), "");
    assert_int_equal(why("trail-shoe-x"), OMNI_WHY_SEGMENT);
}


/* small files for the rules of the offer loop */

static omni_campaigns_t *
load_str(const char *json)
{
    return load(json, strlen(json));
}


static void
test_priority_and_ties(void **state)
{
    omni_decision_t    d;
    omni_campaigns_t  *cs;

    (void) state;

    cs = load_str("{\"offers\": ["
                  " {\"id\": \"low\", \"priority\": 10, \"html\": \"x\"},"
                  " {\"id\": \"first\", \"priority\": 20, \"html\": \"x\"},"
                  " {\"id\": \"second\", \"priority\": 20, \"html\": \"x\"},"
                  " {\"id\": \"none\", \"html\": \"x\"},"
                  " {\"id\": \"neg\", \"priority\": -5, \"html\": \"x\"}]}");

    customer("gold");
    assert_string_equal(decide(cs, &d), "first");

    assert_int_equal(trace.n, 5);
    assert_string_equal(trace.entries[0].offer->id.data, "first");
    assert_string_equal(trace.entries[1].offer->id.data, "second");
    assert_string_equal(trace.entries[2].offer->id.data, "low");
    assert_string_equal(trace.entries[3].offer->id.data, "none");
    assert_string_equal(trace.entries[4].offer->id.data, "neg");
    assert_int_equal(trace.entries[0].why, OMNI_WHY_CHOSEN);
    assert_int_equal(trace.entries[1].why, OMNI_WHY_LOWER_PRIORITY);
    assert_int_equal(trace.entries[4].why, OMNI_WHY_LOWER_PRIORITY);

    /* without a trace, the same answer */
    assert_int_equal(omni_decide(cs, NULL, &facts, &d, NULL), OMNI_OK);
    assert_string_equal(d.offer->id.data, "first");

    assert_int_equal(omni_decide(NULL, NULL, &facts, &d, NULL), OMNI_EINVAL);
    assert_int_equal(omni_decide(cs, NULL, NULL, &d, NULL), OMNI_EINVAL);
    assert_int_equal(omni_decide(cs, NULL, &facts, NULL, NULL), OMNI_EINVAL);

    omni_campaigns_free(cs);
}


static void
test_eligibility(void **state)
{
    omni_decision_t    d;
    omni_campaigns_t  *cs;

    (void) state;

    cs = load_str("{\"segments\": {\"gold\": {\"field\": \"tier\", "
                  "\"eq\": \"gold\"}, \"silver\": {\"field\": \"tier\", "
                  "\"eq\": \"silver\"}},"
                  " \"offers\": ["
                  " {\"id\": \"mail\", \"priority\": 5, \"channels\": "
                  "[\"email\", \"sms\"], \"html\": \"x\"},"
                  " {\"id\": \"seg\", \"priority\": 4, \"segments\": "
                  "[\"silver\", \"gold\"], \"html\": \"x\"},"
                  " {\"id\": \"stage\", \"priority\": 3, \"stages\": "
                  "[\"awareness\", \"consideration\"], \"html\": \"x\"},"
                  " {\"id\": \"all\", \"priority\": 1, \"html\": \"x\"}]}");

    customer("gold");
    facts.channel = OMNI_CHANNEL_SMS;
    assert_string_equal(decide(cs, &d), "mail");

    facts.channel = OMNI_CHANNEL_SEARCH;
    assert_string_equal(decide(cs, &d), "seg");
    assert_int_equal(why("mail"), OMNI_WHY_CHANNEL);

    /* an out-of-range channel is simply not one of the list */
    facts.channel = (omni_channel_e) 77;
    assert_string_equal(decide(cs, &d), "seg");

    profile.tier = (omni_str_t) S("bronze");
    assert_string_equal(decide(cs, &d), "all");
    assert_int_equal(why("seg"), OMNI_WHY_SEGMENT);
    assert_int_equal(why("stage"), OMNI_WHY_STAGE);

    facts.activity = NULL;
    assert_string_equal(decide(cs, &d), "stage");

    omni_campaigns_free(cs);
}


static void
test_caps_per_visit(void **state)
{
    omni_decision_t    d;
    omni_campaigns_t  *cs;

    (void) state;

    cs = load_str("{\"offers\": ["
                  " {\"id\": \"o\", \"priority\": 2, \"cap\": "
                  "{\"per_visit\": 1, \"per_day\": 5}, \"html\": \"x\"},"
                  " {\"id\": \"next\", \"priority\": 1, \"html\": \"x\"}]}");

    customer("gold");

    /* in the middle of visit 12, shown once in it */
    activity.last_seen = NOW - 60;
    activity.nimpressions = 1;
    activity.impressions[0].offer = (omni_str_t) S("o");
    activity.impressions[0].day = DAY;
    activity.impressions[0].today = 1;
    activity.impressions[0].visit = 12;
    activity.impressions[0].this_visit = 1;

    assert_string_equal(decide(cs, &d), "next");
    assert_int_equal(why("o"), OMNI_WHY_CAP_VISIT);

    /* this request starts visit 13: the cap starts over */
    activity.last_seen = NOW - 3600;
    assert_string_equal(decide(cs, &d), "o");

    /* the per-day cap holds across visits */
    activity.impressions[0].today = 5;
    assert_string_equal(decide(cs, &d), "next");
    assert_int_equal(why("o"), OMNI_WHY_CAP_DAY);

    /* another offer's impressions do not count */
    activity.impressions[0].offer = (omni_str_t) S("ox");
    assert_string_equal(decide(cs, &d), "o");

    omni_campaigns_free(cs);
}


static void
test_purchase_suppression(void **state)
{
    omni_decision_t    d;
    omni_campaigns_t  *cs;

    (void) state;

    cs = load_str("{\"offers\": ["
                  " {\"id\": \"shoe\", \"priority\": 2, \"items\": "
                  "[\"SKU-7\", \"SKU-8\"], \"html\": \"x\"},"
                  " {\"id\": \"next\", \"priority\": 1, \"html\": \"x\"}]}");

    customer("gold");
    assert_string_equal(decide(cs, &d), "shoe");

    activity.npurchased = 2;
    activity.purchased[1] = (omni_str_t) S("sku-8");
    assert_string_equal(decide(cs, &d), "next");
    assert_int_equal(why("shoe"), OMNI_WHY_PURCHASED);

    /* a new visitor has bought nothing */
    facts.activity = NULL;
    assert_string_equal(decide(cs, &d), "shoe");

    omni_campaigns_free(cs);
}


static void
test_trace_format(void **state)
{
    char             buf[2048], small[16];
    size_t           len;
    omni_decision_t  d;

    (void) state;

    customer("gold");
    add_cart(14990, NOW - 3 * 3600);
    activity.last_seen = NOW - 2 * 3600;
    decide(example, &d);

    assert_int_equal(omni_trace_format(example, &d, &trace, buf, sizeof(buf),
                                       &len), OMNI_OK);
    assert_int_equal(strlen(buf), len);
    assert_string_equal(buf,
        "stage: conversion\n"
        "segments: vip, cart_abandoners, big_cart\n"
        "cart: abandoned\n"
        "offer: cart-reminder\n"
        "offers, by priority:\n"
        "  cart-reminder            100    chosen\n"
        "  vip-early-access         50     eligible, but an offer of higher "
        "priority won\n"
        "  trail-shoe-x             40     the visitor is in none of its "
        "segments\n"
        "  welcome                  10     not for this funnel stage\n");

    assert_int_equal(omni_trace_format(example, &d, &trace, small,
                                       sizeof(small), &len), OMNI_ETOOBIG);
    assert_int_equal(strlen(small), sizeof(small) - 1);
    assert_true(len > sizeof(small));

    /* a holdout, without a trace */
    omni_facts_init(&facts);
    facts.now = NOW;
    facts.visitor = &visitor;
    memset(visitor.bytes, 0, sizeof(visitor.bytes));

    do {
        visitor.bytes[0]++;
        omni_decide(example, NULL, &facts, &d, NULL);
    } while (d.held == NULL);

    omni_trace_format(example, &d, NULL, buf, sizeof(buf), &len);
    assert_non_null(strstr(buf, "segments: not_vip\n"));
    assert_non_null(strstr(buf, "offer: (none: held out of \"welcome\")\n"));
    assert_non_null(strstr(buf, "experiment: welcome-copy, variant holdout "
                                "(bucket "));
    assert_null(strstr(buf, "offers, by priority"));

    assert_string_equal(omni_why_text(OMNI_WHY_CAP_DAY),
                        "already shown as often as allowed today (cap "
                        "per_day)");
    assert_string_equal(omni_why_text(OMNI_WHY_MAX), "");
}


static void
test_click_url(void **state)
{
    char        buf[256];
    size_t      len, n;
    omni_str_t  none = omni_null_string;
    omni_str_t  path = S("/go");
    omni_str_t  offer = S("cart-reminder");
    omni_str_t  variant = S("b");
    omni_str_t  link = S("/p?x=1&y=\"<2>\"#top");

    (void) state;

    assert_int_equal(omni_click_url(none, offer, variant, link, buf,
                                    sizeof(buf), &len), OMNI_OK);
    buf[len] = '\0';
    assert_string_equal(buf, "/omni/click?o=cart-reminder&v=b&to=%2Fp%3Fx%3D1"
                             "%26y%3D%22%3C2%3E%22%23top");

    assert_int_equal(omni_click_url(path, offer, none, link, buf, sizeof(buf),
                                    &len), OMNI_OK);
    buf[len] = '\0';
    assert_string_equal(buf, "/go?o=cart-reminder&to=%2Fp%3Fx%3D1%26y%3D%22"
                             "%3C2%3E%22%23top");

    path = (omni_str_t) S("/c?src=omni");
    assert_int_equal(omni_click_url(path, offer, variant, link, buf,
                                    sizeof(buf), &len), OMNI_OK);
    assert_memory_equal(buf, "/c?src=omni&o=", 14);

    for (n = 0; n < len; n++) {
        assert_int_equal(omni_click_url(path, offer, variant, link, buf, n,
                                        &len), OMNI_ETOOBIG);
    }

    assert_int_equal(omni_click_url(path, offer, variant, link, NULL, 0,
                                    &n), OMNI_ETOOBIG);
    assert_int_equal(n, len);
}


static void
test_offer_render_fields(void **state)
{
    char                 buf[2048];
    size_t               len, need;
    omni_str_t           vars[1] = { S("F\"R") };
    omni_decision_t      d;
    omni_campaigns_t    *cs;
    omni_decide_conf_t   conf;

    (void) state;

    cs = load_str("{\"settings\": {\"currency\": \"EUR\"},"
                  " \"brands\": {\"b\": {\"name\": \"B & Co\", "
                  "\"logo\": \"/l.svg\", \"greeting\": "
                  "\"Hello {{first_name|friend}} ({{tier}})\"}},"
                  " \"offers\": [{\"id\": \"o\", \"link\": \"/x?a=1\", "
                  "\"promo_code\": \"P<1>\", \"html\": "
                  "\"{{greeting}}|{{brand_name}}|{{logo}}|{{offer}}|"
                  "{{variant|none}}|{{promo_code}}|{{click_url}}|"
                  "{{points}}|{{visits}}|{{pageviews}}|{{cart_value}}|"
                  "{{cart_items}}|{{purchases}}|{{days_since_purchase}}|"
                  "{{channel}}|{{device}}|{{stage}}|{{utm_source|-}}|"
                  "{{path}}|{{customer_id}}|{{locale|?}}|{{currency}}|"
                  "{{attr.size|no size}}|{{var.geoip2_country|js}}\"}]}");

    customer("gold");
    add_cart(-5, NOW - 60);
    activity.ncart = 0;
    facts.vars = vars;
    facts.path = (omni_str_t) S("/a b");
    facts.channel = OMNI_CHANNEL_PAID_SOCIAL;
    profile.nattrs = 1;
    profile.attrs[0].key = (omni_str_t) S("Size");
    profile.attrs[0].value = (omni_str_t) S("XL");

    omni_decide_conf_init(&conf);
    conf.click_path = (omni_str_t) S("/c");

    assert_int_equal(omni_decide(cs, &conf, &facts, &d, NULL), OMNI_OK);
    assert_int_equal(omni_offer_render(cs, &conf, &facts, &d,
                                       omni_campaigns_default_brand(cs), buf,
                                       sizeof(buf), &len), OMNI_OK);
    buf[len] = '\0';
    assert_string_equal(buf,
        "Hello Ada (gold)|B &amp; Co|/l.svg|o|none|P&lt;1&gt;|"
        "/c?o=o&amp;to=%2Fx%3Fa%3D1|1200|13|81|-0.05|0|2|20|paid_social|"
        "desktop|loyalty|-|/a b|C-42|?|EUR|XL|F\\x22R");

    /* too small: the size needed, whatever the buffer */
    need = len;
    assert_int_equal(omni_offer_render(cs, &conf, &facts, &d,
                                       omni_campaigns_default_brand(cs), buf,
                                       10, &len), OMNI_ETOOBIG);
    assert_int_equal(len, need);

    /* no brand, no profile, no activity */
    facts.profile = NULL;
    facts.activity = NULL;
    facts.vars = NULL;
    facts.device = OMNI_DEVICE_UNKNOWN;
    facts.channel = OMNI_CHANNEL_NONE;
    assert_int_equal(omni_decide(cs, NULL, &facts, &d, NULL), OMNI_OK);
    assert_int_equal(omni_offer_render(cs, NULL, &facts, &d, NULL, buf,
                                       sizeof(buf), &len), OMNI_OK);
    buf[len] = '\0';
    assert_string_equal(buf,
        "|||o|none|P&lt;1&gt;|/omni/click?o=o&amp;to=%2Fx%3Fa%3D1||1|1|0.00|"
        "0|0||||"
        "awareness|-|/a b||?|EUR|no size|");

    omni_campaigns_free(cs);
}


/* the longest link, all of it escaped, still makes a click URL */

static void
test_long_click_url(void **state)
{
    char                *json, *buf;
    size_t               len;
    omni_decision_t      d;
    omni_campaigns_t    *cs;
    omni_decide_conf_t   conf;

    (void) state;

    json = malloc(2 * OMNI_LINK_MAX);
    buf = malloc(8 * OMNI_LINK_MAX);
    assert_non_null(json);
    assert_non_null(buf);

    len = sprintf(json, "{\"offers\": [{\"id\": \"o\", \"html\": "
                  "\"{{click_url}}\", \"link\": \"/");
    memset(json + len, '%', OMNI_LINK_MAX - 1);
    strcpy(json + len + OMNI_LINK_MAX - 1, "\"}]}");

    cs = load(json, strlen(json));

    omni_decide_conf_init(&conf);
    conf.click_path.data = buf + 6 * OMNI_LINK_MAX;
    conf.click_path.len = OMNI_CLICK_PATH_MAX;
    memset(buf + 6 * OMNI_LINK_MAX, 'p', OMNI_CLICK_PATH_MAX);

    omni_facts_init(&facts);
    facts.now = NOW;
    assert_int_equal(omni_decide(cs, &conf, &facts, &d, NULL), OMNI_OK);
    assert_int_equal(omni_offer_render(cs, &conf, &facts, &d, NULL, buf,
                                       6 * OMNI_LINK_MAX, &len), OMNI_OK);

    /* path, "?o=o&amp;to=%2F", then "%25" for each "%" */
    assert_int_equal(len, OMNI_CLICK_PATH_MAX + 15
                          + 3 * (OMNI_LINK_MAX - 1));
    assert_memory_equal(buf + len - 6, "%25%25", 6);

    omni_campaigns_free(cs);
    free(json);
    free(buf);
}


static void
test_tags(void **state)
{
    char               buf[2048];
    size_t             len, need, n;
    omni_campaigns_t  *cs;

    (void) state;

    cs = load_str("{\"settings\": {\"currency\": \"EUR\"}, \"tags\": ["
                  " {\"id\": \"ads\", \"consent\": \"ads\", \"head\": \"<A>\","
                  "  \"events\": {\"view\": \"[v {{item|js}}]\","
                  "   \"purchase\": \"[p {{order|url}} {{value|number}} "
                  "{{currency}} {{items}}]\"}},"
                  " {\"id\": \"stats\", \"consent\": \"analytics\", "
                  "\"head\": \"<S>\"},"
                  " {\"id\": \"fraud\", \"consent\": \"necessary\", "
                  "\"events\": {\"cart\": \"[c {{value|number}} "
                  "{{item}}]\"}}]}");

    omni_facts_init(&facts);
    facts.now = NOW;

    /* no consent: only what is necessary, and no event: no snippet */
    assert_int_equal(omni_tags_render(cs, 0, &facts, buf, sizeof(buf), &len),
                     OMNI_OK);
    assert_int_equal(len, 0);

    assert_int_equal(omni_tags_render(cs, OMNI_CONSENT_ADS
                                          | OMNI_CONSENT_ANALYTICS,
                                      &facts, buf, sizeof(buf), &len),
                     OMNI_OK);
    buf[len] = '\0';
    assert_string_equal(buf, "<A><S>");

    facts.event = OMNI_TAG_VIEW;
    facts.event_item = (omni_str_t) S("SKU-'1</script>");
    assert_int_equal(omni_tags_render(cs, OMNI_CONSENT_ADS, &facts, buf,
                                      sizeof(buf), &len), OMNI_OK);
    buf[len] = '\0';
    assert_string_equal(buf, "<A>[v SKU-\\x271\\x3C/script\\x3E]");

    facts.event = OMNI_TAG_CART;
    facts.event_value = 123456;
    assert_int_equal(omni_tags_render(cs, OMNI_CONSENT_ANALYTICS, &facts, buf,
                                      sizeof(buf), &len), OMNI_OK);
    buf[len] = '\0';
    assert_string_equal(buf, "<S>[c 1234.56 SKU-&#39;1&lt;/script&gt;]");

    facts.event = OMNI_TAG_PURCHASE;
    facts.event_order = (omni_str_t) S("A 1");
    facts.event_items = (omni_str_t) S("SKU-1,SKU-2");
    facts.event_value = 5;
    assert_int_equal(omni_tags_render(cs, ~0u, &facts, buf, sizeof(buf),
                                      &len), OMNI_OK);
    buf[len] = '\0';
    assert_string_equal(buf, "<A>[p A%201 0.05 EUR SKU-1,SKU-2]<S>");

    need = len;

    for (n = 0; n < need; n++) {
        assert_int_equal(omni_tags_render(cs, ~0u, &facts, buf, n, &len),
                         OMNI_ETOOBIG);
        assert_int_equal(len, need);
    }

    assert_int_equal(omni_tags_render(cs, ~0u, &facts, NULL, 0, &len),
                     OMNI_ETOOBIG);
    assert_int_equal(len, need);

    /* an event out of range gets no snippet */
    facts.event = (omni_tag_event_e) 9;
    assert_int_equal(omni_tags_render(cs, ~0u, &facts, buf, sizeof(buf),
                                      &len), OMNI_OK);
    assert_int_equal(len, 6);

    omni_campaigns_free(cs);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_vip),
        cmocka_unit_test(test_vip_time_window),
        cmocka_unit_test(test_vip_abandoned_cart),
        cmocka_unit_test(test_new_visitors),
        cmocka_unit_test(test_returning_browser),
        cmocka_unit_test(test_priority_and_ties),
        cmocka_unit_test(test_eligibility),
        cmocka_unit_test(test_caps_per_visit),
        cmocka_unit_test(test_purchase_suppression),
        cmocka_unit_test(test_trace_format),
        cmocka_unit_test(test_click_url),
        cmocka_unit_test(test_offer_render_fields),
        cmocka_unit_test(test_long_click_url),
        cmocka_unit_test(test_tags),
    };

    return cmocka_run_group_tests_name("decide", tests, setup, teardown);
}
