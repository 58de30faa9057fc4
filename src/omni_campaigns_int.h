/*
 * Internals of a campaigns set, shared by the loader, the rule compiler,
 * the decision and the renderers.  Not a public interface.
 */

#ifndef OMNI_CAMPAIGNS_INT_H_INCLUDED
#define OMNI_CAMPAIGNS_INT_H_INCLUDED


#include <jansson.h>

#include <omni/campaigns.h>
#include <omni/decide.h>

#include "omni_jpos.h"


/* fields of the facts, shared by rules and templates */

typedef enum {
    OMNI_F_FIRST_NAME = 0,
    OMNI_F_TIER,
    OMNI_F_POINTS,
    OMNI_F_LOCALE,
    OMNI_F_CUSTOMER_ID,
    OMNI_F_TAGS,
    OMNI_F_ATTR,                    /* "attr.NAME" */

    OMNI_F_VISITS,
    OMNI_F_PAGEVIEWS,
    OMNI_F_CART_VALUE,
    OMNI_F_CART_ITEMS,
    OMNI_F_PURCHASES,
    OMNI_F_DAYS_SINCE_PURCHASE,
    OMNI_F_ABANDONED,
    OMNI_F_VIEWED,
    OMNI_F_PURCHASED,

    OMNI_F_CHANNEL,
    OMNI_F_UTM_SOURCE,
    OMNI_F_UTM_MEDIUM,
    OMNI_F_UTM_CAMPAIGN,
    OMNI_F_DEVICE,
    OMNI_F_PATH,
    OMNI_F_NEW_VISITOR,
    OMNI_F_VAR,                     /* {"var": NAME}, "var.NAME" */

    OMNI_F_STAGE,

    /* templates only */
    OMNI_F_PROMO_CODE,
    OMNI_F_CLICK_URL,
    OMNI_F_OFFER,
    OMNI_F_VARIANT,
    OMNI_F_GREETING,
    OMNI_F_BRAND_NAME,
    OMNI_F_LOGO,
    OMNI_F_ITEM,
    OMNI_F_VALUE,
    OMNI_F_ORDER,
    OMNI_F_ITEMS,
    OMNI_F_CURRENCY,

    OMNI_F_MAX
} omni_field_e;


typedef enum {
    OMNI_K_TEXT = 0,
    OMNI_K_NUMBER,
    OMNI_K_MONEY,                   /* currency units in the file, cents */
    OMNI_K_BOOL,
    OMNI_K_LIST,
    OMNI_K_CHANNEL,
    OMNI_K_DEVICE,
    OMNI_K_STAGE
} omni_kind_e;


/* where a field may be used */
#define OMNI_IN_RULE       0x01
#define OMNI_IN_GREETING   0x02
#define OMNI_IN_OFFER      0x04
#define OMNI_IN_TAG        0x08


typedef struct {
    const char      *name;
    omni_field_e     id;
    omni_kind_e      kind;
    unsigned         where;
} omni_field_def_t;


/* template field ids: a field, or an attribute or variable by index */
#define OMNI_TF_ATTR   1000
#define OMNI_TF_VAR    2000


/* rules, compiled to a flat array in prefix order */

typedef enum {
    OMNI_R_ALL = 0,
    OMNI_R_ANY,
    OMNI_R_NOT,
    OMNI_R_SEGMENT,
    OMNI_R_CMP
} omni_rule_type_e;


typedef enum {
    OMNI_OP_EQ = 0,
    OMNI_OP_NE,
    OMNI_OP_LT,
    OMNI_OP_LTE,
    OMNI_OP_GT,
    OMNI_OP_GTE,
    OMNI_OP_IN,
    OMNI_OP_CONTAINS,
    OMNI_OP_PREFIX,
    OMNI_OP_EXISTS,
    OMNI_OP_MAX
} omni_op_e;


typedef struct {
    uint8_t          type;          /* omni_rule_type_e */
    uint8_t          field;         /* omni_field_e */
    uint8_t          op;            /* omni_op_e */
    uint8_t          numeric;       /* text compared as a number */
    uint32_t         end;           /* index past this subtree */
    uint32_t         arg;           /* segment, attribute or variable */
    uint32_t         cfirst;        /* constants */
    uint32_t         cn;
    int64_t          num;           /* single integer constant */
    double           dnum;          /* single numeric constant for text */
} omni_rule_t;


typedef struct {
    omni_str_t       str;
    int64_t          num;
    double           dnum;
} omni_const_t;


typedef struct {
    omni_str_t       name;
    uint32_t         root;          /* rule index */
} omni_segment_t;


typedef struct {
    omni_stage_e     stage;
    uint32_t         root;
} omni_stage_rule_t;


/* what the decision loop reads per offer, packed */
typedef struct {
    uint64_t         segments[OMNI_SEGMENT_WORDS];
    int64_t          starts;
    int64_t          ends;
    uint32_t         stages;        /* bit per omni_stage_e, 0: any */
    uint32_t         channels;      /* bit per omni_channel_e, 0: any */
    uint32_t         per_day;
    uint32_t         per_visit;
    int              any_segment;   /* no "segments": everyone */
    const omni_offer_t  *offer;
} omni_offer_rt_t;


typedef struct omni_arena_block_s  omni_arena_block_t;


struct omni_campaigns_s {
    omni_arena_block_t  *arena;

    size_t               nsegments;
    omni_segment_t      *segments;
    uint32_t            *seg_order;     /* references first */
    size_t               seg_words;

    omni_rule_t         *rules;
    size_t               nrules;
    size_t               rules_cap;
    omni_const_t        *consts;
    size_t               nconsts;
    size_t               consts_cap;

    size_t               nstage_rules;
    omni_stage_rule_t   *stage_rules;

    size_t               noffers;
    omni_offer_t        *offers;        /* file order */
    omni_offer_rt_t     *rt;            /* priority order */

    size_t               nexperiments;
    omni_experiment_t   *experiments;

    size_t               nbrands;
    omni_brand_t        *brands;
    const omni_brand_t  *default_brand;

    size_t               ntags;
    omni_tag_t          *tags;

    size_t               nvars;
    omni_str_t           vars[OMNI_VARS_MAX];
    size_t               nattrs;
    omni_str_t           attrs[OMNI_ATTRS_MAX];

    omni_str_t           currency;

    omni_template_t    **templates;     /* to free */
    size_t               ntemplates;
    size_t               templates_cap;
};


/*
 * The facts as the rules and templates see them: counters derived once
 * per decision, attributes looked up once and remembered.
 */
typedef struct {
    const omni_campaigns_t    *cs;
    const omni_facts_t        *f;
    int64_t                    visits;
    int64_t                    pageviews;
    int64_t                    cart_value;
    int64_t                    cart_items;
    int64_t                    purchases;
    int64_t                    days_since_purchase;     /* -1: never */
    uint32_t                   visit;       /* this visit's number */
    uint32_t                   day;         /* days since the epoch */
    int                        abandoned;
    omni_stage_e               stage;
    omni_str_t                 customer_id;
    uint64_t                   attr_done;
    omni_str_t                 attr[OMNI_ATTRS_MAX];
} omni_view_t;


/* the loader's state */

typedef struct {
    omni_campaigns_t          *cs;
    omni_jpos_t                jp;
    const char                *file;
    omni_campaigns_error_t    *err;
    omni_campaigns_report_pt   report;
    void                      *data;
    unsigned                   nerrors;
    int                        oom;
    char                       ctx[96];     /* "offer \"x\"" */

    /* segment references, for the cycle check: (from, to, node) */
    size_t                     nrefs;
    size_t                     refs_cap;
    struct {
        uint32_t               from;
        uint32_t               to;
        uint32_t               node;
    }                         *refs;
    uint32_t                   cur_segment;     /* or OMNI_JPOS_NONE */
    size_t                     depth;

    /* a template's lookup: where it is, what it may use */
    unsigned                   tpl_where;
    int                        tpl_click_url;
    char                       tpl_unknown[OMNI_NAME_MAX + 8];
} omni_load_t;


/* omni_campaigns.c */
void *omni_arena_alloc(omni_campaigns_t *cs, size_t size);
int omni_load_str(omni_load_t *ld, omni_str_t *dst, const char *s,
    size_t len);
void omni_load_error(omni_load_t *ld, uint32_t node, int at_key,
    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
void omni_load_error_in(omni_load_t *ld, uint32_t node, size_t at,
    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
void omni_load_error_col(omni_load_t *ld, uint32_t line, uint32_t col,
    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
const char *omni_suggest(const char *name, size_t len,
    const char *const *candidates, size_t n);
int omni_load_name(omni_load_t *ld, json_t *v, uint32_t node,
    const char *what, omni_str_t *dst);
int omni_load_keys(omni_load_t *ld, json_t *obj, uint32_t node,
    const char *const *allowed);
uint32_t omni_load_member(omni_load_t *ld, json_t *obj, uint32_t node,
    const char *key);
int omni_load_template(omni_load_t *ld, json_t *v, uint32_t node,
    unsigned where, const omni_template_t **tpl);
int omni_load_date(omni_load_t *ld, json_t *v, uint32_t node,
    int end_of_day, int64_t *t);

/* omni_date.c */
int omni_date_parse(const char *s, size_t len, int end_of_day, int64_t *t);

/* omni_fields.c */
const omni_field_def_t *omni_field_find(const char *name, size_t len);
const omni_field_def_t *omni_field_def(omni_field_e id);
const char *omni_field_suggest(const char *name, size_t len,
    unsigned where);
int omni_field_attr(omni_load_t *ld, const char *name, size_t len);
int omni_field_var(omni_load_t *ld, const char *name, size_t len);
int omni_field_lookup(void *data, const char *name, size_t len);
void omni_view_init(omni_view_t *v, const omni_campaigns_t *cs,
    const omni_decide_conf_t *conf, const omni_facts_t *f);
omni_str_t omni_view_attr(omni_view_t *v, uint32_t i);
omni_str_t omni_view_var(const omni_view_t *v, uint32_t i);
omni_str_t omni_channel_text(omni_channel_e channel);
int omni_name_lookup(const char *const *names, const char *s, size_t len);
int omni_channel_index(const char *s, size_t len);
int omni_device_parse(const char *s, size_t len);
int omni_stage_parse(const char *s, size_t len);
extern const char *const omni_channel_names[];
extern const char *const omni_stage_names[];
extern const char *const omni_device_names[];

/* omni_rules.c */
int omni_rules_load_segments(omni_load_t *ld, json_t *segs, uint32_t node);
int omni_rules_load_stages(omni_load_t *ld, json_t *stages, uint32_t node);
int omni_segment_find(const omni_campaigns_t *cs, const char *name,
    size_t len);
int omni_rule_eval(const omni_campaigns_t *cs, omni_view_t *v,
    const uint64_t *segs, uint32_t i);
int omni_str_ieq(const char *a, size_t alen, const char *b, size_t blen);

/* omni_campaigns_offers.c */
int omni_offers_load(omni_load_t *ld, json_t *offers, uint32_t node);
int omni_experiments_load(omni_load_t *ld, json_t *exps, uint32_t node);

/* omni_campaigns_brands.c */
int omni_brands_load(omni_load_t *ld, json_t *brands, uint32_t node);
int omni_tags_load(omni_load_t *ld, json_t *tags, uint32_t node);


#endif /* OMNI_CAMPAIGNS_INT_H_INCLUDED */
