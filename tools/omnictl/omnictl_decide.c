/*
 * omnictl decide: the decision nginx would make, for email, SMS and push.
 *
 * The same core function as the module, over the same records, so a
 * message tells the same story as the web page: same segments, same
 * offer, and the same experiment variant (buckets come from the visitor
 * id; a customer is decided with the visitor they were last seen as).
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include <omni/campaigns.h>
#include <omni/decide.h>
#include <omni/store.h>

#include "omnictl.h"


#define OMNICTL_RENDER_MAX  65536


static const char  omnictl_decide_help[] =
    "usage: omnictl decide --store DIR --campaigns FILE [--visitor] VISITOR_ID\n"
    "       omnictl decide --store DIR --campaigns FILE --customer ID\n"
    "               [--at TIME] [--channel NAME] [--abandon-after TIME]\n"
    "               [--visit-timeout TIME] [--brand NAME] [--json]\n"
    "\n"
    "Prints the offer the visitor (or the customer, as the visitor they\n"
    "were last seen as) gets, in which experiment variant, and why: the\n"
    "funnel stage, the segments matched and each offer dropped with the\n"
    "rule that dropped it.  This is the decision nginx makes for a page,\n"
    "made for a message: --channel email (or sms, push) decides as if the\n"
    "visit came from that channel.\n"
    "\n"
    "  --at TIME          decide at TIME (2026-11-22T10:00:00Z or unix\n"
    "                     seconds) instead of now\n"
    "  --json             one JSON object: offer, variant, stage, segments,\n"
    "                     promo code, click URL and the rendered HTML\n"
    "  --brand NAME       render the greeting of this brand (default:\n"
    "                     the file's default brand)\n"
    "  --abandon-after, --visit-timeout\n"
    "                     as omni_abandon_after and omni_visit_timeout:\n"
    "                     30m, 2h, 1800 (default 30m each)\n"
    "\n"
    "Exit codes: 0 decided (with or without an offer), 1 no such visitor\n"
    "or customer, unreadable store or campaigns, 2 usage.\n";


#define OMNICTL_VISITORS_MAX  256


/*
 * The visitors linked to a customer are collected first and read after:
 * the store takes one read at a time.
 */
typedef struct {
    omni_id_t         ids[OMNICTL_VISITORS_MAX];
    size_t            n;
} omnictl_visitors_t;


typedef struct {
    omni_id_t         best;
    int64_t           best_seen;
    int               found;
    void             *rec;
    omni_activity_t  *scratch;
} omnictl_latest_t;


static int omnictl_collect_visitor(void *data, const omni_id_t *visitor);
static void *omnictl_decide_alloc(void *data, size_t size);
static int omnictl_decide_print(const omni_campaigns_t *cs,
    const omni_decide_conf_t *conf, const omni_facts_t *facts,
    const omni_decision_t *d, const omni_trace_t *trace,
    const omni_brand_t *brand, int json);


int
omnictl_decide(int argc, char **argv)
{
    int                  c, rc, json, have_visitor;
    char                *text;
    FILE                *f;
    void                *arec, *prec;
    size_t               len;
    int64_t              v;
    omni_id_t            visitor;
    const char          *dir, *file, *customer, *at, *channel, *brand_name;
    const char          *visitor_text;
    const omni_brand_t  *brand;
    omni_trace_t        *trace;
    omni_facts_t         facts;
    omni_store_t        *s;
    omni_profile_t      *profile;
    omni_activity_t     *activity;
    omni_decision_t      d;
    omni_campaigns_t    *cs;
    omni_store_conf_t    sconf;
    omni_decide_conf_t   conf;
    size_t               i;
    omnictl_latest_t     latest;
    omnictl_visitors_t   linked;
    omni_campaigns_error_t  err;

    static const struct option  options[] = {
        { "store", required_argument, NULL, 's' },
        { "campaigns", required_argument, NULL, 'c' },
        { "customer", required_argument, NULL, 'u' },
        { "at", required_argument, NULL, 'a' },
        { "channel", required_argument, NULL, 'n' },
        { "abandon-after", required_argument, NULL, 'A' },
        { "visit-timeout", required_argument, NULL, 'V' },
        { "json", no_argument, NULL, 'j' },
        { "brand", required_argument, NULL, 'b' },
        { "visitor", required_argument, NULL, 'i' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    dir = NULL;
    file = NULL;
    customer = NULL;
    at = NULL;
    channel = NULL;
    json = 0;
    brand_name = NULL;
    visitor_text = NULL;
    opterr = 0;

    omni_decide_conf_init(&conf);

    while ((c = getopt_long(argc, argv, "s:c:u:a:n:A:V:jb:i:h", options, NULL))
           != -1)
    {
        switch (c) {

        case 's':
            dir = optarg;
            break;

        case 'c':
            file = optarg;
            break;

        case 'u':
            customer = optarg;
            break;

        case 'a':
            at = optarg;
            break;

        case 'n':
            channel = optarg;
            break;

        case 'A':
        case 'V':
            if (omnictl_parse_duration(optarg, &v) != 0 || v <= 0) {
                return omnictl_usage_error(omnictl_decide_help,
                                           "\"%s\" is not a duration "
                                           "(30m, 2h, 1800)", optarg);
            }

            if (c == 'A') {
                conf.abandon_after = v;

            } else {
                conf.visit_timeout = v;
            }

            break;

        case 'j':
            json = 1;
            break;

        case 'b':
            brand_name = optarg;
            break;

        case 'i':
            /* an option's argument: an id may start with "-" */
            visitor_text = optarg;
            break;

        case 'h':
            fputs(omnictl_decide_help, stdout);
            return OMNICTL_OK;

        default:
            return omnictl_usage_error(omnictl_decide_help,
                                       "unknown option \"%s\"",
                                       argv[optind - 1]);
        }
    }

    if (dir == NULL || file == NULL) {
        return omnictl_usage_error(omnictl_decide_help,
                                   "--store and --campaigns are required");
    }

    if (visitor_text == NULL && optind == argc - 1) {
        visitor_text = argv[optind++];
    }

    have_visitor = (visitor_text != NULL);

    if (have_visitor == (customer != NULL) || optind != argc) {
        return omnictl_usage_error(omnictl_decide_help,
                                   "give a visitor id or --customer ID");
    }

    if (have_visitor && omnictl_parse_visitor(visitor_text, &visitor) != 0) {
        return omnictl_usage_error(omnictl_decide_help,
                                   "\"%s\" is not a visitor id",
                                   visitor_text);
    }

    omni_facts_init(&facts);
    facts.now = time(NULL);

    if (at != NULL && omni_time_parse(at, strlen(at), &facts.now) != OMNI_OK)
    {
        return omnictl_usage_error(omnictl_decide_help,
                                   "\"%s\" is not a time", at);
    }

    if (channel != NULL) {
        facts.channel = omni_channel_by_name(channel, strlen(channel));

        if (facts.channel == OMNI_CHANNEL_NONE) {
            return omnictl_usage_error(omnictl_decide_help,
                                       "unknown channel \"%s\"", channel);
        }
    }

    /* the campaigns, exactly as nginx -t reads them */

    f = fopen(file, "r");
    if (f == NULL) {
        omnictl_error("cannot open \"%s\": %s", file, strerror(errno));
        return OMNICTL_EDATA;
    }

    text = omnictl_read_all(f, OMNI_CAMPAIGNS_FILE_MAX, &len);
    fclose(f);

    if (text == NULL) {
        omnictl_error("cannot read \"%s\" (or it is larger than %d bytes)",
                      file, OMNI_CAMPAIGNS_FILE_MAX);
        return OMNICTL_EDATA;
    }

    rc = omni_campaigns_load(text, len, file, NULL, NULL, &cs, &err);
    free(text);

    if (rc != OMNI_OK) {
        omnictl_error("%s:%u:%u: %s", err.file, err.line, err.column,
                      err.text);
        return OMNICTL_EDATA;
    }

    brand = omni_campaigns_default_brand(cs);

    if (brand_name != NULL) {
        brand = omni_campaigns_brand_by_name(cs, brand_name,
                                             strlen(brand_name));

        if (brand == NULL) {
            omnictl_error("%s has no brand \"%s\"", file, brand_name);
            omni_campaigns_free(cs);
            return OMNICTL_EDATA;
        }
    }

    memset(&sconf, 0, sizeof(sconf));
    sconf.flags = OMNI_STORE_PROFILES | OMNI_STORE_ACTIVITY
                  | OMNI_STORE_ACTIVITY_NOCREATE;

    profile = malloc(sizeof(omni_profile_t));
    activity = malloc(sizeof(omni_activity_t));
    trace = malloc(sizeof(omni_trace_t));
    latest.scratch = malloc(sizeof(omni_activity_t));

    s = NULL;
    arec = NULL;
    prec = NULL;
    latest.rec = NULL;

    if (profile == NULL || activity == NULL || trace == NULL
        || latest.scratch == NULL
        || omni_store_open(&s, dir, &sconf) != OMNI_OK)
    {
        omnictl_error("out of memory, or a store path too long");
        rc = OMNICTL_EDATA;
        goto done;
    }

    rc = OMNICTL_EDATA;

    if (customer != NULL) {

        if (!omni_store_ready(s, OMNI_STORE_ENV_PROFILES)) {
            omnictl_error("%s", omni_store_error(s, OMNI_STORE_ENV_PROFILES));
            goto done;
        }

        if (omni_store_get_profile(s, customer, strlen(customer),
                                   omnictl_decide_alloc, &prec, profile)
            != OMNI_OK)
        {
            omnictl_error("no customer \"%s\"", customer);
            goto done;
        }

        facts.profile = profile;

        /* the visitor the customer was last seen as keeps their bucket */

        latest.found = 0;
        latest.best_seen = INT64_MIN;

        if (omni_store_ready(s, OMNI_STORE_ENV_ACTIVITY)) {
            linked.n = 0;

            (void) omni_store_customer_visitors(s, customer, strlen(customer),
                                                omnictl_collect_visitor,
                                                &linked);

            for (i = 0; i < linked.n; i++) {
                if (omni_store_get_activity(s, &linked.ids[i],
                                            omnictl_decide_alloc,
                                            &latest.rec, latest.scratch)
                    != OMNI_OK)
                {
                    continue;
                }

                if (!latest.found
                    || latest.scratch->last_seen > latest.best_seen)
                {
                    latest.best = linked.ids[i];
                    latest.best_seen = latest.scratch->last_seen;
                    latest.found = 1;
                }
            }
        }

        if (latest.found) {
            visitor = latest.best;
            have_visitor = 1;
        }
    }

    if (have_visitor) {
        facts.visitor = &visitor;

        if (omni_store_ready(s, OMNI_STORE_ENV_ACTIVITY)
            && omni_store_get_activity(s, &visitor, omnictl_decide_alloc,
                                       &arec, activity)
               == OMNI_OK)
        {
            facts.activity = activity;

        } else if (customer == NULL) {
            omnictl_error("no visitor \"%s\"", visitor_text);
            goto done;
        }

        if (facts.profile == NULL && facts.activity != NULL
            && facts.activity->customer_id.len
            && omni_store_ready(s, OMNI_STORE_ENV_PROFILES)
            && omni_store_get_profile(s, facts.activity->customer_id.data,
                                      facts.activity->customer_id.len,
                                      omnictl_decide_alloc, &prec, profile)
               == OMNI_OK)
        {
            facts.profile = profile;
        }
    }

    if (omni_decide(cs, &conf, &facts, &d, trace) != OMNI_OK) {
        omnictl_error("the decision failed");
        goto done;
    }

    rc = omnictl_decide_print(cs, &conf, &facts, &d, trace, brand, json);

done:

    omni_store_close(s);
    omni_campaigns_free(cs);
    free(arec);
    free(prec);
    free(latest.rec);
    free(latest.scratch);
    free(profile);
    free(activity);
    free(trace);

    return rc;
}


static int
omnictl_collect_visitor(void *data, const omni_id_t *visitor)
{
    omnictl_visitors_t  *v = data;

    if (v->n == OMNICTL_VISITORS_MAX) {
        return 1;
    }

    v->ids[v->n++] = *visitor;

    return 0;
}


static void *
omnictl_decide_alloc(void *data, size_t size)
{
    void  **rec = data;

    free(*rec);
    *rec = malloc(size);

    return *rec;
}


static int
omnictl_decide_print(const omni_campaigns_t *cs,
    const omni_decide_conf_t *conf, const omni_facts_t *facts,
    const omni_decision_t *d, const omni_trace_t *trace,
    const omni_brand_t *brand, int json)
{
    int            rc;
    char          *buf, *html, *url, *out, id[OMNI_ID_TEXT_LEN];
    size_t         len, hlen, ulen;
    json_t        *o, *segs;
    const char    *p, *comma;

    buf = malloc(OMNICTL_RENDER_MAX);
    html = malloc(OMNICTL_RENDER_MAX);
    url = malloc(OMNI_CLICK_PATH_MAX + 1024);

    if (buf == NULL || html == NULL || url == NULL) {
        free(buf);
        free(html);
        free(url);
        omnictl_error("out of memory");
        return OMNICTL_EDATA;
    }

    hlen = 0;
    ulen = 0;

    if (d->offer != NULL) {
        if (omni_offer_render(cs, conf, facts, d, brand,
                              html, OMNICTL_RENDER_MAX, &hlen)
            != OMNI_OK)
        {
            hlen = 0;
        }

        if (d->offer->link.len == 0
            || omni_click_url(conf->click_path, d->offer->id, d->variant_id,
                              d->offer->link, url, OMNI_CLICK_PATH_MAX + 1024,
                              &ulen)
               != OMNI_OK)
        {
            ulen = 0;
        }
    }

    rc = OMNICTL_OK;

    if (!json) {
        if (omni_trace_format(cs, d, trace, buf, OMNICTL_RENDER_MAX, &len)
            != OMNI_OK)
        {
            len = 0;
        }

        fwrite(buf, 1, len, stdout);

        if (len && buf[len - 1] != '\n') {
            putchar('\n');
        }

        if (hlen) {
            printf("html: %.*s\n", (int) hlen, html);
        }

        goto done;
    }

    o = json_object();
    segs = json_array();

    if (o == NULL || segs == NULL) {
        json_decref(o);
        json_decref(segs);
        omnictl_error("out of memory");
        rc = OMNICTL_EDATA;
        goto done;
    }

    if (facts->visitor != NULL) {
        omni_id_format(facts->visitor, id);
        json_object_set_new(o, "visitor", json_stringn(id, sizeof(id)));
    }

    if (facts->profile != NULL) {
        json_object_set_new(o, "customer",
                            json_stringn(facts->profile->customer_id.data,
                                         facts->profile->customer_id.len));
    }

    json_object_set_new(o, "stage", json_string(omni_stage_name(d->stage)));
    json_object_set_new(o, "abandoned", json_boolean(d->abandoned));

    if (omni_decision_segments(cs, d, buf, OMNICTL_RENDER_MAX, &len)
        == OMNI_OK)
    {
        for (p = buf; p < buf + len; p = comma + 1) {
            comma = memchr(p, ',', buf + len - p);

            if (comma == NULL) {
                comma = buf + len;
            }

            if (comma > p) {
                json_array_append_new(segs, json_stringn(p, comma - p));
            }
        }
    }

    json_object_set_new(o, "segments", segs);

    json_object_set_new(o, "offer", d->offer
                        ? json_stringn(d->offer->id.data, d->offer->id.len)
                        : json_null());
    json_object_set_new(o, "variant", json_stringn(d->variant_id.data,
                                                   d->variant_id.len));

    if (d->offer != NULL) {
        json_object_set_new(o, "slot", json_stringn(d->offer->slot.data,
                                                    d->offer->slot.len));

        if (d->offer->promo_code.len) {
            json_object_set_new(o, "promo_code",
                                json_stringn(d->offer->promo_code.data,
                                             d->offer->promo_code.len));
        }

        if (ulen) {
            json_object_set_new(o, "click_url", json_stringn(url, ulen));
        }

        json_object_set_new(o, "html", json_stringn(html, hlen));
    }

    out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);

    if (out == NULL) {
        omnictl_error("out of memory");
        rc = OMNICTL_EDATA;
        goto done;
    }

    puts(out);
    free(out);

done:

    free(buf);
    free(html);
    free(url);

    return rc;
}
