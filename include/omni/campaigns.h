/*
 * The campaigns file: brands, segments, funnel stage rules, offers,
 * A/B experiments and retargeting tags, loaded and checked once (at
 * "nginx -t" or "omnictl check-campaigns") into a read-only set that the
 * decision engine (decide.h) evaluates per request.
 *
 * Loading is the only step that allocates; a loaded set is immutable and
 * may be shared by any number of readers.  Every problem in the file is
 * reported with its line and column and in words a marketer understands,
 * e.g.
 *
 *     campaigns.json:14:21: offer "welcome": unknown segment "vipp"
 *     (did you mean "vip"?)
 *
 * The structures below are read-only views into the set, valid until
 * omni_campaigns_free(); their strings are NUL-terminated.  The file's
 * format is described in the README ("The campaigns file").
 *
 * In nginx: read the file at configuration time, load it, report err as
 * "FILE:LINE:COLUMN: text" with NGX_LOG_EMERG, and free the set from a
 * cleanup of the configuration's pool.
 */

#ifndef OMNI_CAMPAIGNS_H_INCLUDED
#define OMNI_CAMPAIGNS_H_INCLUDED


#include <omni/omni.h>
#include <omni/device.h>
#include <omni/template.h>


#define OMNI_CAMPAIGNS_FILE_MAX   (8 * 1024 * 1024)
#define OMNI_CAMPAIGNS_ERRORS     50      /* reported before giving up */

#define OMNI_SEGMENTS_MAX         512
#define OMNI_OFFERS_MAX           1024
#define OMNI_VARIANTS_MAX         16
#define OMNI_VARS_MAX             64      /* distinct nginx variables */
#define OMNI_ATTRS_MAX            64      /* distinct profile attributes */
#define OMNI_NAME_MAX             64      /* ids and names */
#define OMNI_LINK_MAX             1024
#define OMNI_RULE_DEPTH           16

#define OMNI_BUCKETS              10000


typedef struct omni_campaigns_s  omni_campaigns_t;
typedef struct omni_experiment_s  omni_experiment_t;


/* funnel stages, in the order of the customer journey */
typedef enum {
    OMNI_STAGE_AWARENESS = 0,       /* new */
    OMNI_STAGE_CONSIDERATION,       /* returning or browsing products */
    OMNI_STAGE_CONVERSION,          /* a cart, possibly abandoned */
    OMNI_STAGE_LOYALTY,             /* has purchased */
    OMNI_STAGE_MAX
} omni_stage_e;




/* the tracking event of the current request, for tag snippets */
typedef enum {
    OMNI_TAG_NONE = 0,
    OMNI_TAG_VIEW,
    OMNI_TAG_CART,
    OMNI_TAG_PURCHASE,
    OMNI_TAG_MAX
} omni_tag_event_e;


typedef struct {
    omni_str_t                 id;
    omni_str_t                 name;        /* free text, may be empty */
    int64_t                    priority;    /* higher first */
    size_t                     index;       /* in file order */
    omni_str_t                 slot;        /* empty: the default place */
    omni_str_t                 promo_code;  /* may be empty */
    omni_str_t                 link;        /* may be empty */
    const omni_template_t     *html;
    int64_t                    starts;      /* unix seconds, or INT64_MIN */
    int64_t                    ends;        /* inclusive, or INT64_MAX */
    uint32_t                   per_day;     /* 0: no cap */
    uint32_t                   per_visit;   /* 0: no cap */
    size_t                     nitems;
    const omni_str_t          *items;
    const omni_experiment_t   *experiment;  /* NULL: not in one */
} omni_offer_t;


typedef struct {
    omni_str_t                 id;
    const omni_template_t     *html;        /* NULL: the offer's own */
    uint32_t                   bucket_end;  /* buckets below are this one's */
    double                     weight;      /* percent, as in the file */
} omni_variant_t;


struct omni_experiment_s {
    omni_str_t                 id;
    const omni_offer_t        *offer;
    uint32_t                   holdout;     /* buckets [0, holdout) */
    size_t                     nvariants;
    const omni_variant_t      *variants;
};


typedef struct {
    omni_str_t                 name;        /* as in "omni_brand NAME" */
    omni_str_t                 title;       /* "name" in the file */
    omni_str_t                 logo;        /* may be empty */
    /* "<style>:root{--omni-primary:...}</style><meta ...>", built once */
    omni_str_t                 head;
    const omni_template_t     *greeting;    /* may be NULL */
} omni_brand_t;


typedef struct {
    omni_str_t                 id;
    omni_str_t                 consent_name;
    uint32_t                   consent;     /* OMNI_CONSENT_*; 0: always */
    omni_str_t                 head;        /* trusted, inserted as is */
    const omni_template_t     *events[OMNI_TAG_MAX];  /* may be NULL */
} omni_tag_t;


typedef struct {
    const char                *file;        /* as given to the loader */
    unsigned                   line;        /* 0 when not in the text */
    unsigned                   column;
    char                       text[320];
} omni_campaigns_error_t;


/* called once per error, in file order, for tools that list them all */
typedef void (*omni_campaigns_report_pt)(void *data,
    const omni_campaigns_error_t *err);


/*
 * Parses and checks a campaigns file held in memory (a UTF-8 BOM is
 * skipped).  filename only names the file in messages.  On OMNI_OK *out
 * is the new set.  On OMNI_EINVAL the file has errors: err holds the
 * first one, and report (if not NULL) got each of them.  OMNI_ETOOBIG:
 * longer than OMNI_CAMPAIGNS_FILE_MAX.  OMNI_ERROR: out of memory.
 */
int omni_campaigns_load(const char *json, size_t len, const char *filename,
    omni_campaigns_report_pt report, void *data, omni_campaigns_t **out,
    omni_campaigns_error_t *err);
void omni_campaigns_free(omni_campaigns_t *cs);


size_t omni_campaigns_noffers(const omni_campaigns_t *cs);
const omni_offer_t *omni_campaigns_offer(const omni_campaigns_t *cs,
    size_t i);
const omni_offer_t *omni_campaigns_offer_by_id(const omni_campaigns_t *cs,
    const char *id, size_t len);

size_t omni_campaigns_nsegments(const omni_campaigns_t *cs);
omni_str_t omni_campaigns_segment(const omni_campaigns_t *cs, size_t i);

size_t omni_campaigns_nexperiments(const omni_campaigns_t *cs);
const omni_experiment_t *omni_campaigns_experiment(
    const omni_campaigns_t *cs, size_t i);

size_t omni_campaigns_nbrands(const omni_campaigns_t *cs);
const omni_brand_t *omni_campaigns_brand(const omni_campaigns_t *cs,
    size_t i);
/* NULL when there is no such brand */
const omni_brand_t *omni_campaigns_brand_by_name(const omni_campaigns_t *cs,
    const char *name, size_t len);
/* "settings.default_brand", else the only brand, else NULL */
const omni_brand_t *omni_campaigns_default_brand(const omni_campaigns_t *cs);

size_t omni_campaigns_ntags(const omni_campaigns_t *cs);
const omni_tag_t *omni_campaigns_tag(const omni_campaigns_t *cs, size_t i);

/*
 * The nginx variables the rules and templates read ("var" rules,
 * "{{var.NAME}}" fields), without the "$".  The glue resolves each name
 * once at configuration time and passes their values per request in
 * omni_facts_t.vars, indexed the same way.
 */
size_t omni_campaigns_nvars(const omni_campaigns_t *cs);
omni_str_t omni_campaigns_var(const omni_campaigns_t *cs, size_t i);

/* "settings.currency", "USD" by default */
omni_str_t omni_campaigns_currency(const omni_campaigns_t *cs);


/* names for messages and variables; "" for a value out of range */
const char *omni_stage_name(omni_stage_e stage);

/* an ISO 8601 time as the campaigns file writes it, or unix seconds */
int omni_time_parse(const char *s, size_t len, int64_t *t);
const char *omni_tag_event_name(omni_tag_event_e event);



#endif /* OMNI_CAMPAIGNS_H_INCLUDED */
