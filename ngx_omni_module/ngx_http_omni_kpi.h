
/*
 * ngx_http_omni_module: KPI counters in shared memory, the status
 * endpoint and the dashboard.
 *
 * The request path counts with two calls, both lock-free and allocation
 * free, and both no-ops when no omni_zone is configured:
 *
 *     omni_kpi_keys_t  keys = { offer, variant, channel, segs, nsegs };
 *
 *     ngx_http_omni_kpi_count(r, NGX_HTTP_OMNI_KPI_IMPRESSION, &keys, 0);
 *     ngx_http_omni_kpi_op(ngx_cycle, NGX_HTTP_OMNI_OP_LOOKUPS);
 *
 * Clicks, carts and purchases are attributed to the offer last shown to
 * the visitor within omni_attribution_window:
 *
 *     ngx_http_omni_kpi_attribute(r, &keys, activity);
 *     ngx_http_omni_kpi_count(r, NGX_HTTP_OMNI_KPI_PURCHASE, &keys, cents);
 */


#ifndef _NGX_HTTP_OMNI_KPI_H_INCLUDED_
#define _NGX_HTTP_OMNI_KPI_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <omni/kpi.h>


#define NGX_HTTP_OMNI_KPI_VISIT              OMNI_KPI_VISIT
#define NGX_HTTP_OMNI_KPI_VIEW               OMNI_KPI_VIEW
#define NGX_HTTP_OMNI_KPI_IMPRESSION         OMNI_KPI_IMPRESSION
#define NGX_HTTP_OMNI_KPI_CLICK              OMNI_KPI_CLICK
#define NGX_HTTP_OMNI_KPI_CART               OMNI_KPI_CART
#define NGX_HTTP_OMNI_KPI_PURCHASE           OMNI_KPI_PURCHASE
#define NGX_HTTP_OMNI_KPI_ABANDON            OMNI_KPI_ABANDON
#define NGX_HTTP_OMNI_KPI_RECOVER            OMNI_KPI_RECOVER

#define NGX_HTTP_OMNI_OP_LOOKUPS             OMNI_KPI_OP_LOOKUPS
#define NGX_HTTP_OMNI_OP_STORE_MISSES        OMNI_KPI_OP_STORE_MISSES
#define NGX_HTTP_OMNI_OP_DECODE_ERRORS       OMNI_KPI_OP_DECODE_ERRORS
#define NGX_HTTP_OMNI_OP_SNAPSHOT_RELOADS    OMNI_KPI_OP_SNAPSHOT_RELOADS
#define NGX_HTTP_OMNI_OP_EVENTS_QUEUED       OMNI_KPI_OP_EVENTS_QUEUED
#define NGX_HTTP_OMNI_OP_EVENTS_FLUSHED      OMNI_KPI_OP_EVENTS_FLUSHED
#define NGX_HTTP_OMNI_OP_EVENTS_DROPPED      OMNI_KPI_OP_EVENTS_DROPPED
#define NGX_HTTP_OMNI_OP_PAGES_REWRITTEN     OMNI_KPI_OP_PAGES_REWRITTEN
#define NGX_HTTP_OMNI_OP_SKIP_NOT_HTML       OMNI_KPI_OP_SKIP_NOT_HTML
#define NGX_HTTP_OMNI_OP_SKIP_STATUS         OMNI_KPI_OP_SKIP_STATUS
#define NGX_HTTP_OMNI_OP_SKIP_HEADER_ONLY    OMNI_KPI_OP_SKIP_HEADER_ONLY
#define NGX_HTTP_OMNI_OP_SKIP_ENCODED        OMNI_KPI_OP_SKIP_ENCODED
#define NGX_HTTP_OMNI_OP_SKIP_SUBREQUEST     OMNI_KPI_OP_SKIP_SUBREQUEST
#define NGX_HTTP_OMNI_OP_SKIP_NO_CONSENT     OMNI_KPI_OP_SKIP_NO_CONSENT
#define NGX_HTTP_OMNI_OP_SKIP_ERROR          OMNI_KPI_OP_SKIP_ERROR

#define NGX_HTTP_OMNI_KPI_ATTRIBUTION        (7 * 24 * 60 * 60)
#define NGX_HTTP_OMNI_KPI_PERSIST_INTERVAL   30000


typedef struct ngx_http_omni_kpi_main_conf_s  ngx_http_omni_kpi_main_conf_t;
typedef struct ngx_http_omni_kpi_loc_conf_s   ngx_http_omni_kpi_loc_conf_t;


/* what omni_zone and omni_attribution_window set, per http{} block */

struct ngx_http_omni_kpi_main_conf_s {
    ngx_shm_zone_t           *shm_zone;
    omni_kpi_t               *table;        /* in the zone, once set up */

    ngx_str_t                 persist;      /* snapshot file, or empty */
    ngx_msec_t                persist_interval;
#if (NGX_THREADS)
    ngx_thread_pool_t        *thread_pool;
#endif

    time_t                    attribution_window;

    ngx_uint_t                status_used;  /* unsigned  status_used:1; */
    ngx_uint_t                count_used;   /* unsigned  count_used:1; */

    void                     *persister;    /* per worker */
};


/* per location: omni_status, omni_dashboard, omni_count */

struct ngx_http_omni_kpi_loc_conf_s {
    ngx_str_t                 reset_token;
    ngx_uint_t                reset_token_set;

    ngx_str_t                 dashboard_status;   /* status URI, escaped */

    ngx_array_t              *counts;       /* ngx_http_omni_count_t */
};


/* the request path */

ngx_int_t ngx_http_omni_kpi_count(ngx_http_request_t *r, ngx_uint_t event,
    omni_kpi_keys_t *keys, int64_t value);
void ngx_http_omni_kpi_op_add(ngx_cycle_t *cycle, ngx_uint_t op,
    ngx_uint_t n);
#define ngx_http_omni_kpi_op(cycle, op)                                      \
    ngx_http_omni_kpi_op_add((ngx_cycle_t *) (cycle), op, 1)
ngx_uint_t ngx_http_omni_kpi_attribute(ngx_http_request_t *r,
    omni_kpi_keys_t *keys, const omni_activity_t *activity);


/* configuration and process hooks, called from ngx_http_omni_module.c */

ngx_http_omni_kpi_main_conf_t *ngx_http_omni_kpi_create_main_conf(
    ngx_conf_t *cf);
char *ngx_http_omni_kpi_init_main_conf(ngx_conf_t *cf,
    ngx_http_omni_kpi_main_conf_t *kmcf);
char *ngx_http_omni_kpi_merge_loc_conf(ngx_conf_t *cf,
    ngx_http_omni_kpi_loc_conf_t **prev, ngx_http_omni_kpi_loc_conf_t **conf);
ngx_http_omni_kpi_loc_conf_t *ngx_http_omni_kpi_loc_conf(ngx_conf_t *cf,
    ngx_http_omni_kpi_loc_conf_t **klcfp);
ngx_int_t ngx_http_omni_kpi_postconfiguration(ngx_conf_t *cf);
ngx_int_t ngx_http_omni_kpi_init_process(ngx_cycle_t *cycle);
void ngx_http_omni_kpi_exit_master(ngx_cycle_t *cycle);

ngx_http_omni_kpi_main_conf_t *ngx_http_omni_kpi_main_conf(
    ngx_http_request_t *r);
ngx_int_t ngx_http_omni_no_store(ngx_http_request_t *r);
void ngx_http_omni_kpi_persist_now(ngx_cycle_t *cycle);

char *ngx_http_omni_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_omni_attribution_window(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_omni_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_omni_status_reset_token(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_omni_dashboard(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_omni_count(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_omni_count_handler(ngx_http_request_t *r);


#endif /* _NGX_HTTP_OMNI_KPI_H_INCLUDED_ */
