/*
 * Channel of arrival (utm, click ids, referrer table, same site, config
 * rules) and device classes.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <omni/channel.h>


#define S(s)  s, sizeof(s) - 1


typedef struct {
    const char      *args;
    const char      *referer;
    omni_channel_e   channel;
    const char      *source;
    const char      *medium;
    const char      *campaign;
} case_t;


static omni_channel_rules_t  *rules;


static int
setup(void **state)
{
    (void) state;

    rules = omni_channel_rules_new();

    return rules == NULL;
}


static int
teardown(void **state)
{
    (void) state;

    omni_channel_rules_free(rules);
    rules = NULL;

    return 0;
}


static omni_str_t
str(const char *s)
{
    omni_str_t  r = omni_null_string;

    if (s != NULL) {
        r.data = s;
        r.len = strlen(s);
    }

    return r;
}


static void
classify(const char *args, const char *referer, const char *host,
    omni_touch_t *t, char *buf)
{
    omni_channel_request_t  req;

    req.args = str(args);
    req.referer = str(referer);
    req.host = str(host);

    omni_channel_classify(rules, &req, t, buf);
}


static void
check_str(const case_t *c, const char *what, omni_str_t s, const char *lit)
{
    if (lit == NULL) {
        return;
    }

    if (s.len != strlen(lit) || (s.len && memcmp(s.data, lit, s.len) != 0)) {
        fail_msg("args=%s referer=%s: %s is \"%.*s\", expected \"%s\"",
                 c->args ? c->args : "-", c->referer ? c->referer : "-",
                 what, (int) s.len, s.data ? s.data : "", lit);
    }
}


static void
run_cases(const case_t *cases, size_t n)
{
    char          buf[OMNI_CHANNEL_BUF_SIZE];
    size_t        i;
    omni_touch_t  t;

    for (i = 0; i < n; i++) {
        const case_t  *c = &cases[i];

        memset(buf, 0xaa, sizeof(buf));
        classify(c->args, c->referer, "shop.example", &t, buf);

        if (t.channel != c->channel) {
            fail_msg("args=%s referer=%s: %s, expected %s",
                     c->args ? c->args : "-", c->referer ? c->referer : "-",
                     omni_channel_name(t.channel),
                     omni_channel_name(c->channel));
        }

        check_str(c, "source", t.source, c->source);
        check_str(c, "medium", t.medium, c->medium);
        check_str(c, "campaign", t.campaign, c->campaign);
        assert_true(t.at == 0);
    }
}


static void
test_utm_medium(void **state)
{
    static const case_t  cases[] = {
        { "utm_source=newsletter&utm_medium=email&utm_campaign=spring",
          NULL, OMNI_CHANNEL_EMAIL, "newsletter", "email", "spring" },
        { "utm_medium=E-Mail", NULL, OMNI_CHANNEL_EMAIL, "", "E-Mail", "" },
        { "utm_medium=newsletter", NULL, OMNI_CHANNEL_EMAIL, NULL, NULL,
          NULL },
        { "utm_source=google&utm_medium=cpc", NULL,
          OMNI_CHANNEL_PAID_SEARCH, "google", "cpc", "" },
        { "utm_medium=ppc", NULL, OMNI_CHANNEL_PAID_SEARCH, NULL, NULL,
          NULL },
        { "utm_medium=paidsearch", NULL, OMNI_CHANNEL_PAID_SEARCH, NULL,
          NULL, NULL },
        /* a paid medium on a social network */
        { "utm_source=facebook&utm_medium=cpc", NULL,
          OMNI_CHANNEL_PAID_SOCIAL, "facebook", "cpc", NULL },
        { "utm_source=instagram.com&utm_medium=paid", NULL,
          OMNI_CHANNEL_PAID_SOCIAL, NULL, NULL, NULL },
        { "utm_source=facebook&utm_medium=social", NULL,
          OMNI_CHANNEL_SOCIAL, NULL, NULL, NULL },
        { "utm_medium=paid_social", NULL, OMNI_CHANNEL_PAID_SOCIAL, NULL,
          NULL, NULL },
        { "utm_medium=paidsocial", NULL, OMNI_CHANNEL_PAID_SOCIAL, NULL,
          NULL, NULL },
        { "utm_medium=display", NULL, OMNI_CHANNEL_DISPLAY, NULL, NULL,
          NULL },
        { "utm_medium=banner", NULL, OMNI_CHANNEL_DISPLAY, NULL, NULL, NULL },
        { "utm_medium=CPM", NULL, OMNI_CHANNEL_DISPLAY, NULL, NULL, NULL },
        { "utm_medium=affiliate", NULL, OMNI_CHANNEL_AFFILIATE, NULL, NULL,
          NULL },
        { "utm_medium=sms", NULL, OMNI_CHANNEL_SMS, NULL, NULL, NULL },
        { "utm_medium=push", NULL, OMNI_CHANNEL_PUSH, NULL, NULL, NULL },
        { "utm_medium=web-push", NULL, OMNI_CHANNEL_PUSH, NULL, NULL, NULL },
        { "utm_medium=referral", NULL, OMNI_CHANNEL_REFERRAL, NULL, NULL,
          NULL },
        { "utm_medium=organic&utm_source=google", NULL, OMNI_CHANNEL_SEARCH,
          NULL, NULL, NULL },
        /* an unknown medium: the source decides */
        { "utm_medium=qr&utm_source=twitter", NULL, OMNI_CHANNEL_SOCIAL,
          "twitter", "qr", NULL },
        { "utm_medium=qr&utm_source=flyer", NULL, OMNI_CHANNEL_REFERRAL,
          NULL, NULL, NULL },
        { "utm_medium=qr", NULL, OMNI_CHANNEL_REFERRAL, NULL, NULL, NULL },
        /* utm beats the referrer and click ids */
        { "utm_medium=email&gclid=x", "https://www.google.com/",
          OMNI_CHANNEL_EMAIL, NULL, NULL, NULL },
        /* even on a same-site referrer */
        { "utm_medium=email", "https://shop.example/a", OMNI_CHANNEL_EMAIL,
          NULL, NULL, NULL },
    };

    (void) state;

    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}


static void
test_utm_decoding(void **state)
{
    static const case_t  cases[] = {
        { "utm_medium=email&utm_campaign=spring+sale%21", NULL,
          OMNI_CHANNEL_EMAIL, NULL, NULL, "spring sale!" },
        { "utm_medium=email&utm_campaign=caf%C3%A9", NULL,
          OMNI_CHANNEL_EMAIL, NULL, NULL, "caf\xc3\xa9" },
        /* bad escapes stay, control bytes become "_" */
        { "utm_medium=email&utm_campaign=a%zz%4", NULL, OMNI_CHANNEL_EMAIL,
          NULL, NULL, "a%zz%4" },
        { "utm_medium=email&utm_campaign=a%0Ab%00c%7f", NULL,
          OMNI_CHANNEL_EMAIL, NULL, NULL, "a_b_c_" },
        /* the first of repeated keys wins; empty values do not count */
        { "utm_medium=&utm_medium=sms&utm_medium=email", NULL,
          OMNI_CHANNEL_SMS, NULL, "sms", NULL },
        /* keys without "=", stray "&" */
        { "&&utm_medium&foo=1&utm_medium=push&", NULL, OMNI_CHANNEL_PUSH,
          NULL, "push", NULL },
        /* only whole keys match */
        { "xutm_medium=email&utm_mediumx=email", NULL, OMNI_CHANNEL_DIRECT,
          "", NULL, NULL },
        { "UTM_MEDIUM=email", NULL, OMNI_CHANNEL_EMAIL, NULL, NULL, NULL },
        /* not UTF-8: each bad byte becomes "?" */
        { "utm_medium=email&utm_campaign=a%FFb%C3", NULL,
          OMNI_CHANNEL_EMAIL, NULL, NULL, "a?b?" },
        { "utm_medium=email&utm_campaign=%C0%AF%ED%A0%80%F4%90%80%80", NULL,
          OMNI_CHANNEL_EMAIL, NULL, NULL, "?????????" },
        { "utm_medium=email&utm_campaign=%E2%82x%F0%9F%98%80", NULL,
          OMNI_CHANNEL_EMAIL, NULL, NULL, "??x\xf0\x9f\x98\x80" },
    };

    (void) state;

    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}


static void
test_utm_cut(void **state)
{
    char          args[1024], buf[OMNI_CHANNEL_BUF_SIZE], *p;
    size_t        i;
    omni_touch_t  t;

    (void) state;

    /* ASCII: cut at exactly OMNI_UTM_MAX */
    p = args + sprintf(args, "utm_medium=email&utm_campaign=");
    memset(p, 'c', 300);
    p[300] = '\0';
    classify(args, NULL, NULL, &t, buf);
    assert_int_equal(t.campaign.len, OMNI_UTM_MAX);

    /* two-byte characters from an odd offset: the split one is dropped */
    p = args + sprintf(args, "utm_medium=email&utm_campaign=x");

    for (i = 0; i < 100; i++) {
        p += sprintf(p, "%%C3%%A9");
    }

    classify(args, NULL, NULL, &t, buf);
    assert_int_equal(t.campaign.len, OMNI_UTM_MAX - 1);
    assert_int_equal((uint8_t) t.campaign.data[t.campaign.len - 1], 0xa9);

    /* three-byte characters: 1 + 42 * 3 = 127, the 43rd would split */
    p = args + sprintf(args, "utm_medium=email&utm_campaign=x");

    for (i = 0; i < 60; i++) {
        p += sprintf(p, "\xe2\x82\xac");
    }

    classify(args, NULL, NULL, &t, buf);
    assert_int_equal(t.campaign.len, 127);

    /* the three values and the host never overlap in buf */
    p = args + sprintf(args, "utm_source=");
    memset(p, 's', 200);
    p += 200;
    p += sprintf(p, "&utm_medium=");
    memset(p, 'm', 200);
    p += 200;
    p += sprintf(p, "&utm_campaign=");
    memset(p, 'k', 200);
    p[200] = '\0';
    classify(args, NULL, NULL, &t, buf);
    assert_int_equal(t.source.len, OMNI_UTM_MAX);
    assert_int_equal(t.medium.len, OMNI_UTM_MAX);
    assert_int_equal(t.campaign.len, OMNI_UTM_MAX);
    assert_int_equal(t.source.data[OMNI_UTM_MAX - 1], 's');
    assert_int_equal(t.medium.data[OMNI_UTM_MAX - 1], 'm');
    assert_int_equal(t.campaign.data[OMNI_UTM_MAX - 1], 'k');
    assert_true(t.source.data >= buf && t.campaign.data + OMNI_UTM_MAX
                                        <= buf + OMNI_CHANNEL_BUF_SIZE);
}


static void
test_click_ids(void **state)
{
    static const case_t  cases[] = {
        { "gclid=abc", NULL, OMNI_CHANNEL_PAID_SEARCH, "google", "cpc", "" },
        { "x=1&gbraid=abc", NULL, OMNI_CHANNEL_PAID_SEARCH, "google", NULL,
          NULL },
        { "wbraid=abc", NULL, OMNI_CHANNEL_PAID_SEARCH, "google", NULL,
          NULL },
        { "msclkid=abc", NULL, OMNI_CHANNEL_PAID_SEARCH, "bing", NULL,
          NULL },
        { "dclid=abc", NULL, OMNI_CHANNEL_DISPLAY, "google", "display",
          NULL },
        { "fbclid=abc", "https://l.facebook.com/", OMNI_CHANNEL_SOCIAL,
          "facebook", "social", NULL },
        { "ttclid=abc", NULL, OMNI_CHANNEL_PAID_SOCIAL, "tiktok",
          "paid_social", NULL },
        { "twclid=abc", NULL, OMNI_CHANNEL_PAID_SOCIAL, "twitter", NULL,
          NULL },
        { "li_fat_id=abc", NULL, OMNI_CHANNEL_PAID_SOCIAL, "linkedin", NULL,
          NULL },
        { "ScCid=abc", NULL, OMNI_CHANNEL_PAID_SOCIAL, "snapchat", NULL,
          NULL },
        { "mc_cid=abc", NULL, OMNI_CHANNEL_EMAIL, "mailchimp", "email",
          NULL },
        /* a utm_source names the source; a campaign is kept */
        { "gclid=abc&utm_source=adwords&utm_campaign=brand", NULL,
          OMNI_CHANNEL_PAID_SEARCH, "adwords", "cpc", "brand" },
        /* the first click id wins */
        { "msclkid=a&gclid=b", NULL, OMNI_CHANNEL_PAID_SEARCH, "bing", NULL,
          NULL },
        /* a click id without a value is no click */
        { "gclid=", NULL, OMNI_CHANNEL_DIRECT, NULL, NULL, NULL },
        { "gclid", NULL, OMNI_CHANNEL_DIRECT, NULL, NULL, NULL },
    };

    (void) state;

    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}


static void
test_utm_source_alone(void **state)
{
    static const case_t  cases[] = {
        { "utm_source=facebook", NULL, OMNI_CHANNEL_SOCIAL, "facebook",
          "social", "" },
        { "utm_source=LinkedIn", NULL, OMNI_CHANNEL_SOCIAL, "LinkedIn", NULL,
          NULL },
        { "utm_source=t.co", NULL, OMNI_CHANNEL_SOCIAL, NULL, NULL, NULL },
        { "utm_source=www.reddit.com", NULL, OMNI_CHANNEL_SOCIAL, NULL,
          NULL, NULL },
        { "utm_source=bing", NULL, OMNI_CHANNEL_SEARCH, NULL, "organic",
          NULL },
        { "utm_source=newsletter", NULL, OMNI_CHANNEL_EMAIL, NULL, "email",
          NULL },
        { "utm_source=weekly-mailing", NULL, OMNI_CHANNEL_EMAIL, NULL, NULL,
          NULL },
        { "utm_source=partner-blog", "https://www.google.com/",
          OMNI_CHANNEL_REFERRAL, "partner-blog", "referral", NULL },
    };

    (void) state;

    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}


static void
test_referrer_table(void **state)
{
    static const case_t  cases[] = {
        { NULL, "https://www.google.com/search?q=shoes", OMNI_CHANNEL_SEARCH,
          "google.com", "organic", "" },
        { NULL, "https://www.google.co.uk/", OMNI_CHANNEL_SEARCH,
          "google.co.uk", NULL, NULL },
        { NULL, "https://google.de", OMNI_CHANNEL_SEARCH, "google.de", NULL,
          NULL },
        { NULL, "https://WWW.Bing.COM:443/search", OMNI_CHANNEL_SEARCH,
          "bing.com", NULL, NULL },
        { NULL, "https://duckduckgo.com/", OMNI_CHANNEL_SEARCH, NULL, NULL,
          NULL },
        { NULL, "https://search.yahoo.co.jp/", OMNI_CHANNEL_SEARCH, NULL,
          NULL, NULL },
        { NULL, "https://yandex.ru/search", OMNI_CHANNEL_SEARCH, NULL, NULL,
          NULL },
        { NULL, "https://search.brave.com/", OMNI_CHANNEL_SEARCH, NULL, NULL,
          NULL },
        { NULL, "https://l.facebook.com/l.php?u=x", OMNI_CHANNEL_SOCIAL,
          "l.facebook.com", "social", NULL },
        { NULL, "https://m.facebook.com/", OMNI_CHANNEL_SOCIAL, NULL, NULL,
          NULL },
        { NULL, "https://t.co/abc", OMNI_CHANNEL_SOCIAL, "t.co", NULL,
          NULL },
        { NULL, "https://www.linkedin.com/feed", OMNI_CHANNEL_SOCIAL, NULL,
          NULL, NULL },
        { NULL, "https://old.reddit.com/r/x", OMNI_CHANNEL_SOCIAL, NULL,
          NULL, NULL },
        { NULL, "https://www.pinterest.co.uk/", OMNI_CHANNEL_SOCIAL, NULL,
          NULL, NULL },
        { NULL, "https://www.youtube.com/", OMNI_CHANNEL_SOCIAL, NULL, NULL,
          NULL },
        /* a longer host rule beats the google.* one */
        { NULL, "https://mail.google.com/mail/u/0/", OMNI_CHANNEL_EMAIL,
          "mail.google.com", "email", NULL },
        { NULL, "https://outlook.live.com/", OMNI_CHANNEL_EMAIL, NULL, NULL,
          NULL },
        { NULL, "https://mail.yahoo.com/", OMNI_CHANNEL_EMAIL, NULL, NULL,
          NULL },
        /* any webmail host */
        { NULL, "https://webmail.example.net/", OMNI_CHANNEL_EMAIL, NULL,
          NULL, NULL },
        { NULL, "https://mail.example.net/", OMNI_CHANNEL_EMAIL, NULL, NULL,
          NULL },
        /* Android apps */
        { NULL, "android-app://com.google.android.gm", OMNI_CHANNEL_EMAIL,
          "com.google.android.gm", NULL, NULL },
        { NULL, "android-app://com.google.android.googlequicksearchbox/",
          OMNI_CHANNEL_SEARCH, NULL, NULL, NULL },
        { NULL, "android-app://com.facebook.katana", OMNI_CHANNEL_SOCIAL,
          NULL, NULL, NULL },
        { NULL, "android-app://com.google.android.calendar",
          OMNI_CHANNEL_REFERRAL, "com.google.android.calendar", NULL, NULL },
        /* anything else is a referral from its host */
        { NULL, "https://blog.example.org/post?x=1", OMNI_CHANNEL_REFERRAL,
          "blog.example.org", "referral", NULL },
        { NULL, "http://user:pw@www.partner.example:8080/x",
          OMNI_CHANNEL_REFERRAL, "partner.example", NULL, NULL },
        { NULL, "https://[2001:db8::1]:8443/", OMNI_CHANNEL_REFERRAL,
          "[2001:db8::1]", NULL, NULL },
        { NULL, "https://googleusercontent.example/", OMNI_CHANNEL_REFERRAL,
          NULL, NULL, NULL },
        { NULL, "https://notgoogle.com/", OMNI_CHANNEL_REFERRAL, NULL, NULL,
          NULL },
        /* a campaign alone rides along */
        { "utm_campaign=spring", "https://www.google.com/",
          OMNI_CHANNEL_SEARCH, NULL, NULL, "spring" },
    };

    (void) state;

    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}


static void
test_direct_and_same_site(void **state)
{
    static const case_t  cases[] = {
        { NULL, NULL, OMNI_CHANNEL_DIRECT, "", "(none)", "" },
        { "", "", OMNI_CHANNEL_DIRECT, NULL, NULL, NULL },
        { "utm_campaign=x", NULL, OMNI_CHANNEL_DIRECT, NULL, NULL, "x" },
        /* unreadable referrers count as none */
        { NULL, "not a url", OMNI_CHANNEL_DIRECT, NULL, NULL, NULL },
        { NULL, "https://", OMNI_CHANNEL_DIRECT, NULL, NULL, NULL },
        { NULL, "https:///path", OMNI_CHANNEL_DIRECT, NULL, NULL, NULL },
        { NULL, "//www.google.com/", OMNI_CHANNEL_DIRECT, NULL, NULL, NULL },
        { NULL, "https://bad host/", OMNI_CHANNEL_DIRECT, NULL, NULL, NULL },
        { NULL, "https://b\xc3\xbc" "cher.example/", OMNI_CHANNEL_DIRECT, NULL,
          NULL, NULL },
        { NULL, "https://xn--bcher-kva.example/", OMNI_CHANNEL_REFERRAL,
          "xn--bcher-kva.example", NULL, NULL },
        /* the site itself: no new touch */
        { NULL, "https://shop.example/cart", OMNI_CHANNEL_NONE, "", "", "" },
        { NULL, "http://SHOP.example:8080/", OMNI_CHANNEL_NONE, NULL, NULL,
          NULL },
        { NULL, "https://www.shop.example/", OMNI_CHANNEL_NONE, NULL, NULL,
          NULL },
        { NULL, "https://checkout.shop.example/", OMNI_CHANNEL_NONE, NULL,
          NULL, NULL },
        { NULL, "https://shop.example./", OMNI_CHANNEL_NONE, NULL, NULL,
          NULL },
        { "page=2", "https://shop.example/", OMNI_CHANNEL_NONE, NULL, NULL,
          NULL },
        /* names that merely end alike are not the site */
        { NULL, "https://myshop.example/", OMNI_CHANNEL_REFERRAL,
          "myshop.example", NULL, NULL },
        { NULL, "https://example/", OMNI_CHANNEL_REFERRAL, NULL, NULL, NULL },
    };

    (void) state;

    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}


static void
test_same_site_hosts(void **state)
{
    char          buf[OMNI_CHANNEL_BUF_SIZE];
    omni_touch_t  t;

    (void) state;

    /* the request host may carry a port, www., upper case */
    classify(NULL, "https://shop.example/", "WWW.Shop.Example:8443", &t, buf);
    assert_int_equal(t.channel, OMNI_CHANNEL_NONE);

    /* a site on a subdomain: its parent domain is the same site */
    classify(NULL, "https://example.com/", "shop.example.com", &t, buf);
    assert_int_equal(t.channel, OMNI_CHANNEL_NONE);
    classify(NULL, "https://le.com/", "shop.example.com", &t, buf);
    assert_int_equal(t.channel, OMNI_CHANNEL_REFERRAL);

    /* without a host everything external is external */
    classify(NULL, "https://shop.example/", NULL, &t, buf);
    assert_int_equal(t.channel, OMNI_CHANNEL_REFERRAL);
    classify(NULL, "https://shop.example/", "www.", &t, buf);
    assert_int_equal(t.channel, OMNI_CHANNEL_REFERRAL);
}


static void
test_rules_config(void **state)
{
    char          buf[OMNI_CHANNEL_BUF_SIZE];
    omni_touch_t  t;

    (void) state;

    assert_int_equal(omni_channel_rules_add(rules, S("Partner.Example"),
                                            OMNI_CHANNEL_AFFILIATE),
                     OMNI_OK);
    classify(NULL, "https://deals.partner.example/x", "shop.example", &t,
             buf);
    assert_int_equal(t.channel, OMNI_CHANNEL_AFFILIATE);
    assert_int_equal(omni_channel_of_host(rules, S("partner.example")),
                     OMNI_CHANNEL_AFFILIATE);

    /* a payment provider sending the buyer back: part of the site */
    assert_int_equal(omni_channel_rules_add(rules, S("paypal.com"),
                                            OMNI_CHANNEL_NONE), OMNI_OK);
    classify(NULL, "https://www.paypal.com/checkout", "shop.example", &t,
             buf);
    assert_int_equal(t.channel, OMNI_CHANNEL_NONE);

    /* replacing a built-in rule, and a subdomain rule beating it */
    assert_int_equal(omni_channel_rules_add(rules, S("youtube.com"),
                                            OMNI_CHANNEL_DISPLAY), OMNI_OK);
    assert_int_equal(omni_channel_of_host(rules, S("www.youtube.com")),
                     OMNI_CHANNEL_DISPLAY);
    assert_int_equal(omni_channel_rules_add(rules, S("docs.google.com"),
                                            OMNI_CHANNEL_REFERRAL), OMNI_OK);
    assert_int_equal(omni_channel_of_host(rules, S("docs.google.com")),
                     OMNI_CHANNEL_REFERRAL);
    assert_int_equal(omni_channel_of_host(rules, S("www.google.com")),
                     OMNI_CHANNEL_SEARCH);

    /* a name.* rule: one label, any one- or two-label suffix */
    assert_int_equal(omni_channel_rules_add(rules, S("shopping.*"),
                                            OMNI_CHANNEL_AFFILIATE), OMNI_OK);
    assert_int_equal(omni_channel_of_host(rules, S("shopping.de")),
                     OMNI_CHANNEL_AFFILIATE);
    assert_int_equal(omni_channel_of_host(rules, S("www.shopping.co.uk")),
                     OMNI_CHANNEL_AFFILIATE);
    assert_int_equal(omni_channel_of_host(rules, S("shopping.a.b.c")),
                     OMNI_CHANNEL_REFERRAL);
    assert_int_equal(omni_channel_of_host(rules, S("shopping")),
                     OMNI_CHANNEL_REFERRAL);

    /* bad rules */
    assert_int_equal(omni_channel_rules_add(rules, S(""), OMNI_CHANNEL_SMS),
                     OMNI_EINVAL);
    assert_int_equal(omni_channel_rules_add(rules, S(".a.com"),
                                            OMNI_CHANNEL_SMS), OMNI_EINVAL);
    assert_int_equal(omni_channel_rules_add(rules, S("a.com."),
                                            OMNI_CHANNEL_SMS), OMNI_EINVAL);
    assert_int_equal(omni_channel_rules_add(rules, S("a..com"),
                                            OMNI_CHANNEL_SMS), OMNI_EINVAL);
    assert_int_equal(omni_channel_rules_add(rules, S("a b.com"),
                                            OMNI_CHANNEL_SMS), OMNI_EINVAL);
    assert_int_equal(omni_channel_rules_add(rules, S("*.a.com"),
                                            OMNI_CHANNEL_SMS), OMNI_EINVAL);
    assert_int_equal(omni_channel_rules_add(rules, S("a.b.*"),
                                            OMNI_CHANNEL_SMS), OMNI_EINVAL);
    assert_int_equal(omni_channel_rules_add(rules, S(".*"),
                                            OMNI_CHANNEL_SMS), OMNI_EINVAL);
    assert_int_equal(omni_channel_rules_add(rules, S("a.com"),
                                            OMNI_CHANNEL_MAX), OMNI_EINVAL);
    assert_int_equal(omni_channel_rules_add(rules, NULL, 0,
                                            OMNI_CHANNEL_SMS), OMNI_EINVAL);
}


static void
test_rules_many(void **state)
{
    char                   host[64];
    size_t                 i, len;
    omni_channel_rules_t  *r;

    (void) state;

    /* the table grows; every rule stays reachable */
    r = omni_channel_rules_new();
    assert_non_null(r);

    for (i = 0; i < 2000; i++) {
        len = (size_t) sprintf(host, "h%zu.example", i);
        assert_int_equal(omni_channel_rules_add(r, host, len,
                                                (omni_channel_e) (i % 11 + 1)),
                         OMNI_OK);
    }

    for (i = 0; i < 2000; i++) {
        len = (size_t) sprintf(host, "www.h%zu.example", i);
        assert_int_equal(omni_channel_of_host(r, host, len), i % 11 + 1);
    }

    assert_int_equal(omni_channel_of_host(r, S("google.com")),
                     OMNI_CHANNEL_SEARCH);
    omni_channel_rules_free(r);
    omni_channel_rules_free(NULL);
}


static void
test_channel_names(void **state)
{
    unsigned        c;
    omni_channel_e  ch;

    (void) state;

    for (c = 0; c < OMNI_CHANNEL_MAX; c++) {
        const char  *name = omni_channel_name((omni_channel_e) c);

        assert_int_equal(omni_channel_parse(name, strlen(name), &ch),
                         OMNI_OK);
        assert_int_equal(ch, c);
        assert_int_equal(omni_channel_by_name(name, strlen(name)), c);
    }

    assert_string_equal(omni_channel_name(OMNI_CHANNEL_PAID_SEARCH),
                        "paid_search");
    assert_string_equal(omni_channel_name(OMNI_CHANNEL_MAX), "none");
    assert_int_equal(omni_channel_parse(S("Email"), &ch), OMNI_OK);
    assert_int_equal(ch, OMNI_CHANNEL_EMAIL);
    assert_int_equal(omni_channel_parse(S("mail"), &ch), OMNI_EINVAL);
    assert_int_equal(omni_channel_parse(S(""), &ch), OMNI_EINVAL);
    assert_int_equal(omni_channel_by_name(S("bogus")), OMNI_CHANNEL_NONE);
}


static void
test_device(void **state)
{
    static const struct {
        const char     *ua;
        omni_device_e   device;
    } cases[] = {
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
          OMNI_DEVICE_DESKTOP },
        { "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15"
          " (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
          OMNI_DEVICE_DESKTOP },
        { "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 "
          "Firefox/121.0", OMNI_DEVICE_DESKTOP },
        { "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) "
          "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
          "Mobile/15E148 Safari/604.1", OMNI_DEVICE_MOBILE },
        { "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
          OMNI_DEVICE_MOBILE },
        { "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
          OMNI_DEVICE_MOBILE },
        { "Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; "
          "Lumia 950) AppleWebKit/537.36", OMNI_DEVICE_MOBILE },
        { "Opera/9.80 (J2ME/MIDP; Opera Mini/9.80)", OMNI_DEVICE_MOBILE },
        { "Mozilla/5.0 (BlackBerry; U; BlackBerry 9900; en)",
          OMNI_DEVICE_MOBILE },
        { "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15"
          " (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
          OMNI_DEVICE_TABLET },
        { "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
          OMNI_DEVICE_TABLET },
        { "Mozilla/5.0 (Linux; U; Android 4.0.3; KFTT Build/IML74K) "
          "AppleWebKit/537.36 (KHTML, like Gecko) Silk/3.68 like Chrome",
          OMNI_DEVICE_TABLET },
        { "Mozilla/5.0 (Android 12; Tablet; rv:120.0) Gecko/120.0 "
          "Firefox/120.0", OMNI_DEVICE_TABLET },
        { "Mozilla/5.0 (compatible; Googlebot/2.1; "
          "+http://www.google.com/bot.html)", OMNI_DEVICE_BOT },
        { "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) "
          "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Mobile "
          "Safari/537.36 (compatible; Googlebot/2.1)", OMNI_DEVICE_BOT },
        { "Mozilla/5.0 (compatible; bingbot/2.0)", OMNI_DEVICE_BOT },
        { "Mozilla/5.0 (compatible; AhrefsBot/7.0)", OMNI_DEVICE_BOT },
        { "Mozilla/5.0 (compatible; YandexBot/3.0)", OMNI_DEVICE_BOT },
        { "Mozilla/5.0 (compatible; Yahoo! Slurp)", OMNI_DEVICE_BOT },
        { "Baiduspider+(+http://www.baidu.com/search/spider.htm)",
          OMNI_DEVICE_BOT },
        { "facebookexternalhit/1.1", OMNI_DEVICE_BOT },
        { "curl/7.88.1", OMNI_DEVICE_BOT },
        { "Wget/1.21.3", OMNI_DEVICE_BOT },
        { "python-requests/2.31.0", OMNI_DEVICE_BOT },
        { "Go-http-client/1.1", OMNI_DEVICE_BOT },
        { "Apache-HttpClient/4.5.14 (Java/17)", OMNI_DEVICE_BOT },
        { "okhttp/4.12.0", OMNI_DEVICE_BOT },
        { "axios/1.6.2", OMNI_DEVICE_BOT },
        { "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like "
          "Gecko) HeadlessChrome/120.0.0.0 Safari/537.36", OMNI_DEVICE_BOT },
        { "Mozilla/5.0 (Linux; Android 11; moto g power) AppleWebKit/537.36 "
          "Chrome-Lighthouse", OMNI_DEVICE_BOT },
        { "", OMNI_DEVICE_BOT },
        { "x", OMNI_DEVICE_DESKTOP },
        { "bo", OMNI_DEVICE_DESKTOP },
        { "mob", OMNI_DEVICE_DESKTOP },
    };
    size_t  i;

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        omni_device_e  d = omni_device_classify(cases[i].ua,
                                                strlen(cases[i].ua));

        if (d != cases[i].device) {
            fail_msg("%s: %s, expected %s", cases[i].ua, omni_device_name(d),
                     omni_device_name(cases[i].device));
        }
    }

    assert_int_equal(omni_device_classify(NULL, 0), OMNI_DEVICE_BOT);
    /* only len bytes are read */
    assert_int_equal(omni_device_classify("iPhone", 2), OMNI_DEVICE_DESKTOP);
    assert_string_equal(omni_device_name(OMNI_DEVICE_TABLET), "tablet");
    assert_string_equal(omni_device_name(OMNI_DEVICE_MAX), "");
    assert_string_equal(omni_device_name(OMNI_DEVICE_UNKNOWN), "unknown");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_utm_medium, setup, teardown),
        cmocka_unit_test_setup_teardown(test_utm_decoding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_utm_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_click_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_utm_source_alone, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_referrer_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_direct_and_same_site, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_same_site_hosts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rules_config, setup, teardown),
        cmocka_unit_test(test_rules_many),
        cmocka_unit_test(test_channel_names),
        cmocka_unit_test(test_device),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
