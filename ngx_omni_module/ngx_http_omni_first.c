
/*
 * A new visitor's first response (include/omni/first.h).
 *
 * Nothing is queued for a visitor whose id this very request minted: a
 * client that never returns the cookie (a crawler, a scanner, a flood)
 * would otherwise add a record to the store with every request.  The
 * events of that response go into a second cookie instead,
 *
 *     omni_first=f1.<events>.<mac>; Path=/; Max-Age=3600; HttpOnly; ...
 *
 * signed with omni_secret and bound to the visitor id.  When the visitor
 * comes back with the visitor cookie, the first request that sees both
 * queues those events, with their own times, before its own, and deletes
 * the cookie.  Requests that carried it at the same time (a page's
 * images, two tabs) queue copies, which the flush leaves out.
 */


#include "ngx_http_omni_module.h"

#include <omni/first.h>
#include <omni/flush.h>


#define NGX_HTTP_OMNI_FIRST_SUFFIX  "_first"


static ngx_int_t ngx_http_omni_first_header_filter(ngx_http_request_t *r);
static omni_first_t *ngx_http_omni_first_open(ngx_http_request_t *r,
    ngx_http_omni_ctx_t *ctx);
static void ngx_http_omni_first_cookie(ngx_http_request_t *r,
    ngx_http_omni_ctx_t *ctx);
static ngx_int_t ngx_http_omni_first_get(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *value);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


/*
 * A header filter of its own, installed before the module's main one so
 * that it runs after it: the cookie goes out once the response's events
 * are known (the page view, the upstream's headers, an experiment's
 * holdout), after the visitor cookie, and before the header is sent.
 */

ngx_int_t
ngx_http_omni_first_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_omni_first_header_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_omni_first_header_filter(ngx_http_request_t *r)
{
    omni_event_t               ev;
    ngx_http_omni_ctx_t       *ctx;
    ngx_http_omni_loc_conf_t  *olcf;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_omni_module);
    ctx = ngx_http_get_module_ctx(r, ngx_http_omni_module);

    if (!olcf->enable || ctx == NULL || !ctx->identified) {
        return ngx_http_next_header_filter(r);
    }

    /*
     * The offer reaches the page after the header; for a new visitor it
     * is recorded as shown when the page is set to show it.
     */
    if (ctx->new_visitor && ctx->consent
        && ngx_http_omni_impression_ahead(r, &ev) == NGX_OK)
    {
        (void) ngx_http_omni_track_push(r, ctx, &ev);
    }

    ngx_http_omni_first_cookie(r, ctx);

    return ngx_http_next_header_filter(r);
}


/*
 * The cookie is named after the visitor cookie and shares its Domain and
 * SameSite, so that it goes wherever the visitor cookie goes; only its
 * life is short.
 */

char *
ngx_http_omni_first_merge_loc_conf(ngx_conf_t *cf,
    ngx_http_omni_loc_conf_t *prev, ngx_http_omni_loc_conf_t *conf)
{
    u_char     *p, *q, *end;
    ngx_str_t   rest;

    if (conf->cookie_attrs.data == prev->cookie_attrs.data
        && prev->first_name.data != NULL)
    {
        conf->first_name = prev->first_name;
        conf->first_attrs = prev->first_attrs;
        conf->first_expire = prev->first_expire;
        return NGX_CONF_OK;
    }

    conf->first_name.len = conf->cookie_name.len
                           + sizeof(NGX_HTTP_OMNI_FIRST_SUFFIX) - 1;
    conf->first_name.data = ngx_pnalloc(cf->pool, conf->first_name.len);
    if (conf->first_name.data == NULL) {
        return NGX_CONF_ERROR;
    }

    p = ngx_cpymem(conf->first_name.data, conf->cookie_name.data,
                   conf->cookie_name.len);
    ngx_memcpy(p, NGX_HTTP_OMNI_FIRST_SUFFIX,
               sizeof(NGX_HTTP_OMNI_FIRST_SUFFIX) - 1);

    /* the visitor cookie's attributes after its Max-Age */

    end = conf->cookie_attrs.data + conf->cookie_attrs.len;
    q = ngx_strlcasestrn(conf->cookie_attrs.data, end,
                         (u_char *) "; Max-Age=", sizeof("; Max-Age=") - 2);

    if (q == NULL) {
        rest = conf->cookie_attrs;

    } else {
        for (q += sizeof("; Max-Age=") - 1; q < end && *q >= '0' && *q <= '9';
             q++)
        {
            /* void */
        }

        rest.data = q;
        rest.len = end - q;
    }

    conf->first_attrs.data = ngx_pnalloc(cf->pool,
                                         sizeof("; Path=/; Max-Age=") - 1
                                         + NGX_TIME_T_LEN + rest.len);
    conf->first_expire.data = ngx_pnalloc(cf->pool,
                                          sizeof("; Path=/; Max-Age=0") - 1
                                          + rest.len);
    if (conf->first_attrs.data == NULL || conf->first_expire.data == NULL) {
        return NGX_CONF_ERROR;
    }

    conf->first_attrs.len = ngx_sprintf(conf->first_attrs.data,
                                        "; Path=/; Max-Age=%T%V",
                                        (time_t) OMNI_FIRST_MAX_AGE, &rest)
                            - conf->first_attrs.data;

    conf->first_expire.len = ngx_sprintf(conf->first_expire.data,
                                         "; Path=/; Max-Age=0%V", &rest)
                             - conf->first_expire.data;

    return NGX_CONF_OK;
}


/*
 * An event of a visitor whose id this request minted: kept for the
 * cookie.  NGX_DECLINED when it cannot be (the cookie is full, or was
 * sent already): such an event is not recorded.
 */

ngx_int_t
ngx_http_omni_first_carry(ngx_http_request_t *r, ngx_http_omni_ctx_t *ctx,
    omni_event_t *ev)
{
    int  rc;

    if (ctx->first_sent) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "omni: event of a new visitor after the response "
                       "header, not recorded");
        return NGX_DECLINED;
    }

    if (ctx->first == NULL) {
        ctx->first = ngx_palloc(r->main->pool, sizeof(omni_first_t));
        if (ctx->first == NULL) {
            return NGX_DECLINED;
        }

        omni_first_init(ctx->first, (int64_t) ngx_time());
    }

    rc = omni_first_add(ctx->first, ev);

    if (rc != OMNI_OK) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "omni: event of a new visitor not recorded: %s",
                       omni_strerror(rc));
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * The cookie a returning visitor brought back, verified once per request:
 * NULL when there is none, or none usable.  Whatever it holds, it has done
 * its job and is deleted with this response.
 */

static omni_first_t *
ngx_http_omni_first_open(ngx_http_request_t *r, ngx_http_omni_ctx_t *ctx)
{
    int                        rc;
    ngx_str_t                  value;
    omni_first_t              *set;
    ngx_http_omni_loc_conf_t  *olcf;

    if (ctx->first_checked) {
        return ctx->first_in;
    }

    ctx->first_checked = 1;

    if (!ctx->known || ctx->new_visitor || !ctx->consent) {
        return NULL;
    }

    r = r->main;
    olcf = ngx_http_get_module_loc_conf(r, ngx_http_omni_module);

    if (ngx_http_omni_first_get(r, &olcf->first_name, &value) != NGX_OK) {
        return NULL;
    }

    ctx->first_expire = 1;

    set = ngx_palloc(r->pool, sizeof(omni_first_t));
    if (set == NULL) {
        return NULL;
    }

    rc = omni_first_open(olcf->signer, &ctx->id, (char *) value.data,
                         value.len, (int64_t) ngx_time(), set);

    if (rc != OMNI_OK) {
        /* the value is not logged: it is bound to somebody's id */
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "omni: client sent an unusable first-response cookie "
                      "(%s), ignored",
                      rc == OMNI_ENOTFOUND ? "expired" : omni_strerror(rc));
        return NULL;
    }

    ctx->first_in = set;

    return set;
}


/*
 * A returning visitor: the events their first response carried are
 * queued, once per request, before anything of this request.
 */

void
ngx_http_omni_first_commit(ngx_http_request_t *r, ngx_http_omni_ctx_t *ctx)
{
    omni_first_t  *set;

    if (ctx->first_committed) {
        return;
    }

    ctx->first_committed = 1;

    set = ngx_http_omni_first_open(r, ctx);

    if (set != NULL) {
        (void) ngx_http_omni_track_push_first(r, ctx, set);
    }
}


/*
 * The store has no record yet for a visitor who came back with their
 * first response's events: the request sees those, as the store will
 * once they are flushed, so that the visitor's second page already knows
 * the first (a second visit, the campaign that brought them).
 */

ngx_int_t
ngx_http_omni_first_activity(ngx_http_request_t *r, ngx_http_omni_ctx_t *ctx,
    omni_activity_t *a)
{
    size_t                      pos, n;
    omni_event_t                ev;
    omni_first_t               *set;
    omni_flush_conf_t           conf;
    ngx_http_omni_main_conf_t  *omcf;

    set = ngx_http_omni_first_open(r, ctx);

    if (set == NULL) {
        return NGX_DECLINED;
    }

    omcf = ngx_http_get_module_main_conf(r, ngx_http_omni_module);

    conf.visit_timeout = omcf->track.visit_timeout;
    conf.abandon_after = omcf->track.abandon_after;

    omni_activity_init(a);

    n = 0;
    pos = 0;

    while (omni_first_next(set, &pos, &ev) == OMNI_OK) {
        if (omni_flush_event(a, &ev, &conf) == OMNI_OK) {
            n++;
        }
    }

    return n ? NGX_OK : NGX_DECLINED;
}


/*
 * Once per response: a new visitor's events go out in the cookie; a
 * cookie that came back (or one of a visitor who withdrew consent) is
 * deleted.
 */

static void
ngx_http_omni_first_cookie(ngx_http_request_t *r, ngx_http_omni_ctx_t *ctx)
{
    u_char                    *p;
    size_t                     len;
    ngx_str_t                  value;
    ngx_uint_t                 secure;
    ngx_table_elt_t           *h;
    ngx_http_omni_loc_conf_t  *olcf;

    if (ctx->first_sent) {
        return;
    }

    ctx->first_sent = 1;

    r = r->main;
    olcf = ngx_http_get_module_loc_conf(r, ngx_http_omni_module);

    if (ctx->first != NULL && ctx->first->n && ctx->new_visitor
        && ctx->consent)
    {
        len = omni_first_cookie_len(ctx->first) + olcf->first_attrs.len;

    } else if (ctx->first_expire
               || (!ctx->consent
                   && ngx_http_omni_first_get(r, &olcf->first_name, &value)
                      == NGX_OK))
    {
        ctx->first = NULL;
        len = olcf->first_expire.len;

    } else {
        return;
    }

    len += olcf->first_name.len + 1 + sizeof("; Secure") - 1;

#if (NGX_HTTP_SSL)
    secure = olcf->cookie_secure || r->connection->ssl != NULL;
#else
    secure = olcf->cookie_secure;
#endif

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Set-Cookie");
    h->value.data = p;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    p = ngx_cpymem(p, olcf->first_name.data, olcf->first_name.len);
    *p++ = '=';

    if (ctx->first != NULL) {
        p += omni_first_seal(olcf->signer, &ctx->id, ctx->first, (char *) p);
        p = ngx_cpymem(p, olcf->first_attrs.data, olcf->first_attrs.len);

    } else {
        p = ngx_cpymem(p, olcf->first_expire.data, olcf->first_expire.len);
    }

    if (secure) {
        p = ngx_cpymem(p, "; Secure", sizeof("; Secure") - 1);
    }

    h->value.len = p - h->value.data;

    if (ngx_http_omni_make_private(r) != NGX_OK) {
        h->hash = 0;
    }
}


static ngx_int_t
ngx_http_omni_first_get(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value)
{
#if (nginx_version >= 1023000)

    if (ngx_http_parse_multi_header_lines(r, r->headers_in.cookie, name,
                                          value)
        == NULL)
    {
        return NGX_DECLINED;
    }

#else

    if (ngx_http_parse_multi_header_lines(&r->headers_in.cookies, name,
                                          value)
        == NGX_DECLINED)
    {
        return NGX_DECLINED;
    }

#endif

    return NGX_OK;
}
