
/*
 * ngx_http_omni_module: shared declarations of the nginx glue.
 */


#ifndef _NGX_HTTP_OMNI_MODULE_H_INCLUDED_
#define _NGX_HTTP_OMNI_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <omni/omni.h>
#include <omni/cookie.h>
#include <omni/campaigns.h>
#include <omni/store.h>
#include <omni/event.h>
#include <omni/channel.h>

#include "ngx_http_omni_kpi.h"


#define NGX_HTTP_OMNI_SAMESITE_LAX     0
#define NGX_HTTP_OMNI_SAMESITE_STRICT  1
#define NGX_HTTP_OMNI_SAMESITE_NONE    2

#define NGX_HTTP_OMNI_FALLBACK_BODY_START  0
#define NGX_HTTP_OMNI_FALLBACK_BODY_END    1
#define NGX_HTTP_OMNI_FALLBACK_NONE        2


typedef struct ngx_http_omni_campaigns_s  ngx_http_omni_campaigns_t;
typedef struct ngx_http_omni_rewrite_s    ngx_http_omni_rewrite_t;
typedef struct ngx_http_omni_decision_s   ngx_http_omni_decision_t;


typedef struct {
    ngx_flag_t                enable;

    omni_signer_t            *signer;

    ngx_str_t                 cookie_name;
    ngx_str_t                 cookie_attrs;   /* "; Path=/; Max-Age=..." */
    ngx_flag_t                cookie_secure;  /* always, for SameSite=None */

    ngx_flag_t                consent_required;
    ngx_str_t                 consent_cookie;
    ngx_str_t                 consent_value;
    ngx_flag_t                consent_gpc;
    ngx_flag_t                consent_dnt;

    /* response rewriting (ngx_http_omni_filter.c, _campaigns.c) */
    ngx_flag_t                rewrite;
    ngx_hash_t                types;
    ngx_array_t              *types_keys;
    ngx_uint_t                offer_fallback;
    ngx_flag_t                gunzip;
    size_t                    lookahead;
    off_t                     sendfile_min;   /* files split at anchors */
    ngx_http_omni_campaigns_t *campaigns;
    ngx_str_t                 brand_name;
    const omni_brand_t       *brand;
    u_char                   *brand_file;     /* where omni_brand was */
    ngx_uint_t                brand_line;

    /* tracking (ngx_http_omni_track.c, ngx_http_omni_beacon.c) */
    ngx_array_t              *track_rules;    /* of ngx_http_omni_rule_t */
    ngx_flag_t                track_enable;   /* omni_track off */
    ngx_flag_t                beacon;

    /* offer clicks (ngx_http_omni_click.c): allowed redirect hosts */
    ngx_array_t              *click_allow;    /* of ngx_str_t */

    ngx_http_omni_kpi_loc_conf_t  *kpi;     /* set by KPI directives only */

    /* the first-response cookie (ngx_http_omni_first.c) */
    ngx_str_t                 first_name;     /* "<cookie>_first" */
    ngx_str_t                 first_attrs;    /* "; Path=/; Max-Age=3600..." */
    ngx_str_t                 first_expire;   /* "; Path=/; Max-Age=0..." */
} ngx_http_omni_loc_conf_t;


/* tracking: http-level settings and the worker's flusher */

typedef struct ngx_http_omni_flusher_s  ngx_http_omni_flusher_t;

typedef struct {
    ngx_msec_t                flush_interval;
    ngx_msec_t                sync_interval;
    time_t                    visit_timeout;
    time_t                    abandon_after;
    size_t                    queue_size;
    ngx_str_t                 thread_pool;    /* omni_thread_pool NAME */
    omni_channel_rules_t     *channel_rules;

    /* per worker: NULL when this worker does not track */
    ngx_http_omni_flusher_t  *flusher;
} ngx_http_omni_track_conf_t;


typedef struct {
    ngx_http_omni_kpi_main_conf_t  *kpi;

    /* the profile store (ngx_http_omni_store.c) */
    ngx_str_t                 store_dir;      /* omni_store DIR */
    size_t                    store_map_size;
    ngx_msec_t                store_check;

    /* per worker, from init_process on */
    omni_store_t             *store;
    ngx_flag_t                tracking;       /* the activity store is
                                                 open and writable; may
                                                 turn on at run time */
    ngx_event_t               store_event;
    time_t                    store_logged;
    ngx_uint_t                store_suppressed;

    /* tracking (ngx_http_omni_flush.c, ngx_http_omni_track.c) */
    ngx_http_omni_track_conf_t  track;
} ngx_http_omni_main_conf_t;


/* Per-request state, kept on the main request and across redirects. */

typedef struct {
    omni_id_t                 id;
    u_char                    id_text[OMNI_ID_TEXT_LEN];

    unsigned                  identified:1;
    unsigned                  known:1;          /* the visitor has an id */
    unsigned                  new_visitor:1;
    unsigned                  consent:1;
    uint32_t                  consent_categories;   /* OMNI_CONSENT_* */
    unsigned                  impression_counted:1;

    /* this request's view, cart or purchase, for the tag snippets */
    ngx_uint_t                tag_event;      /* omni_tag_event_e */
    ngx_str_t                 tag_item;
    ngx_str_t                 tag_order;
    ngx_str_t                 tag_items;      /* comma-separated */
    int64_t                   tag_value;      /* cents */
    unsigned                  send_cookie:1;
    unsigned                  expire_cookie:1;
    unsigned                  cookie_sent:1;

    ngx_http_omni_rewrite_t  *rewrite;        /* this response's rewriter */
    ngx_http_omni_decision_t *decision;       /* made once, when needed */
    ngx_uint_t                rewrite_status; /* for $omni_rewrite */

    /* the store lookup (ngx_http_omni_lookup): NULL when there is none */
    omni_profile_t           *profile;
    omni_activity_t          *activity;
    unsigned                  looked_up:1;

    /* tracking: the request's channel, once classified */
    struct ngx_http_omni_track_ctx_s  *track;

    /*
     * The first-response cookie (ngx_http_omni_first.c): a new visitor's
     * events wait in it (first); a returning visitor's is read once
     * (first_checked) and, when it came, deleted (first_expire).
     */
    struct omni_first_s      *first;
    struct omni_first_s      *first_in;       /* the one that came back */
    unsigned                  first_checked:1;
    unsigned                  first_committed:1;
    unsigned                  first_expire:1;
    unsigned                  first_sent:1;
} ngx_http_omni_ctx_t;


ngx_http_omni_ctx_t *ngx_http_omni_get_ctx(ngx_http_request_t *r);
ngx_http_omni_ctx_t *ngx_http_omni_identify(ngx_http_request_t *r);
ngx_int_t ngx_http_omni_send_cookie(ngx_http_request_t *r,
    ngx_http_omni_ctx_t *ctx);
ngx_int_t ngx_http_omni_make_private(ngx_http_request_t *r);
ngx_table_elt_t *ngx_http_omni_find_header(ngx_http_request_t *r,
    ngx_str_t *name);

ngx_int_t ngx_http_omni_add_variables(ngx_conf_t *cf);
ngx_int_t ngx_http_omni_filter_init(ngx_conf_t *cf);

void ngx_http_omni_rewrite_create_conf(ngx_http_omni_loc_conf_t *conf);
char *ngx_http_omni_rewrite_merge_conf(ngx_conf_t *cf,
    ngx_http_omni_loc_conf_t *prev, ngx_http_omni_loc_conf_t *conf);
ngx_int_t ngx_http_omni_rewrite_add_variables(ngx_conf_t *cf);
char *ngx_http_omni_campaigns(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_omni_brand(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_omni_sendfile_min(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


/* the profile store (ngx_http_omni_store.c) */

/*
 * The visitor's activity record and the linked customer's profile, read
 * at most once per request (ctx->activity, ctx->profile; either may be
 * NULL).  NULL only when out of memory.
 */
ngx_http_omni_ctx_t *ngx_http_omni_lookup(ngx_http_request_t *r);

char *ngx_http_omni_store_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_omni_store_init_main_conf(ngx_conf_t *cf,
    ngx_http_omni_main_conf_t *omcf);
ngx_int_t ngx_http_omni_store_init_process(ngx_cycle_t *cycle);
void ngx_http_omni_store_exit_process(ngx_cycle_t *cycle);
ngx_int_t ngx_http_omni_customer_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
ngx_int_t ngx_http_omni_profile_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


/* tracking (ngx_http_omni_track.c, ngx_http_omni_beacon.c, _flush.c) */

char *ngx_http_omni_track_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_omni_beacon_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_omni_channel_referrer(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_omni_thread_pool(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
void ngx_http_omni_track_create_main_conf(ngx_http_omni_main_conf_t *omcf);
char *ngx_http_omni_track_init_main_conf(ngx_conf_t *cf,
    ngx_http_omni_main_conf_t *omcf);
void ngx_http_omni_track_create_loc_conf(ngx_http_omni_loc_conf_t *olcf);
char *ngx_http_omni_track_merge_loc_conf(ngx_conf_t *cf,
    ngx_http_omni_loc_conf_t *prev, ngx_http_omni_loc_conf_t *conf);

void ngx_http_omni_track_headers(ngx_http_request_t *r);
ngx_int_t ngx_http_omni_track_push(ngx_http_request_t *r,
    ngx_http_omni_ctx_t *ctx, omni_event_t *ev);
ngx_int_t ngx_http_omni_channel_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
ngx_int_t ngx_http_omni_abandoned_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

void ngx_http_omni_track_count(ngx_http_request_t *r,
    ngx_http_omni_ctx_t *ctx, const omni_event_t *ev);
void ngx_http_omni_track_tag_event(ngx_http_request_t *r,
    ngx_http_omni_ctx_t *ctx, const omni_event_t *ev);
ngx_int_t ngx_http_omni_flush_init_process(ngx_cycle_t *cycle);
void ngx_http_omni_flush_exit_process(ngx_cycle_t *cycle);


/* the first-response cookie (ngx_http_omni_first.c) */

char *ngx_http_omni_first_merge_loc_conf(ngx_conf_t *cf,
    ngx_http_omni_loc_conf_t *prev, ngx_http_omni_loc_conf_t *conf);
ngx_int_t ngx_http_omni_first_carry(ngx_http_request_t *r,
    ngx_http_omni_ctx_t *ctx, omni_event_t *ev);
void ngx_http_omni_first_commit(ngx_http_request_t *r,
    ngx_http_omni_ctx_t *ctx);
ngx_int_t ngx_http_omni_first_activity(ngx_http_request_t *r,
    ngx_http_omni_ctx_t *ctx, omni_activity_t *a);
ngx_int_t ngx_http_omni_first_filter_init(ngx_conf_t *cf);
ngx_int_t ngx_http_omni_track_push_first(ngx_http_request_t *r,
    ngx_http_omni_ctx_t *ctx, struct omni_first_s *set);


/* an offer shown, or held out (ngx_http_omni_campaigns.c) */
void ngx_http_omni_impression(ngx_http_request_t *r);
ngx_int_t ngx_http_omni_impression_ahead(ngx_http_request_t *r,
    omni_event_t *ev);


/* offer clicks (ngx_http_omni_click.c) */

char *ngx_http_omni_click_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_omni_click_allow(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


extern ngx_module_t  ngx_http_omni_module;


#endif /* _NGX_HTTP_OMNI_MODULE_H_INCLUDED_ */
