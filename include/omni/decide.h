/*
 * The decision: for one visitor at one moment, which funnel stage they
 * are in, which segments they match, and which offer they should see in
 * which variant, and why.  The same function serves nginx (per request)
 * and "omnictl decide" (for email, SMS and push).
 *
 * omni_decide() is pure: no I/O, no clock (the time is a fact), no
 * allocation, no global state.  All it needs is on the caller's stack.
 *
 * Counting convention: the activity record is the state before the
 * decision, and the decision counts itself as one more page view, and as
 * a new visit when the last one ended more than visit_timeout ago (or
 * when there is no record).  "visits" in rules and the visit number of
 * per-visit caps are therefore the number this visit will have once the
 * tracker has recorded it.  Caps read the activity's impressions the
 * same way: an impression counts for per_visit when its "visit" is this
 * visit's number, and for per_day when its "day" is today (UTC days since
 * the epoch).
 */

#ifndef OMNI_DECIDE_H_INCLUDED
#define OMNI_DECIDE_H_INCLUDED


#include <omni/omni.h>
#include <omni/cookie.h>
#include <omni/profile.h>
#include <omni/activity.h>
#include <omni/campaigns.h>


#define OMNI_SEGMENT_WORDS   (OMNI_SEGMENTS_MAX / 64)
#define OMNI_CLICK_PATH      "/omni/click"
#define OMNI_CLICK_PATH_MAX  1024


/* from the configuration (omni_abandon_after, omni_visit_timeout ...) */
typedef struct {
    int64_t          abandon_after;     /* seconds, default 1800 */
    int64_t          visit_timeout;     /* seconds, default 1800 */
    omni_str_t       click_path;        /* default OMNI_CLICK_PATH, at
                                           most OMNI_CLICK_PATH_MAX */
} omni_decide_conf_t;


typedef struct {
    const omni_profile_t   *profile;    /* NULL: not a known customer */
    const omni_activity_t  *activity;   /* NULL: a new visitor */
    const omni_id_t        *visitor;    /* the id in the cookie, or the
                                           one minted for this request;
                                           NULL: no bucket, experiments
                                           show their first variant */
    int64_t                 now;        /* unix seconds */

    /* the request, or the channel a message is being prepared for */
    omni_channel_e          channel;
    omni_device_e           device;
    omni_str_t              utm_source;
    omni_str_t              utm_medium;
    omni_str_t              utm_campaign;
    omni_str_t              path;
    int                     new_visitor;

    /* the tracking event of this request, for tag snippets */
    omni_tag_event_e        event;
    omni_str_t              event_item;
    omni_str_t              event_order;
    omni_str_t              event_items;    /* comma-separated ids */
    int64_t                 event_value;    /* cents */

    /*
     * omni_campaigns_nvars() values, indexed like omni_campaigns_var();
     * a NULL data pointer is a variable without a value.  NULL: none.
     */
    const omni_str_t       *vars;
} omni_facts_t;


/* why an offer was not chosen (or that it was) */
typedef enum {
    OMNI_WHY_CHOSEN = 0,
    OMNI_WHY_SEGMENT,               /* in none of its segments */
    OMNI_WHY_STAGE,                 /* not for this funnel stage */
    OMNI_WHY_CHANNEL,               /* not for this channel */
    OMNI_WHY_NOT_STARTED,           /* before "starts" */
    OMNI_WHY_ENDED,                 /* after "ends" */
    OMNI_WHY_CAP_DAY,               /* shown per_day times today */
    OMNI_WHY_CAP_VISIT,             /* shown per_visit times this visit */
    OMNI_WHY_PURCHASED,             /* the visitor bought one of its items */
    OMNI_WHY_LOWER_PRIORITY,        /* eligible, but another one won */
    OMNI_WHY_HOLDOUT,               /* won, but the visitor is held out */
    OMNI_WHY_MAX
} omni_why_e;


typedef struct {
    omni_stage_e               stage;
    int                        abandoned;
    uint64_t                   segments[OMNI_SEGMENT_WORDS];

    /* the offer to show, NULL when there is none or for the holdout */
    const omni_offer_t        *offer;
    /* the template to render for it: the variant's or the offer's */
    const omni_template_t     *html;

    /* set when the winning offer is in an experiment */
    const omni_experiment_t   *experiment;
    const omni_variant_t      *variant;     /* NULL for the holdout */
    uint32_t                   bucket;      /* 0 .. OMNI_BUCKETS - 1 */
    const omni_offer_t        *held;        /* the offer held out */

    /* "" (no experiment), a variant id, or "holdout" */
    omni_str_t                 variant_id;
} omni_decision_t;


/* optional: the fate of every offer, in priority order */
typedef struct {
    size_t                     n;
    struct {
        const omni_offer_t    *offer;
        omni_why_e             why;
    }                          entries[OMNI_OFFERS_MAX];
} omni_trace_t;


void omni_decide_conf_init(omni_decide_conf_t *conf);
/* zeroes, with the channel unknown and no variables */
void omni_facts_init(omni_facts_t *facts);

/*
 * Decides.  conf may be NULL (defaults), trace may be NULL (faster: the
 * offers after the winner are not examined).  Returns OMNI_OK, or
 * OMNI_EINVAL for NULL arguments.
 */
int omni_decide(const omni_campaigns_t *cs, const omni_decide_conf_t *conf,
    const omni_facts_t *facts, omni_decision_t *d, omni_trace_t *trace);

int omni_decision_in_segment(const omni_decision_t *d, size_t segment);

/*
 * The matched segments' names, comma-separated, in file order, for
 * $omni_segments.  Like omni_template_render(): OMNI_ETOOBIG with the
 * length needed in *len when it does not fit.
 */
int omni_decision_segments(const omni_campaigns_t *cs,
    const omni_decision_t *d, char *buf, size_t size, size_t *len);

/*
 * Renders the decision's offer (d->html) for the facts and the brand
 * (may be NULL): the brand's greeting is rendered first and passed to
 * the offer as the HTML-safe field {{greeting}}, and {{click_url}} is
 * built from conf->click_path.  OMNI_ENOTFOUND when the decision has no
 * offer; otherwise like omni_template_render().
 */
int omni_offer_render(const omni_campaigns_t *cs,
    const omni_decide_conf_t *conf, const omni_facts_t *facts,
    const omni_decision_t *d, const omni_brand_t *brand, char *buf,
    size_t size, size_t *len);

/*
 * The retargeting block for </head>: for every tag, in file order, whose
 * consent category is in consent (OMNI_CONSENT_* bits; tags of category
 * "necessary" always pass), its head snippet and then its snippet for
 * facts->event, rendered with the event's item, value, order and items.
 */
int omni_tags_render(const omni_campaigns_t *cs, uint32_t consent,
    const omni_facts_t *facts, char *buf, size_t size, size_t *len);

/*
 * "PATH?o=OFFER&v=VARIANT&to=LINK", each part percent-encoded, the URL
 * the omni_click handler counts and redirects.  Like
 * omni_template_render() for the buffer.
 */
int omni_click_url(omni_str_t path, omni_str_t offer, omni_str_t variant,
    omni_str_t link, char *buf, size_t size, size_t *len);

/*
 * The reasoning, as text for people: stage, segments, the outcome, and
 * each offer with the rule that dropped it (trace may be NULL).  The
 * text is NUL-terminated; OMNI_ETOOBIG when it needed *len + 1 bytes
 * or more.
 */
int omni_trace_format(const omni_campaigns_t *cs, const omni_decision_t *d,
    const omni_trace_t *trace, char *buf, size_t size, size_t *len);
const char *omni_why_text(omni_why_e why);


/*
 * Experiment buckets: SipHash-2-4, with the fixed public key
 * "omni-bucket-v1\0\0" (16 bytes), of the 16 bytes of the visitor id
 * followed by the experiment id, modulo OMNI_BUCKETS.  Stable across
 * visits, processes and machines; documented so that other systems can
 * reproduce an assignment.  Experiment ids are at most OMNI_NAME_MAX
 * bytes (longer ones are cut there).
 */
uint32_t omni_bucket(const omni_id_t *visitor, const char *experiment,
    size_t len);
uint64_t omni_siphash24(const uint8_t key[16], const void *data,
    size_t len);


#endif /* OMNI_DECIDE_H_INCLUDED */
