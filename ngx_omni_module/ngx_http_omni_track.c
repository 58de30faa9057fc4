
/*
 * Tracking on the request path: the omni_track URL patterns, the
 * X-Omni-Event and X-Omni-Customer headers of the upstream, the page view
 * with its channel of arrival, and $omni_channel and $omni_abandoned.
 *
 * Everything here runs in the header filter of the main request, once
 * per response: events are built on the stack and appended to the
 * worker's queue (ngx_http_omni_flush.c), never written from here.
 */


#include "ngx_http_omni_module.h"
#include "ngx_http_omni_kpi.h"

#include <omni/merge.h>
#include <omni/queue.h>


#define NGX_HTTP_OMNI_MAX_EVENT_HEADERS  32


typedef struct {
    omni_event_type_e           type;
    ngx_http_regex_t           *regex;
    ngx_http_complex_value_t   *item;
    ngx_http_complex_value_t   *value;
    ngx_http_complex_value_t   *qty;
    ngx_http_complex_value_t   *price;
    ngx_http_complex_value_t   *order;
} ngx_http_omni_rule_t;


typedef struct ngx_http_omni_track_ctx_s {
    omni_touch_t                touch;
    char                        buf[OMNI_CHANNEL_BUF_SIZE];
} ngx_http_omni_track_ctx_t;


static ngx_http_omni_track_ctx_t *ngx_http_omni_track_classify(
    ngx_http_request_t *r, ngx_http_omni_ctx_t *ctx);
static void ngx_http_omni_track_page(ngx_http_request_t *r,
    ngx_http_omni_ctx_t *ctx, ngx_http_omni_loc_conf_t *olcf,
    omni_touch_t *touch);
static void ngx_http_omni_track_rule(ngx_http_request_t *r,
    ngx_http_omni_ctx_t *ctx, ngx_http_omni_rule_t *rule, ngx_str_t *path,
    omni_touch_t *touch);
static ngx_int_t ngx_http_omni_rule_value(ngx_http_request_t *r,
    ngx_http_complex_value_t *cv, ngx_str_t *value);
static void ngx_http_omni_track_header(ngx_http_request_t *r,
    ngx_http_omni_ctx_t *ctx, ngx_table_elt_t *h, ngx_uint_t customer,
    omni_touch_t *touch);
static ngx_int_t ngx_http_omni_is_html(ngx_http_request_t *r);
static ngx_int_t ngx_http_omni_rule_param(ngx_conf_t *cf, ngx_str_t *value,
    const char *name, ngx_http_complex_value_t **cv);
static void ngx_http_omni_cleanup_rules(void *data);


static ngx_str_t  ngx_http_omni_default_pool = ngx_string("default");


/* configuration */

void
ngx_http_omni_track_create_main_conf(ngx_http_omni_main_conf_t *omcf)
{
    ngx_http_omni_track_conf_t  *tcf;

    tcf = &omcf->track;

    /*
     * set by ngx_pcalloc():
     *
     *     tcf->thread_pool = { 0, NULL };
     *     tcf->channel_rules = NULL;
     *     tcf->flusher = NULL;
     */

    tcf->flush_interval = NGX_CONF_UNSET_MSEC;
    tcf->sync_interval = NGX_CONF_UNSET_MSEC;
    tcf->visit_timeout = NGX_CONF_UNSET;
    tcf->abandon_after = NGX_CONF_UNSET;
    tcf->queue_size = NGX_CONF_UNSET_SIZE;
}


char *
ngx_http_omni_track_init_main_conf(ngx_conf_t *cf,
    ngx_http_omni_main_conf_t *omcf)
{
    ngx_pool_cleanup_t          *cln;
    ngx_http_omni_track_conf_t  *tcf;

    tcf = &omcf->track;

    ngx_conf_init_msec_value(tcf->flush_interval, 100);
    ngx_conf_init_msec_value(tcf->sync_interval, 1000);
    ngx_conf_init_value(tcf->visit_timeout, OMNI_VISIT_TIMEOUT_DEFAULT);
    ngx_conf_init_value(tcf->abandon_after, 1800);
    ngx_conf_init_size_value(tcf->queue_size, OMNI_QUEUE_DEFAULT_SIZE);

    if (tcf->flush_interval == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"omni_flush_interval\" must be at least 1ms");
        return NGX_CONF_ERROR;
    }

    if (tcf->visit_timeout <= 0 || tcf->abandon_after <= 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"omni_visit_timeout\" and \"omni_abandon_after\" "
                           "must be at least 1s");
        return NGX_CONF_ERROR;
    }

    if (tcf->queue_size < OMNI_QUEUE_MIN_SIZE
        || tcf->queue_size > 1024 * 1024 * 1024)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"omni_queue_size\" must be between 64k and 1g");
        return NGX_CONF_ERROR;
    }

    if (tcf->channel_rules == NULL) {
        cln = ngx_pool_cleanup_add(cf->pool, 0);
        if (cln == NULL) {
            return NGX_CONF_ERROR;
        }

        tcf->channel_rules = omni_channel_rules_new();
        if (tcf->channel_rules == NULL) {
            return NGX_CONF_ERROR;
        }

        cln->handler = ngx_http_omni_cleanup_rules;
        cln->data = tcf->channel_rules;
    }

    if (tcf->thread_pool.data == NULL) {
        tcf->thread_pool = ngx_http_omni_default_pool;

#if (NGX_THREADS)
        /* only a store to write to needs threads */
        if (omcf->store_dir.len
            && ngx_thread_pool_add(cf, &tcf->thread_pool) == NULL)
        {
            return NGX_CONF_ERROR;
        }
#endif
    }

    return NGX_CONF_OK;
}


static void
ngx_http_omni_cleanup_rules(void *data)
{
    omni_channel_rules_free(data);
}


/*
 * omni_thread_pool NAME: a pool declared with "thread_pool" in the main
 * context ("default" needs no declaration); an unknown name fails
 * "nginx -t" with nginx's own message, pointing at this line.
 */

char *
ngx_http_omni_thread_pool(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_omni_main_conf_t *omcf = conf;

    ngx_str_t  *value;

    if (omcf->track.thread_pool.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;
    omcf->track.thread_pool = value[1];

#if (NGX_THREADS)
    if (ngx_thread_pool_add(cf, &value[1]) == NULL) {
        return NGX_CONF_ERROR;
    }
#endif

    return NGX_CONF_OK;
}


/* omni_channel_referrer HOST CHANNEL */

char *
ngx_http_omni_channel_referrer(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_omni_main_conf_t *omcf = conf;

    int                  rc;
    ngx_str_t           *value;
    omni_channel_e       channel;
    ngx_pool_cleanup_t  *cln;

    value = cf->args->elts;

    if (omni_channel_parse((char *) value[2].data, value[2].len, &channel)
        != OMNI_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid channel \"%V\" (one of none, direct, "
                           "search, paid_search, social, paid_social, email, "
                           "sms, push, display, affiliate, referral)",
                           &value[2]);
        return NGX_CONF_ERROR;
    }

    if (omcf->track.channel_rules == NULL) {
        cln = ngx_pool_cleanup_add(cf->pool, 0);
        if (cln == NULL) {
            return NGX_CONF_ERROR;
        }

        omcf->track.channel_rules = omni_channel_rules_new();
        if (omcf->track.channel_rules == NULL) {
            return NGX_CONF_ERROR;
        }

        cln->handler = ngx_http_omni_cleanup_rules;
        cln->data = omcf->track.channel_rules;
    }

    rc = omni_channel_rules_add(omcf->track.channel_rules,
                                (char *) value[1].data, value[1].len,
                                channel);

    if (rc == OMNI_EINVAL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid host \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (rc != OMNI_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


void
ngx_http_omni_track_create_loc_conf(ngx_http_omni_loc_conf_t *olcf)
{
    olcf->track_rules = NGX_CONF_UNSET_PTR;
    olcf->track_enable = NGX_CONF_UNSET;
    olcf->beacon = NGX_CONF_UNSET;
}


char *
ngx_http_omni_track_merge_loc_conf(ngx_conf_t *cf,
    ngx_http_omni_loc_conf_t *prev, ngx_http_omni_loc_conf_t *conf)
{
    /* the rules are inherited as a whole, as "omni_track off" is */

    if (conf->track_rules == NGX_CONF_UNSET_PTR
        && conf->track_enable == NGX_CONF_UNSET)
    {
        conf->track_rules = prev->track_rules;
        conf->track_enable = prev->track_enable;
    }

    if (conf->track_rules == NGX_CONF_UNSET_PTR) {
        conf->track_rules = NULL;
    }

    if (conf->track_enable == NGX_CONF_UNSET) {
        conf->track_enable = 1;
    }

    /* a beacon is a handler of its own location, never inherited */
    if (conf->beacon == NGX_CONF_UNSET) {
        conf->beacon = 0;
    }

    if (conf->beacon && !conf->enable) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"omni_beacon\" needs \"omni on\" in its location "
                           "(the visitor is known by the omni cookie)");
        return NGX_CONF_ERROR;
    }

    return ngx_http_omni_first_merge_loc_conf(cf, prev, conf);
}


/*
 * omni_track off
 * omni_track view|cart|remove|clear|purchase REGEX [item=V] [value=V]
 *     [qty=V] [price=V] [order=V]
 *
 * REGEX is matched against the path of the request line, as the client
 * sent it (before any rewrite, without the query string); the values may
 * use its captures ($1) and any variable ($arg_sku).
 */

char *
ngx_http_omni_track_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_omni_loc_conf_t *olcf = conf;

    u_char                 errstr[NGX_MAX_CONF_ERRSTR];
    ngx_str_t             *value;
    ngx_uint_t             i, type;
    ngx_regex_compile_t    rc;
    ngx_http_omni_rule_t  *rule;

    value = cf->args->elts;

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        if (olcf->track_enable != NGX_CONF_UNSET
            || olcf->track_rules != NGX_CONF_UNSET_PTR)
        {
            return "is duplicate";
        }

        olcf->track_enable = 0;
        olcf->track_rules = NULL;

        return NGX_CONF_OK;
    }

    if (olcf->track_enable == 0) {
        return "is duplicate";
    }

    if (cf->args->nelts < 3) {
        return "needs a type and a regular expression";
    }

    type = omni_event_type_by_name((char *) value[1].data, value[1].len);

    if (type != OMNI_EVENT_VIEW && type != OMNI_EVENT_CART
        && type != OMNI_EVENT_REMOVE && type != OMNI_EVENT_CLEAR
        && type != OMNI_EVENT_PURCHASE)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid event type \"%V\" (view, cart, remove, "
                           "clear or purchase)", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (olcf->track_rules == NGX_CONF_UNSET_PTR) {
        olcf->track_rules = ngx_array_create(cf->pool, 4,
                                             sizeof(ngx_http_omni_rule_t));
        if (olcf->track_rules == NULL) {
            return NGX_CONF_ERROR;
        }

        olcf->track_enable = 1;
    }

    rule = ngx_array_push(olcf->track_rules);
    if (rule == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(rule, sizeof(ngx_http_omni_rule_t));
    rule->type = type;

    ngx_memzero(&rc, sizeof(ngx_regex_compile_t));

    rc.pattern = value[2];
    rc.err.len = NGX_MAX_CONF_ERRSTR;
    rc.err.data = errstr;

    rule->regex = ngx_http_regex_compile(cf, &rc);
    if (rule->regex == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 3; i < cf->args->nelts; i++) {

        if (ngx_http_omni_rule_param(cf, &value[i], "item=", &rule->item)
            == NGX_OK
            || ngx_http_omni_rule_param(cf, &value[i], "value=",
                                        &rule->value) == NGX_OK
            || ngx_http_omni_rule_param(cf, &value[i], "qty=", &rule->qty)
               == NGX_OK
            || ngx_http_omni_rule_param(cf, &value[i], "price=",
                                        &rule->price) == NGX_OK
            || ngx_http_omni_rule_param(cf, &value[i], "order=",
                                        &rule->order) == NGX_OK)
        {
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (rule->item == NULL
        && (type == OMNI_EVENT_VIEW || type == OMNI_EVENT_CART
            || type == OMNI_EVENT_REMOVE))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"omni_track %V\" needs \"item=\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * NGX_OK: the parameter was NAME=VALUE and is compiled; NGX_DECLINED:
 * another parameter.  A bad value is reported and also NGX_DECLINED, which
 * the caller turns into "invalid parameter".
 */

static ngx_int_t
ngx_http_omni_rule_param(ngx_conf_t *cf, ngx_str_t *value, const char *name,
    ngx_http_complex_value_t **cv)
{
    size_t                             len;
    ngx_str_t                         *v;
    ngx_http_compile_complex_value_t   ccv;

    len = ngx_strlen(name);

    if (value->len <= len || ngx_strncmp(value->data, name, len) != 0
        || *cv != NULL)
    {
        return NGX_DECLINED;
    }

    *cv = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
    if (*cv == NULL) {
        return NGX_DECLINED;
    }

    v = ngx_palloc(cf->pool, sizeof(ngx_str_t));
    if (v == NULL) {
        return NGX_DECLINED;
    }

    v->data = value->data + len;
    v->len = value->len - len;

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = v;
    ccv.complex_value = *cv;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        *cv = NULL;
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* the request path */

/*
 * Called once per main request from the header filter: the X-Omni-*
 * headers are removed from the response in every case (they are meant
 * for the edge, never for the browser), and turned into events only for a
 * visitor who may be tracked.
 */

void
ngx_http_omni_track_headers(ngx_http_request_t *r)
{
    ngx_uint_t                  i, n, customer;
    ngx_list_part_t            *part;
    ngx_table_elt_t            *h, *found[NGX_HTTP_OMNI_MAX_EVENT_HEADERS];
    ngx_http_omni_ctx_t        *ctx;
    ngx_http_omni_loc_conf_t   *olcf;
    ngx_http_omni_track_ctx_t  *tctx;
    ngx_http_omni_main_conf_t  *omcf;

    n = 0;

    part = &r->headers_out.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        /* every response passes here: a length and a letter first */

        if ((h[i].key.len != sizeof("X-Omni-Event") - 1
             && h[i].key.len != sizeof("X-Omni-Customer") - 1)
            || (h[i].key.data[0] | 0x20) != 'x'
            || h[i].hash == 0)
        {
            continue;
        }

        if (ngx_strncasecmp(h[i].key.data, (u_char *) "X-Omni-", 7) == 0
            && ((h[i].key.len == sizeof("X-Omni-Event") - 1
                 && ngx_strncasecmp(h[i].key.data + 7, (u_char *) "Event", 5)
                    == 0)
                || (h[i].key.len == sizeof("X-Omni-Customer") - 1
                    && ngx_strncasecmp(h[i].key.data + 7,
                                       (u_char *) "Customer", 8) == 0)))
        {
            h[i].hash = 0;

            if (n < NGX_HTTP_OMNI_MAX_EVENT_HEADERS) {
                found[n++] = &h[i];

            } else {
                ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                              "omni: more than %d X-Omni-* headers in one "
                              "response, the rest are ignored",
                              NGX_HTTP_OMNI_MAX_EVENT_HEADERS);
            }
        }
    }

    omcf = ngx_http_get_module_main_conf(r, ngx_http_omni_module);

    if (omcf->track.flusher == NULL) {
        return;
    }

    ctx = ngx_http_omni_identify(r);

    if (ctx == NULL) {
        return;
    }

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_omni_module);

    if (ctx->consent && ctx->known) {

        /*
         * A returning visitor's first response is recorded now, also
         * where "omni_track off" is: any request with the cookie shows
         * that the visitor keeps it.
         */
        ngx_http_omni_first_commit(r, ctx);

        if (olcf->track_enable) {
            tctx = ngx_http_omni_track_classify(r, ctx);

            if (tctx != NULL) {
                ngx_http_omni_track_page(r, ctx, olcf, &tctx->touch);

                for (i = 0; i < n; i++) {
                    customer = (found[i]->key.len
                                == sizeof("X-Omni-Customer") - 1);
                    ngx_http_omni_track_header(r, ctx, found[i], customer,
                                               &tctx->touch);
                }
            }
        }
    }
}


/*
 * The request's channel of arrival, classified at most once: the page
 * view and $omni_channel share it.  The original query string counts, not
 * one a rewrite made.
 */

static ngx_http_omni_track_ctx_t *
ngx_http_omni_track_classify(ngx_http_request_t *r, ngx_http_omni_ctx_t *ctx)
{
    u_char                      *q, *end;
    omni_channel_request_t       req;
    ngx_http_omni_track_ctx_t   *tctx;
    ngx_http_omni_main_conf_t   *omcf;

    if (ctx->track != NULL) {
        return ctx->track;
    }

    r = r->main;

    tctx = ngx_palloc(r->pool, sizeof(ngx_http_omni_track_ctx_t));
    if (tctx == NULL) {
        return NULL;
    }

    omcf = ngx_http_get_module_main_conf(r, ngx_http_omni_module);

    ngx_memzero(&req, sizeof(omni_channel_request_t));

    end = r->unparsed_uri.data + r->unparsed_uri.len;
    q = ngx_strlchr(r->unparsed_uri.data, end, '?');

    if (q != NULL) {
        req.args.data = (char *) q + 1;
        req.args.len = end - q - 1;
    }

    if (r->headers_in.referer != NULL) {
        req.referer.data = (char *) r->headers_in.referer->value.data;
        req.referer.len = r->headers_in.referer->value.len;
    }

    req.host.data = (char *) r->headers_in.server.data;
    req.host.len = r->headers_in.server.len;

    omni_channel_classify(omcf->track.channel_rules, &req, &tctx->touch,
                          tctx->buf);

    ctx->track = tctx;

    return tctx;
}


/* the page view and the omni_track patterns */

static void
ngx_http_omni_track_page(ngx_http_request_t *r, ngx_http_omni_ctx_t *ctx,
    ngx_http_omni_loc_conf_t *olcf, omni_touch_t *touch)
{
    u_char                *q;
    ngx_str_t              path;
    ngx_uint_t             i, status;
    omni_event_t           ev;
    ngx_http_omni_rule_t  *rule;

    status = r->headers_out.status;

    /* a page the browser revalidated (304) was viewed all the same */
    if ((status == NGX_HTTP_OK || status == NGX_HTTP_NOT_MODIFIED)
        && r->method == NGX_HTTP_GET
        && ngx_http_omni_is_html(r) == NGX_OK)
    {
        omni_event_init(&ev, OMNI_EVENT_PAGEVIEW, 0);
        ev.touch = *touch;
        (void) ngx_http_omni_track_push(r, ctx, &ev);
    }

    /* a product, cart or order page that failed is not an event */
    if (olcf->track_rules == NULL
        || status < NGX_HTTP_OK || status >= NGX_HTTP_BAD_REQUEST)
    {
        return;
    }

    path = r->unparsed_uri;
    q = ngx_strlchr(path.data, path.data + path.len, '?');

    if (q != NULL) {
        path.len = q - path.data;
    }

    rule = olcf->track_rules->elts;

    for (i = 0; i < olcf->track_rules->nelts; i++) {
        ngx_http_omni_track_rule(r, ctx, &rule[i], &path, touch);
    }
}


static void
ngx_http_omni_track_rule(ngx_http_request_t *r, ngx_http_omni_ctx_t *ctx,
    ngx_http_omni_rule_t *rule, ngx_str_t *path, omni_touch_t *touch)
{
    int           *captures;
    u_char        *captures_data;
    ngx_int_t      rc, n;
    ngx_str_t      v;
    ngx_uint_t     ncaptures, realloc_captures;
    omni_event_t   ev;

    /* the location's own captures are left as they were */
    captures = r->captures;
    ncaptures = r->ncaptures;
    captures_data = r->captures_data;
    realloc_captures = r->realloc_captures;

    r->captures = NULL;

    rc = ngx_http_regex_exec(r, rule->regex, path);

    if (rc != NGX_OK) {
        goto done;
    }

    omni_event_init(&ev, rule->type, 0);
    ev.touch = *touch;

    /* the item is required when given; the others may come out empty */

    if (rule->item) {
        if (ngx_http_omni_rule_value(r, rule->item, &v) != NGX_OK
            || !omni_event_valid_id((char *) v.data, v.len))
        {
            goto invalid;
        }

        ev.item.data = (char *) v.data;
        ev.item.len = v.len;
    }

    if (ngx_http_omni_rule_value(r, rule->order, &v) != NGX_OK) {
        goto invalid;
    }

    if (v.len) {
        if (!omni_event_valid_id((char *) v.data, v.len)) {
            goto invalid;
        }

        ev.order.data = (char *) v.data;
        ev.order.len = v.len;
    }

    if (ngx_http_omni_rule_value(r, rule->value, &v) != NGX_OK) {
        goto invalid;
    }

    if (v.len) {
        if (omni_money_parse((char *) v.data, v.len, &ev.value) != OMNI_OK) {
            goto invalid;
        }

        ev.flags |= OMNI_EVENT_HAS_VALUE;
    }

    if (ngx_http_omni_rule_value(r, rule->price, &v) != NGX_OK) {
        goto invalid;
    }

    if (v.len) {
        if (omni_money_parse((char *) v.data, v.len, &ev.price) != OMNI_OK) {
            goto invalid;
        }

        ev.flags |= OMNI_EVENT_HAS_PRICE;
    }

    if (ngx_http_omni_rule_value(r, rule->qty, &v) != NGX_OK) {
        goto invalid;
    }

    if (v.len) {
        n = ngx_atoi(v.data, v.len);

        if (n == NGX_ERROR || n > OMNI_EVENT_QTY_MAX) {
            goto invalid;
        }

        ev.qty = (uint32_t) n;
        ev.flags |= OMNI_EVENT_HAS_QTY;
    }

    (void) ngx_http_omni_track_push(r, ctx, &ev);

    goto done;

invalid:

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "omni: omni_track %s matched, but a value is not valid",
                   omni_event_type_name(rule->type));

done:

    r->captures = captures;
    r->ncaptures = ncaptures;
    r->captures_data = captures_data;
    r->realloc_captures = realloc_captures;
}


/* a parameter not given is empty */

static ngx_int_t
ngx_http_omni_rule_value(ngx_http_request_t *r, ngx_http_complex_value_t *cv,
    ngx_str_t *value)
{
    if (cv == NULL) {
        value->len = 0;
        value->data = NULL;
        return NGX_OK;
    }

    return ngx_http_complex_value(r, cv, value);
}


/* one X-Omni-Event or X-Omni-Customer header */

static void
ngx_http_omni_track_header(ngx_http_request_t *r, ngx_http_omni_ctx_t *ctx,
    ngx_table_elt_t *h, ngx_uint_t customer, omni_touch_t *touch)
{
    int            rc;
    omni_str_t     id;
    const char    *reason;
    omni_event_t   ev;

    if (customer) {
        rc = omni_event_parse_customer((char *) h->value.data, h->value.len,
                                       &id);
        if (rc != OMNI_OK) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "omni: ignored an X-Omni-Customer header from "
                          "the upstream: not a customer id");
            return;
        }

        /*
         * A cached response was somebody else's: linking every visitor it
         * is served to with that customer would mix people up.
         */
        if (r->cached) {
            return;
        }

        omni_event_init(&ev, OMNI_EVENT_LINK, 0);
        ev.customer = id;

    } else {
        rc = omni_event_parse_header((char *) h->value.data, h->value.len,
                                     &ev, &reason);
        if (rc != OMNI_OK) {
            /* the value is not logged: it may carry what is not ours */
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "omni: ignored an X-Omni-Event header from the "
                          "upstream: %s", reason ? reason : "invalid");
            return;
        }

        /* a product page from the cache is still a view; nothing else */
        if (r->cached && ev.type != OMNI_EVENT_VIEW) {
            return;
        }
    }

    ev.touch = *touch;

    (void) ngx_http_omni_track_push(r, ctx, &ev);
}


static ngx_int_t
ngx_http_omni_is_html(ngx_http_request_t *r)
{
    ngx_str_t  *ct;

    ct = &r->headers_out.content_type;

    /* nearly always in lower case: the exact compare is the cheap one */
    if (ct->len >= sizeof("text/html") - 1
        && (ngx_strncmp(ct->data, "text/html", sizeof("text/html") - 1) == 0
            || ngx_strncasecmp(ct->data, (u_char *) "text/html",
                               sizeof("text/html") - 1) == 0)
        && (ct->len == sizeof("text/html") - 1
            || ct->data[sizeof("text/html") - 1] == ';'
            || ct->data[sizeof("text/html") - 1] == ' '))
    {
        return NGX_OK;
    }

    return NGX_DECLINED;
}


/* variables */

/*
 * $omni_channel: the channel of the visit.  A request that brings a
 * campaign, a click id or another site's Referer arrived by that channel;
 * any other request of a visit under way (same-site Referer, or none) has
 * the channel the visit arrived by, as the store knows it; "direct" when
 * nothing says otherwise.
 */

ngx_int_t
ngx_http_omni_channel_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    omni_channel_e              channel;
    omni_activity_t            *a;
    ngx_http_omni_ctx_t        *ctx;
    ngx_http_omni_loc_conf_t   *olcf;
    ngx_http_omni_track_ctx_t  *tctx;
    ngx_http_omni_main_conf_t  *omcf;

    olcf = ngx_http_get_module_loc_conf(r->main, ngx_http_omni_module);

    if (!olcf->enable) {
        v->not_found = 1;
        return NGX_OK;
    }

    ctx = ngx_http_omni_identify(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    tctx = ngx_http_omni_track_classify(r, ctx);
    if (tctx == NULL) {
        return NGX_ERROR;
    }

    channel = tctx->touch.channel;

    /*
     * Neither a same-site page nor one without a Referer (a bookmark, an
     * app, a client that sends none) ends the visit's channel.
     */
    if (channel == OMNI_CHANNEL_NONE || channel == OMNI_CHANNEL_DIRECT) {
        channel = OMNI_CHANNEL_DIRECT;

        if (ngx_http_omni_lookup(r) == NULL) {
            return NGX_ERROR;
        }

        omcf = ngx_http_get_module_main_conf(r, ngx_http_omni_module);
        a = ctx->activity;

        if (a != NULL && a->last_touch.channel != OMNI_CHANNEL_NONE
            && ngx_time() - a->last_seen < omcf->track.visit_timeout)
        {
            channel = a->last_touch.channel;
        }
    }

    v->data = (u_char *) omni_channel_name(channel);
    v->len = ngx_strlen(v->data);
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


/* $omni_abandoned: 1 for a visitor whose cart was abandoned, else 0 */

ngx_int_t
ngx_http_omni_abandoned_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_omni_ctx_t        *ctx;
    ngx_http_omni_loc_conf_t   *olcf;
    ngx_http_omni_main_conf_t  *omcf;

    olcf = ngx_http_get_module_loc_conf(r->main, ngx_http_omni_module);

    if (!olcf->enable) {
        v->not_found = 1;
        return NGX_OK;
    }

    ctx = ngx_http_omni_lookup(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    omcf = ngx_http_get_module_main_conf(r, ngx_http_omni_module);

    v->len = 1;
    v->data = (u_char *) (ctx->activity != NULL
                          && omni_activity_abandoned(ctx->activity,
                                                     ngx_time(),
                                                     omcf->track.abandon_after)
                          ? "1" : "0");
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


/*
 * The KPI zone counts what the queue accepted, by the request's channel:
 * visits (the first page of a new visitor, or the first after
 * omni_visit_timeout of inactivity), product views, carts found abandoned
 * on the visitor's return, carts and purchases, the last two attributed
 * to the offer the visitor last saw or clicked within
 * omni_attribution_window.  Two pages of one visitor within one flush
 * interval after a long absence may both count as a visit's first: the
 * record they are compared with is the same.
 */

void
ngx_http_omni_track_count(ngx_http_request_t *r, ngx_http_omni_ctx_t *ctx,
    const omni_event_t *ev)
{
    time_t                      now;
    ngx_uint_t                  event;
    omni_channel_e              channel;
    omni_kpi_keys_t             keys;
    const omni_activity_t      *a;
    ngx_http_omni_main_conf_t  *omcf;

    omcf = ngx_http_get_module_main_conf(r, ngx_http_omni_module);

    if (omcf->kpi->table == NULL) {
        return;
    }

    switch (ev->type) {

    case OMNI_EVENT_PAGEVIEW:
    case OMNI_EVENT_VIEW:
    case OMNI_EVENT_CART:
    case OMNI_EVENT_PURCHASE:
        break;

    default:
        return;
    }

    a = NULL;

    if (ngx_http_omni_lookup(r) != NULL) {
        a = ctx->activity;
    }

    now = ngx_time();

    channel = OMNI_CHANNEL_NONE;

    if (ctx->track != NULL) {
        channel = ctx->track->touch.channel;
    }

    if (channel == OMNI_CHANNEL_NONE && a != NULL) {
        channel = a->last_touch.channel;
    }

    ngx_memzero(&keys, sizeof(omni_kpi_keys_t));

    if (channel != OMNI_CHANNEL_NONE) {
        keys.channel.data = omni_channel_name(channel);
        keys.channel.len = ngx_strlen(keys.channel.data);
    }

    switch (ev->type) {

    case OMNI_EVENT_PAGEVIEW:

        if (a != NULL
            && a->abandoned_at == 0
            && omni_activity_abandoned(a, now, omcf->track.abandon_after))
        {
            (void) ngx_http_omni_kpi_count(r, NGX_HTTP_OMNI_KPI_ABANDON,
                                           &keys, 0);
        }

        if (a == NULL ? !ctx->new_visitor
                      : now - a->last_seen < omcf->track.visit_timeout)
        {
            return;
        }

        event = NGX_HTTP_OMNI_KPI_VISIT;
        break;

    case OMNI_EVENT_VIEW:
        event = NGX_HTTP_OMNI_KPI_VIEW;
        break;

    case OMNI_EVENT_CART:
        (void) ngx_http_omni_kpi_attribute(r, &keys, a);
        event = NGX_HTTP_OMNI_KPI_CART;
        break;

    default: /* OMNI_EVENT_PURCHASE */

        if (a != NULL
            && omni_activity_abandoned(a, now, omcf->track.abandon_after))
        {
            (void) ngx_http_omni_kpi_count(r, NGX_HTTP_OMNI_KPI_RECOVER,
                                           &keys, 0);
        }

        (void) ngx_http_omni_kpi_attribute(r, &keys, a);
        (void) ngx_http_omni_kpi_count(r, NGX_HTTP_OMNI_KPI_PURCHASE, &keys,
                                       ev->value);
        return;
    }

    (void) ngx_http_omni_kpi_count(r, event, &keys, 0);
}


/*
 * The first view, cart or purchase of the request is what the page's tag
 * snippets report ({{item}}, {{value}}, {{order}}, {{items}}): copied,
 * because the event's strings belong to a header or a beacon body.
 */

void
ngx_http_omni_track_tag_event(ngx_http_request_t *r, ngx_http_omni_ctx_t *ctx,
    const omni_event_t *ev)
{
    u_char      *p;
    size_t       i, len;
    ngx_uint_t   type;

    if (ctx->tag_event != OMNI_TAG_NONE) {
        return;
    }

    switch (ev->type) {

    case OMNI_EVENT_VIEW:
        type = OMNI_TAG_VIEW;
        ctx->tag_value = ev->price;
        break;

    case OMNI_EVENT_CART:
        type = OMNI_TAG_CART;
        ctx->tag_value = ev->price * (int64_t) ev->qty;
        break;

    case OMNI_EVENT_PURCHASE:
        type = OMNI_TAG_PURCHASE;
        ctx->tag_value = ev->value;
        break;

    default:
        return;
    }

    len = ev->item.len + ev->order.len;

    for (i = 0; i < ev->nitems; i++) {
        len += ev->items[i].len + 1;
    }

    p = ngx_pnalloc(r->main->pool, len ? len : 1);
    if (p == NULL) {
        return;
    }

    /* an absent string has no data at all: memcpy() must not see it */

    ctx->tag_item.data = p;
    ctx->tag_item.len = ev->item.len;

    if (ev->item.len) {
        p = ngx_cpymem(p, ev->item.data, ev->item.len);
    }

    ctx->tag_order.data = p;
    ctx->tag_order.len = ev->order.len;

    if (ev->order.len) {
        p = ngx_cpymem(p, ev->order.data, ev->order.len);
    }

    ctx->tag_items.data = p;

    for (i = 0; i < ev->nitems; i++) {
        if (i) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, ev->items[i].data, ev->items[i].len);
    }

    ctx->tag_items.len = p - ctx->tag_items.data;
    ctx->tag_event = type;
}
