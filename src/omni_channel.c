/*
 * Channel of arrival: query string, click ids and the Referer's host.
 *
 * The referrer rules live in one open-addressing hash table keyed by host
 * suffix (and, for "name.*" rules, by label), so classifying a referrer is
 * a few lookups whatever the size of the table.
 */

#include <stdlib.h>
#include <string.h>

#include <omni/channel.h>


#define omni_lower(c)     (((c) >= 'A' && (c) <= 'Z') ? ((c) | 0x20) : (c))
#define omni_hexval(c)                                                        \
    (((c) >= '0' && (c) <= '9') ? (c) - '0'                                   \
     : ((c) >= 'a' && (c) <= 'f') ? (c) - 'a' + 10                            \
     : ((c) >= 'A' && (c) <= 'F') ? (c) - 'A' + 10 : -1)

#define OMNI_RULE_WILDCARD   0x01
#define OMNI_RULE_OWNED      0x02

/* what a User-Agent has shown so far */
#define OMNI_UA_TABLET       0x01
#define OMNI_UA_ANDROID      0x02
#define OMNI_UA_MOBI         0x04
#define OMNI_UA_PHONE        0x08


typedef struct {
    const char      *key;               /* lower case; NULL: free slot */
    uint32_t         len;
    uint8_t          channel;
    uint8_t          flags;             /* OMNI_RULE_* */
} omni_rule_t;


struct omni_channel_rules_s {
    omni_rule_t     *slots;
    size_t           size;              /* a power of two */
    size_t           n;
};


typedef struct {
    const char      *name;
    omni_channel_e   channel;
} omni_name_map_t;


typedef struct {
    const char      *name;
    omni_channel_e   channel;
    const char      *source;
} omni_click_id_t;


static const char  *omni_channel_names[] = {
    "none", "direct", "search", "paid_search", "social", "paid_social",
    "email", "sms", "push", "display", "affiliate", "referral"
};


/*
 * The built-in referrer table.  Android apps send "android-app://PACKAGE"
 * as the referrer: their package names are looked up the same way.
 */
static const omni_name_map_t  omni_builtin_hosts[] = {
    { "google.*",               OMNI_CHANNEL_SEARCH },
    { "bing.com",               OMNI_CHANNEL_SEARCH },
    { "yahoo.*",                OMNI_CHANNEL_SEARCH },
    { "duckduckgo.com",         OMNI_CHANNEL_SEARCH },
    { "baidu.com",              OMNI_CHANNEL_SEARCH },
    { "yandex.*",               OMNI_CHANNEL_SEARCH },
    { "ya.ru",                  OMNI_CHANNEL_SEARCH },
    { "ecosia.org",             OMNI_CHANNEL_SEARCH },
    { "ask.com",                OMNI_CHANNEL_SEARCH },
    { "search.brave.com",       OMNI_CHANNEL_SEARCH },
    { "qwant.com",              OMNI_CHANNEL_SEARCH },
    { "startpage.com",          OMNI_CHANNEL_SEARCH },
    { "kagi.com",               OMNI_CHANNEL_SEARCH },
    { "naver.com",              OMNI_CHANNEL_SEARCH },
    { "seznam.cz",              OMNI_CHANNEL_SEARCH },
    { "sogou.com",              OMNI_CHANNEL_SEARCH },
    { "so.com",                 OMNI_CHANNEL_SEARCH },
    { "aol.com",                OMNI_CHANNEL_SEARCH },
    { "com.google.android.googlequicksearchbox", OMNI_CHANNEL_SEARCH },

    { "facebook.com",           OMNI_CHANNEL_SOCIAL },
    { "fb.com",                 OMNI_CHANNEL_SOCIAL },
    { "fb.me",                  OMNI_CHANNEL_SOCIAL },
    { "messenger.com",          OMNI_CHANNEL_SOCIAL },
    { "instagram.com",          OMNI_CHANNEL_SOCIAL },
    { "twitter.com",            OMNI_CHANNEL_SOCIAL },
    { "t.co",                   OMNI_CHANNEL_SOCIAL },
    { "x.com",                  OMNI_CHANNEL_SOCIAL },
    { "linkedin.com",           OMNI_CHANNEL_SOCIAL },
    { "lnkd.in",                OMNI_CHANNEL_SOCIAL },
    { "pinterest.*",            OMNI_CHANNEL_SOCIAL },
    { "pin.it",                 OMNI_CHANNEL_SOCIAL },
    { "reddit.com",             OMNI_CHANNEL_SOCIAL },
    { "youtube.com",            OMNI_CHANNEL_SOCIAL },
    { "youtu.be",               OMNI_CHANNEL_SOCIAL },
    { "tiktok.com",             OMNI_CHANNEL_SOCIAL },
    { "snapchat.com",           OMNI_CHANNEL_SOCIAL },
    { "vk.com",                 OMNI_CHANNEL_SOCIAL },
    { "tumblr.com",             OMNI_CHANNEL_SOCIAL },
    { "quora.com",              OMNI_CHANNEL_SOCIAL },
    { "whatsapp.com",           OMNI_CHANNEL_SOCIAL },
    { "wa.me",                  OMNI_CHANNEL_SOCIAL },
    { "t.me",                   OMNI_CHANNEL_SOCIAL },
    { "telegram.org",           OMNI_CHANNEL_SOCIAL },
    { "threads.net",            OMNI_CHANNEL_SOCIAL },
    { "mastodon.social",        OMNI_CHANNEL_SOCIAL },
    { "bsky.app",               OMNI_CHANNEL_SOCIAL },
    { "discord.com",            OMNI_CHANNEL_SOCIAL },
    { "weibo.com",              OMNI_CHANNEL_SOCIAL },
    { "line.me",                OMNI_CHANNEL_SOCIAL },
    { "news.ycombinator.com",   OMNI_CHANNEL_SOCIAL },
    { "com.facebook.katana",    OMNI_CHANNEL_SOCIAL },
    { "com.facebook.orca",      OMNI_CHANNEL_SOCIAL },
    { "com.instagram.android",  OMNI_CHANNEL_SOCIAL },
    { "com.twitter.android",    OMNI_CHANNEL_SOCIAL },
    { "com.linkedin.android",   OMNI_CHANNEL_SOCIAL },
    { "com.pinterest",          OMNI_CHANNEL_SOCIAL },
    { "com.reddit.frontpage",   OMNI_CHANNEL_SOCIAL },
    { "com.zhiliaoapp.musically", OMNI_CHANNEL_SOCIAL },
    { "com.google.android.youtube", OMNI_CHANNEL_SOCIAL },
    { "com.whatsapp",           OMNI_CHANNEL_SOCIAL },
    { "org.telegram.messenger", OMNI_CHANNEL_SOCIAL },

    { "mail.google.com",        OMNI_CHANNEL_EMAIL },
    { "com.google.android.gm",  OMNI_CHANNEL_EMAIL },
    { "outlook.live.com",       OMNI_CHANNEL_EMAIL },
    { "outlook.office.com",     OMNI_CHANNEL_EMAIL },
    { "outlook.office365.com",  OMNI_CHANNEL_EMAIL },
    { "mail.yahoo.com",         OMNI_CHANNEL_EMAIL },
    { "mail.aol.com",           OMNI_CHANNEL_EMAIL },
    { "mail.proton.me",         OMNI_CHANNEL_EMAIL },
    { "mail.zoho.com",          OMNI_CHANNEL_EMAIL },
    { "mail.yandex.ru",         OMNI_CHANNEL_EMAIL },
    { "e.mail.ru",              OMNI_CHANNEL_EMAIL },
    { "com.microsoft.office.outlook", OMNI_CHANNEL_EMAIL },
    { NULL,                     OMNI_CHANNEL_NONE }
};


/* utm_medium values, lower case */
static const omni_name_map_t  omni_mediums[] = {
    { "email",                  OMNI_CHANNEL_EMAIL },
    { "e-mail",                 OMNI_CHANNEL_EMAIL },
    { "e_mail",                 OMNI_CHANNEL_EMAIL },
    { "mail",                   OMNI_CHANNEL_EMAIL },
    { "newsletter",             OMNI_CHANNEL_EMAIL },
    { "cpc",                    OMNI_CHANNEL_PAID_SEARCH },
    { "ppc",                    OMNI_CHANNEL_PAID_SEARCH },
    { "paidsearch",             OMNI_CHANNEL_PAID_SEARCH },
    { "paid_search",            OMNI_CHANNEL_PAID_SEARCH },
    { "paid-search",            OMNI_CHANNEL_PAID_SEARCH },
    { "sem",                    OMNI_CHANNEL_PAID_SEARCH },
    { "paid",                   OMNI_CHANNEL_PAID_SEARCH },
    { "organic",                OMNI_CHANNEL_SEARCH },
    { "social",                 OMNI_CHANNEL_SOCIAL },
    { "social-network",         OMNI_CHANNEL_SOCIAL },
    { "social_network",         OMNI_CHANNEL_SOCIAL },
    { "social-media",           OMNI_CHANNEL_SOCIAL },
    { "social_media",           OMNI_CHANNEL_SOCIAL },
    { "organic_social",         OMNI_CHANNEL_SOCIAL },
    { "sm",                     OMNI_CHANNEL_SOCIAL },
    { "paid_social",            OMNI_CHANNEL_PAID_SOCIAL },
    { "paidsocial",             OMNI_CHANNEL_PAID_SOCIAL },
    { "paid-social",            OMNI_CHANNEL_PAID_SOCIAL },
    { "social_paid",            OMNI_CHANNEL_PAID_SOCIAL },
    { "social-paid",            OMNI_CHANNEL_PAID_SOCIAL },
    { "display",                OMNI_CHANNEL_DISPLAY },
    { "banner",                 OMNI_CHANNEL_DISPLAY },
    { "cpm",                    OMNI_CHANNEL_DISPLAY },
    { "programmatic",           OMNI_CHANNEL_DISPLAY },
    { "retargeting",            OMNI_CHANNEL_DISPLAY },
    { "affiliate",              OMNI_CHANNEL_AFFILIATE },
    { "affiliates",             OMNI_CHANNEL_AFFILIATE },
    { "partner",                OMNI_CHANNEL_AFFILIATE },
    { "sms",                    OMNI_CHANNEL_SMS },
    { "text",                   OMNI_CHANNEL_SMS },
    { "mms",                    OMNI_CHANNEL_SMS },
    { "push",                   OMNI_CHANNEL_PUSH },
    { "webpush",                OMNI_CHANNEL_PUSH },
    { "web_push",               OMNI_CHANNEL_PUSH },
    { "web-push",               OMNI_CHANNEL_PUSH },
    { "push-notification",      OMNI_CHANNEL_PUSH },
    { "notification",           OMNI_CHANNEL_PUSH },
    { "referral",               OMNI_CHANNEL_REFERRAL },
    { "link",                   OMNI_CHANNEL_REFERRAL },
    { "(none)",                 OMNI_CHANNEL_DIRECT },
    { NULL,                     OMNI_CHANNEL_NONE }
};


/* utm_source values naming a network rather than a host, lower case */
static const omni_name_map_t  omni_sources[] = {
    { "google",                 OMNI_CHANNEL_SEARCH },
    { "bing",                   OMNI_CHANNEL_SEARCH },
    { "yahoo",                  OMNI_CHANNEL_SEARCH },
    { "duckduckgo",             OMNI_CHANNEL_SEARCH },
    { "baidu",                  OMNI_CHANNEL_SEARCH },
    { "yandex",                 OMNI_CHANNEL_SEARCH },
    { "ecosia",                 OMNI_CHANNEL_SEARCH },
    { "naver",                  OMNI_CHANNEL_SEARCH },
    { "facebook",               OMNI_CHANNEL_SOCIAL },
    { "fb",                     OMNI_CHANNEL_SOCIAL },
    { "instagram",              OMNI_CHANNEL_SOCIAL },
    { "ig",                     OMNI_CHANNEL_SOCIAL },
    { "meta",                   OMNI_CHANNEL_SOCIAL },
    { "twitter",                OMNI_CHANNEL_SOCIAL },
    { "x",                      OMNI_CHANNEL_SOCIAL },
    { "linkedin",               OMNI_CHANNEL_SOCIAL },
    { "pinterest",              OMNI_CHANNEL_SOCIAL },
    { "reddit",                 OMNI_CHANNEL_SOCIAL },
    { "tiktok",                 OMNI_CHANNEL_SOCIAL },
    { "snapchat",               OMNI_CHANNEL_SOCIAL },
    { "youtube",                OMNI_CHANNEL_SOCIAL },
    { "whatsapp",               OMNI_CHANNEL_SOCIAL },
    { "telegram",               OMNI_CHANNEL_SOCIAL },
    { "threads",                OMNI_CHANNEL_SOCIAL },
    { "vk",                     OMNI_CHANNEL_SOCIAL },
    { "tumblr",                 OMNI_CHANNEL_SOCIAL },
    { "quora",                  OMNI_CHANNEL_SOCIAL },
    { "discord",                OMNI_CHANNEL_SOCIAL },
    { "messenger",              OMNI_CHANNEL_SOCIAL },
    { "bluesky",                OMNI_CHANNEL_SOCIAL },
    { "email",                  OMNI_CHANNEL_EMAIL },
    { "newsletter",             OMNI_CHANNEL_EMAIL },
    { NULL,                     OMNI_CHANNEL_NONE }
};


static const omni_click_id_t  omni_click_ids[] = {
    { "gclid",      OMNI_CHANNEL_PAID_SEARCH,  "google" },
    { "gbraid",     OMNI_CHANNEL_PAID_SEARCH,  "google" },
    { "wbraid",     OMNI_CHANNEL_PAID_SEARCH,  "google" },
    { "msclkid",    OMNI_CHANNEL_PAID_SEARCH,  "bing" },
    { "yclid",      OMNI_CHANNEL_PAID_SEARCH,  "yandex" },
    { "dclid",      OMNI_CHANNEL_DISPLAY,      "google" },
    /* added to every outbound Facebook link, paid or not */
    { "fbclid",     OMNI_CHANNEL_SOCIAL,       "facebook" },
    { "igshid",     OMNI_CHANNEL_SOCIAL,       "instagram" },
    { "ttclid",     OMNI_CHANNEL_PAID_SOCIAL,  "tiktok" },
    { "twclid",     OMNI_CHANNEL_PAID_SOCIAL,  "twitter" },
    { "li_fat_id",  OMNI_CHANNEL_PAID_SOCIAL,  "linkedin" },
    { "epik",       OMNI_CHANNEL_PAID_SOCIAL,  "pinterest" },
    { "sccid",      OMNI_CHANNEL_PAID_SOCIAL,  "snapchat" },
    { "rdt_cid",    OMNI_CHANNEL_PAID_SOCIAL,  "reddit" },
    { "mc_cid",     OMNI_CHANNEL_EMAIL,        "mailchimp" },
    { "_hsenc",     OMNI_CHANNEL_EMAIL,        "hubspot" },
    { NULL,         OMNI_CHANNEL_NONE,         NULL }
};


/* the medium a touch reports when no utm_medium named it */
static const char  *omni_channel_mediums[] = {
    "", "(none)", "organic", "cpc", "social", "paid_social", "email",
    "sms", "push", "display", "affiliate", "referral"
};


static int omni_eq(const char *p, size_t len, const char *lit);
static omni_channel_e omni_map(const omni_name_map_t *map, const char *p,
    size_t len);
static uint32_t omni_hash(const char *p, size_t len, unsigned wildcard);
static const omni_rule_t *omni_rules_find(const omni_channel_rules_t *rules,
    const char *key, size_t len, unsigned wildcard);
static int omni_rules_insert(omni_channel_rules_t *rules, const char *key,
    size_t len, omni_channel_e channel, uint8_t flags);
static int omni_rules_grow(omni_channel_rules_t *rules);
static int omni_rules_lookup(const omni_channel_rules_t *rules,
    const char *host, size_t len, unsigned app, omni_channel_e *channel);
static size_t omni_utm_decode(const char *p, size_t len, char *dst);
static void omni_utf8_fix(char *p, size_t n);
static size_t omni_referer_host(const omni_str_t *referer, char *dst,
    unsigned *app);
static int omni_same_site(const char *ref, size_t rlen, const char *host,
    size_t hlen);
static omni_channel_e omni_source_channel(const omni_channel_rules_t *rules,
    const char *p, size_t len);
static int omni_ua_at(const char *p, size_t len, size_t i, const char *lit);


/* channel names */

const char *
omni_channel_name(omni_channel_e channel)
{
    if ((unsigned) channel >= OMNI_CHANNEL_MAX) {
        return "none";
    }

    return omni_channel_names[channel];
}


omni_channel_e
omni_channel_by_name(const char *name, size_t len)
{
    omni_channel_e  channel;

    if (omni_channel_parse(name, len, &channel) != OMNI_OK) {
        return OMNI_CHANNEL_NONE;
    }

    return channel;
}


int
omni_channel_parse(const char *name, size_t len, omni_channel_e *channel)
{
    unsigned  c;

    for (c = 0; c < OMNI_CHANNEL_MAX; c++) {
        if (omni_eq(name, len, omni_channel_names[c])) {
            *channel = (omni_channel_e) c;
            return OMNI_OK;
        }
    }

    return OMNI_EINVAL;
}


/* the rules table */

omni_channel_rules_t *
omni_channel_rules_new(void)
{
    const omni_name_map_t  *m;
    omni_channel_rules_t   *rules;

    rules = calloc(1, sizeof(omni_channel_rules_t));
    if (rules == NULL) {
        return NULL;
    }

    for (m = omni_builtin_hosts; m->name; m++) {
        if (omni_channel_rules_add(rules, m->name, strlen(m->name),
                                   m->channel)
            != OMNI_OK)
        {
            omni_channel_rules_free(rules);
            return NULL;
        }
    }

    return rules;
}


void
omni_channel_rules_free(omni_channel_rules_t *rules)
{
    size_t  i;

    if (rules == NULL) {
        return;
    }

    for (i = 0; i < rules->size; i++) {
        if (rules->slots[i].flags & OMNI_RULE_OWNED) {
            free((char *) rules->slots[i].key);
        }
    }

    free(rules->slots);
    free(rules);
}


int
omni_channel_rules_add(omni_channel_rules_t *rules, const char *host,
    size_t len, omni_channel_e channel)
{
    char     *key;
    size_t    i;
    uint8_t   flags;

    if ((unsigned) channel >= OMNI_CHANNEL_MAX || host == NULL) {
        return OMNI_EINVAL;
    }

    flags = 0;

    if (len > 2 && host[len - 1] == '*' && host[len - 2] == '.') {
        flags = OMNI_RULE_WILDCARD;
        len -= 2;
    }

    if (len == 0 || len > OMNI_HOST_MAX || host[0] == '.'
        || host[len - 1] == '.')
    {
        return OMNI_EINVAL;
    }

    for (i = 0; i < len; i++) {
        if (!((host[i] >= 'a' && host[i] <= 'z')
              || (host[i] >= 'A' && host[i] <= 'Z')
              || (host[i] >= '0' && host[i] <= '9')
              || host[i] == '-' || host[i] == '_'
              || (host[i] == '.' && host[i + 1] != '.')))
        {
            return OMNI_EINVAL;
        }

        /* "name.*" names one label */
        if (host[i] == '.' && (flags & OMNI_RULE_WILDCARD)) {
            return OMNI_EINVAL;
        }
    }

    key = malloc(len);
    if (key == NULL) {
        return OMNI_ERROR;
    }

    for (i = 0; i < len; i++) {
        key[i] = omni_lower(host[i]);
    }

    if (omni_rules_insert(rules, key, len, channel, flags | OMNI_RULE_OWNED)
        != OMNI_OK)
    {
        free(key);
        return OMNI_ERROR;
    }

    return OMNI_OK;
}


omni_channel_e
omni_channel_of_host(const omni_channel_rules_t *rules, const char *host,
    size_t len)
{
    omni_channel_e  channel;

    if (omni_rules_lookup(rules, host, len, 0, &channel) == OMNI_OK) {
        return channel;
    }

    return OMNI_CHANNEL_REFERRAL;
}


static int
omni_rules_insert(omni_channel_rules_t *rules, const char *key, size_t len,
    omni_channel_e channel, uint8_t flags)
{
    size_t        i, mask;
    omni_rule_t  *r;

    if ((rules->n + 1) * 2 > rules->size && omni_rules_grow(rules) != OMNI_OK)
    {
        return OMNI_ERROR;
    }

    mask = rules->size - 1;
    i = omni_hash(key, len, flags & OMNI_RULE_WILDCARD) & mask;

    for ( ;; ) {
        r = &rules->slots[i];

        if (r->key == NULL) {
            rules->n++;
            break;
        }

        if (r->len == len
            && (r->flags & OMNI_RULE_WILDCARD) == (flags & OMNI_RULE_WILDCARD)
            && memcmp(r->key, key, len) == 0)
        {
            /* a configured rule replaces the built-in one */
            if (r->flags & OMNI_RULE_OWNED) {
                free((char *) r->key);
            }

            break;
        }

        i = (i + 1) & mask;
    }

    r->key = key;
    r->len = (uint32_t) len;
    r->channel = (uint8_t) channel;
    r->flags = flags;

    return OMNI_OK;
}


static int
omni_rules_grow(omni_channel_rules_t *rules)
{
    size_t        i, j, size, mask;
    omni_rule_t  *slots, *r;

    size = rules->size ? rules->size * 2 : 256;

    slots = calloc(size, sizeof(omni_rule_t));
    if (slots == NULL) {
        return OMNI_ERROR;
    }

    mask = size - 1;

    for (i = 0; i < rules->size; i++) {
        r = &rules->slots[i];

        if (r->key == NULL) {
            continue;
        }

        j = omni_hash(r->key, r->len, r->flags & OMNI_RULE_WILDCARD) & mask;

        while (slots[j].key != NULL) {
            j = (j + 1) & mask;
        }

        slots[j] = *r;
    }

    free(rules->slots);
    rules->slots = slots;
    rules->size = size;

    return OMNI_OK;
}


static const omni_rule_t *
omni_rules_find(const omni_channel_rules_t *rules, const char *key,
    size_t len, unsigned wildcard)
{
    size_t              i, mask;
    const omni_rule_t  *r;

    if (rules->size == 0) {
        return NULL;
    }

    mask = rules->size - 1;
    i = omni_hash(key, len, wildcard) & mask;

    for ( ;; ) {
        r = &rules->slots[i];

        if (r->key == NULL) {
            return NULL;
        }

        if (r->len == len && (r->flags & OMNI_RULE_WILDCARD) == wildcard
            && memcmp(r->key, key, len) == 0)
        {
            return r;
        }

        i = (i + 1) & mask;
    }
}


/*
 * Every suffix of the host that starts a label, longest first; then, for
 * web hosts, each label followed by one or two more against the "name.*"
 * rules.  The host is lower case.
 */

static int
omni_rules_lookup(const omni_channel_rules_t *rules, const char *host,
    size_t len, unsigned app, omni_channel_e *channel)
{
    size_t              i, start, dots;
    const omni_rule_t  *r;

    if (rules == NULL) {
        return OMNI_ENOTFOUND;
    }

    start = 0;
    dots = 0;

    for (i = 0; i <= len; i++) {
        if (i < len && host[i] != '.') {
            continue;
        }

        r = omni_rules_find(rules, host + start, len - start, 0);
        if (r != NULL) {
            *channel = (omni_channel_e) r->channel;
            return OMNI_OK;
        }

        start = i + 1;
        dots += (i < len);
    }

    if (app) {
        return OMNI_ENOTFOUND;
    }

    start = 0;

    for (i = 0; i < len; i++) {
        if (host[i] != '.') {
            continue;
        }

        /* dots counts those right of this one: the label's suffix has 1-2 */
        dots--;

        if (dots <= 1) {
            r = omni_rules_find(rules, host + start, i - start, 1);
            if (r != NULL) {
                *channel = (omni_channel_e) r->channel;
                return OMNI_OK;
            }
        }

        start = i + 1;
    }

    return OMNI_ENOTFOUND;
}


/* FNV-1a */

static uint32_t
omni_hash(const char *p, size_t len, unsigned wildcard)
{
    size_t    i;
    uint32_t  h;

    h = 2166136261u ^ wildcard;

    for (i = 0; i < len; i++) {
        h ^= (uint8_t) p[i];
        h *= 16777619u;
    }

    return h;
}


/* classification */

void
omni_channel_classify(const omni_channel_rules_t *rules,
    const omni_channel_request_t *req, omni_touch_t *touch, char *buf)
{
    char                   *hbuf;
    size_t                  hlen, klen, vlen;
    unsigned                app;
    const char             *p, *end, *key, *val;
    omni_channel_e          ch, sch;
    const omni_click_id_t  *click, *c;
    omni_str_t              source, medium, campaign;

    memset(touch, 0, sizeof(omni_touch_t));

    source.len = 0;
    medium.len = 0;
    campaign.len = 0;
    source.data = buf;
    medium.data = buf + OMNI_UTM_MAX;
    campaign.data = buf + 2 * OMNI_UTM_MAX;
    hbuf = buf + 3 * OMNI_UTM_MAX;
    click = NULL;

    /* the query string: utm values (first of each wins) and click ids */

    p = req->args.data;
    end = (p != NULL) ? p + req->args.len : NULL;

    while (p != NULL && p < end) {
        key = p;

        while (p < end && *p != '&' && *p != '=') {
            p++;
        }

        klen = (size_t) (p - key);
        val = p;

        if (p < end && *p == '=') {
            val = ++p;

            while (p < end && *p != '&') {
                p++;
            }
        }

        vlen = (size_t) (p - val);

        if (p < end) {
            p++;
        }

        if (vlen == 0) {
            continue;
        }

        if (klen > 4 && omni_lower(key[0]) == 'u' && key[3] == '_') {

            if (omni_eq(key, klen, "utm_source") && source.len == 0) {
                source.len = omni_utm_decode(val, vlen, (char *) source.data);

            } else if (omni_eq(key, klen, "utm_medium") && medium.len == 0) {
                medium.len = omni_utm_decode(val, vlen, (char *) medium.data);

            } else if (omni_eq(key, klen, "utm_campaign")
                       && campaign.len == 0)
            {
                campaign.len = omni_utm_decode(val, vlen,
                                               (char *) campaign.data);
            }

            continue;
        }

        /* click ids are 4 to 9 bytes: most parameters stop here */
        if (click == NULL && klen >= 4 && klen <= 9) {
            for (c = omni_click_ids; c->name; c++) {
                if (omni_lower(key[0]) == c->name[0]
                    && omni_eq(key, klen, c->name))
                {
                    click = c;
                    break;
                }
            }
        }
    }

    touch->campaign = campaign;

    /* 1. utm_medium */

    if (medium.len) {
        ch = omni_map(omni_mediums, medium.data, medium.len);

        if (ch == OMNI_CHANNEL_NONE) {
            /* an unknown medium: judge by the source, if any */
            ch = source.len ? omni_source_channel(rules, source.data,
                                                  source.len)
                            : OMNI_CHANNEL_REFERRAL;

        } else if (ch == OMNI_CHANNEL_PAID_SEARCH && source.len) {
            sch = omni_source_channel(rules, source.data, source.len);

            if (sch == OMNI_CHANNEL_SOCIAL) {
                ch = OMNI_CHANNEL_PAID_SOCIAL;
            }
        }

        touch->channel = ch;
        touch->source = source;
        touch->medium = medium;
        return;
    }

    /* 2. a click id */

    if (click != NULL) {
        touch->channel = click->channel;
        touch->medium.data = omni_channel_mediums[click->channel];
        touch->medium.len = strlen(touch->medium.data);

        if (source.len) {
            touch->source = source;

        } else {
            touch->source.data = click->source;
            touch->source.len = strlen(click->source);
        }

        return;
    }

    /* 3. utm_source alone */

    if (source.len) {
        ch = omni_source_channel(rules, source.data, source.len);

        touch->channel = ch;
        touch->source = source;
        touch->medium.data = omni_channel_mediums[ch];
        touch->medium.len = strlen(touch->medium.data);
        return;
    }

    /* 4. the referrer */

    hlen = omni_referer_host(&req->referer, hbuf, &app);

    if (hlen == 0) {
        /* 5. none, or one we cannot read */
        touch->channel = OMNI_CHANNEL_DIRECT;
        touch->medium.data = omni_channel_mediums[OMNI_CHANNEL_DIRECT];
        touch->medium.len = strlen(touch->medium.data);
        return;
    }

    if (!app && omni_same_site(hbuf, hlen, req->host.data, req->host.len)) {
        touch->campaign.len = 0;
        return;
    }

    if (omni_rules_lookup(rules, hbuf, hlen, app, &ch) != OMNI_OK) {
        ch = OMNI_CHANNEL_REFERRAL;

        /* small webmail services: mail.example.net, webmail.example.net */
        if (!app
            && ((hlen > 5 && memcmp(hbuf, "mail.", 5) == 0)
                || (hlen > 8 && memcmp(hbuf, "webmail.", 8) == 0)))
        {
            ch = OMNI_CHANNEL_EMAIL;
        }
    }

    if (ch == OMNI_CHANNEL_NONE) {
        /* configured as part of the site */
        touch->campaign.len = 0;
        return;
    }

    if (hlen > 4 && memcmp(hbuf, "www.", 4) == 0) {
        hbuf += 4;
        hlen -= 4;
    }

    touch->channel = ch;
    touch->source.data = hbuf;
    touch->source.len = hlen;
    touch->medium.data = omni_channel_mediums[ch];
    touch->medium.len = strlen(touch->medium.data);
}


static omni_channel_e
omni_source_channel(const omni_channel_rules_t *rules, const char *p,
    size_t len)
{
    size_t          i;
    char            host[OMNI_UTM_MAX] = "";
    omni_channel_e  ch;

    ch = omni_map(omni_sources, p, len);
    if (ch != OMNI_CHANNEL_NONE) {
        return ch;
    }

    /* utm_source=facebook.com: a host, for the referrer rules */
    if (len <= OMNI_UTM_MAX && memchr(p, '.', len) != NULL) {
        for (i = 0; i < len; i++) {
            host[i] = omni_lower(p[i]);
        }

        if (omni_rules_lookup(rules, host, len, 0, &ch) == OMNI_OK
            && ch != OMNI_CHANNEL_NONE)
        {
            return ch;
        }
    }

    for (i = 0; i + 4 <= len; i++) {
        if (omni_lower(p[i]) == 'm' && omni_eq(p + i, 4, "mail")) {
            return OMNI_CHANNEL_EMAIL;
        }
    }

    return OMNI_CHANNEL_REFERRAL;
}


/*
 * Percent-decodes a query value into dst (OMNI_UTM_MAX bytes): "+" is a
 * space, a bad escape stays as it is, control bytes become "_", and a cut
 * never leaves half a UTF-8 character.
 */

static size_t
omni_utm_decode(const char *p, size_t len, char *dst)
{
    int       hi, lo;
    size_t    i, n;
    uint8_t   c;

    n = 0;

    for (i = 0; i < len; i++) {
        c = (uint8_t) p[i];

        if (c == '+') {
            c = ' ';

        } else if (c == '%' && i + 2 < len) {
            hi = omni_hexval(p[i + 1]);
            lo = omni_hexval(p[i + 2]);

            if (hi >= 0 && lo >= 0) {
                c = (uint8_t) (hi << 4 | lo);
                i += 2;
            }
        }

        if (c < 0x20 || c == 0x7f) {
            c = '_';
        }

        if (n == OMNI_UTM_MAX) {
            /* cut: drop a character the cut would split */
            if ((c & 0xc0) == 0x80) {
                while (n > 0 && ((uint8_t) dst[n - 1] & 0xc0) == 0x80) {
                    n--;
                }

                if (n > 0 && (uint8_t) dst[n - 1] >= 0xc0) {
                    n--;
                }
            }

            break;
        }

        dst[n++] = (char) c;
    }

    /* records are exported as JSON, which must be valid UTF-8 */
    omni_utf8_fix(dst, n);

    return n;
}


/* every byte that does not start a well-formed sequence becomes "?" */

static void
omni_utf8_fix(char *p, size_t n)
{
    size_t   i, k, len;
    uint8_t  c, lo, hi;

    i = 0;

    while (i < n) {
        c = (uint8_t) p[i];

        if (c < 0x80) {
            i++;
            continue;
        }

        lo = 0x80;
        hi = 0xbf;

        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;

        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            lo = (c == 0xe0) ? 0xa0 : 0x80;     /* overlong */
            hi = (c == 0xed) ? 0x9f : 0xbf;     /* surrogates */

        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            lo = (c == 0xf0) ? 0x90 : 0x80;     /* overlong */
            hi = (c == 0xf4) ? 0x8f : 0xbf;     /* over U+10FFFF */

        } else {
            len = 0;
        }

        if (len == 0 || i + len > n
            || (uint8_t) p[i + 1] < lo || (uint8_t) p[i + 1] > hi)
        {
            p[i++] = '?';
            continue;
        }

        for (k = 2; k < len; k++) {
            if (((uint8_t) p[i + k] & 0xc0) != 0x80) {
                break;
            }
        }

        if (k < len) {
            p[i++] = '?';
            continue;
        }

        i += len;
    }
}


/*
 * The host of a Referer, lower case, port and "user@" removed, into dst
 * (OMNI_HOST_MAX bytes); 0 when there is none.  *app tells an
 * "android-app://" referrer, whose host is a package name.
 */

static size_t
omni_referer_host(const omni_str_t *referer, char *dst, unsigned *app)
{
    size_t       n;
    const char  *p, *end, *host, *hend, *at;

    *app = 0;

    if (referer->data == NULL || referer->len == 0) {
        return 0;
    }

    p = referer->data;
    end = p + referer->len;

    /* scheme "://" */
    while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
                       || *p == '-' || *p == '+' || *p == '.'))
    {
        p++;
    }

    if (p == referer->data || end - p < 3 || memcmp(p, "://", 3) != 0) {
        return 0;
    }

    if (p - referer->data == 11 && omni_eq(referer->data, 11, "android-app"))
    {
        *app = 1;
    }

    p += 3;
    host = p;

    while (p < end && *p != '/' && *p != '?' && *p != '#') {
        p++;
    }

    hend = p;

    at = NULL;

    for (p = host; p < hend; p++) {
        if (*p == '@') {
            at = p;
        }
    }

    if (at != NULL) {
        host = at + 1;
    }

    /* a port, unless inside an IPv6 literal */
    for (p = hend; p > host; p--) {
        if (p[-1] == ']') {
            break;
        }

        if (p[-1] == ':') {
            hend = p - 1;
            break;
        }
    }

    n = (size_t) (hend - host);

    if (n == 0 || n > OMNI_HOST_MAX) {
        return 0;
    }

    /* browsers send international names in punycode: ASCII only */
    for (p = host; p < hend; p++) {
        if ((uint8_t) *p <= 0x20 || (uint8_t) *p >= 0x7f) {
            return 0;
        }

        *dst++ = omni_lower(*p);
    }

    /* "example.com." is example.com */
    if (host[n - 1] == '.') {
        n--;
    }

    return n;
}


/* ref (lower case) is host, a subdomain of it, or a parent of it */

static int
omni_same_site(const char *ref, size_t rlen, const char *host, size_t hlen)
{
    size_t       i, n;
    const char  *colon, *longer;

    if (host == NULL || hlen == 0) {
        return 0;
    }

    colon = memchr(host, ':', hlen);
    if (colon != NULL && host[0] != '[') {
        hlen = (size_t) (colon - host);
    }

    if (hlen > 0 && host[hlen - 1] == '.') {
        hlen--;
    }

    if (rlen > 4 && memcmp(ref, "www.", 4) == 0) {
        ref += 4;
        rlen -= 4;
    }

    if (hlen > 4 && omni_eq(host, 4, "www.")) {
        host += 4;
        hlen -= 4;
    }

    if (hlen == 0) {
        return 0;
    }

    /* the shorter name must end the longer one, at a label boundary */
    n = rlen < hlen ? rlen : hlen;

    for (i = 1; i <= n; i++) {
        if (ref[rlen - i] != omni_lower(host[hlen - i])) {
            return 0;
        }
    }

    if (rlen == hlen) {
        return 1;
    }

    /* a parent counts down to a registered name, not to a bare TLD */
    if (rlen < hlen && memchr(ref, '.', rlen) == NULL) {
        return 0;
    }

    longer = rlen > hlen ? ref : host;

    return longer[(rlen > hlen ? rlen : hlen) - n - 1] == '.';
}


/* lookups in the small name tables */

static omni_channel_e
omni_map(const omni_name_map_t *map, const char *p, size_t len)
{
    for ( /* void */ ; map->name; map++) {
        if (omni_eq(p, len, map->name)) {
            return map->channel;
        }
    }

    return OMNI_CHANNEL_NONE;
}


/* case-insensitive comparison of a token with a lower-case literal */

static int
omni_eq(const char *p, size_t len, const char *lit)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (lit[i] == '\0' || omni_lower(p[i]) != lit[i]) {
            return 0;
        }
    }

    return lit[len] == '\0';
}


/* device class */

omni_device_e
omni_device_classify(const char *ua, size_t len)
{
    size_t    i;
    unsigned  seen;

    if (ua == NULL || len == 0) {
        return OMNI_DEVICE_BOT;
    }

    seen = 0;

    for (i = 0; i < len; i++) {

        switch (omni_lower(ua[i])) {

        case 'a':
            if (omni_ua_at(ua, len, i, "android")) {
                seen |= OMNI_UA_ANDROID;

            } else if (omni_ua_at(ua, len, i, "axios/")) {
                return OMNI_DEVICE_BOT;
            }

            break;

        case 'b':
            /* Googlebot, bingbot, AhrefsBot..., but not the phone Cubot */
            if (omni_ua_at(ua, len, i, "bot")
                && !(i >= 2 && omni_ua_at(ua, len, i - 2, "cubot")))
            {
                return OMNI_DEVICE_BOT;
            }

            if (omni_ua_at(ua, len, i, "blackberry")
                || omni_ua_at(ua, len, i, "bb10"))
            {
                seen |= OMNI_UA_PHONE;
            }

            break;

        case 'c':
            if (omni_ua_at(ua, len, i, "crawl")
                || omni_ua_at(ua, len, i, "curl/"))
            {
                return OMNI_DEVICE_BOT;
            }

            break;

        case 'f':
            if (omni_ua_at(ua, len, i, "facebookexternalhit")) {
                return OMNI_DEVICE_BOT;
            }

            break;

        case 'h':
            if (omni_ua_at(ua, len, i, "headless")
                || omni_ua_at(ua, len, i, "http-client")
                || omni_ua_at(ua, len, i, "httpclient"))
            {
                return OMNI_DEVICE_BOT;
            }

            break;

        case 'i':
            if (omni_ua_at(ua, len, i, "ipad")) {
                seen |= OMNI_UA_TABLET;

            } else if (omni_ua_at(ua, len, i, "iphone")
                       || omni_ua_at(ua, len, i, "ipod"))
            {
                seen |= OMNI_UA_PHONE;
            }

            break;

        case 'j':
            if (omni_ua_at(ua, len, i, "java/")) {
                return OMNI_DEVICE_BOT;
            }

            break;

        case 'k':
            if (omni_ua_at(ua, len, i, "kindle")) {
                seen |= OMNI_UA_TABLET;
            }

            break;

        case 'l':
            if (omni_ua_at(ua, len, i, "lighthouse")
                || omni_ua_at(ua, len, i, "libwww"))
            {
                return OMNI_DEVICE_BOT;
            }

            break;

        case 'm':
            if (omni_ua_at(ua, len, i, "mobi")) {
                seen |= OMNI_UA_MOBI;
            }

            break;

        case 'o':
            if (omni_ua_at(ua, len, i, "okhttp")) {
                return OMNI_DEVICE_BOT;
            }

            if (omni_ua_at(ua, len, i, "opera mini")) {
                seen |= OMNI_UA_PHONE;
            }

            break;

        case 'p':
            if (omni_ua_at(ua, len, i, "python")
                || omni_ua_at(ua, len, i, "phantomjs"))
            {
                return OMNI_DEVICE_BOT;
            }

            break;

        case 's':
            if (omni_ua_at(ua, len, i, "spider")
                || omni_ua_at(ua, len, i, "slurp"))
            {
                return OMNI_DEVICE_BOT;
            }

            if (omni_ua_at(ua, len, i, "silk/")) {
                seen |= OMNI_UA_TABLET;
            }

            break;

        case 't':
            if (omni_ua_at(ua, len, i, "tablet")) {
                seen |= OMNI_UA_TABLET;
            }

            break;

        case 'w':
            if (omni_ua_at(ua, len, i, "wget")) {
                return OMNI_DEVICE_BOT;
            }

            if (omni_ua_at(ua, len, i, "windows phone")) {
                seen |= OMNI_UA_PHONE;
            }

            break;

        default:
            break;
        }
    }

    if (seen & OMNI_UA_TABLET) {
        return OMNI_DEVICE_TABLET;
    }

    if (seen & (OMNI_UA_MOBI | OMNI_UA_PHONE)) {
        return OMNI_DEVICE_MOBILE;
    }

    if (seen & OMNI_UA_ANDROID) {
        /* Android without "Mobile" is a tablet, by Google's convention */
        return OMNI_DEVICE_TABLET;
    }

    return OMNI_DEVICE_DESKTOP;
}


static int
omni_ua_at(const char *p, size_t len, size_t i, const char *lit)
{
    for ( /* void */ ; *lit; lit++, i++) {
        if (i >= len || omni_lower(p[i]) != *lit) {
            return 0;
        }
    }

    return 1;
}
