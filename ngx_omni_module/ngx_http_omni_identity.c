
/*
 * Visitor identity and consent: the signed cookie is read or minted once
 * per request, before anything else needs the visitor's id, and the
 * Set-Cookie header is added on the way out.
 */


#include "ngx_http_omni_module.h"


static void ngx_http_omni_ctx_cleanup(void *data);
static ngx_uint_t ngx_http_omni_has_consent(ngx_http_request_t *r,
    ngx_http_omni_loc_conf_t *olcf, uint32_t *categories);
static uint32_t ngx_http_omni_consent_categories(ngx_str_t *value);
static ngx_int_t ngx_http_omni_header_is_one(ngx_http_request_t *r,
    ngx_str_t *name);
static ngx_int_t ngx_http_omni_get_cookie(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *value);
static ngx_int_t ngx_http_omni_word_in_list(ngx_str_t *list,
    ngx_str_t *word);


static ngx_str_t  ngx_http_omni_sec_gpc = ngx_string("Sec-GPC");
static ngx_str_t  ngx_http_omni_dnt = ngx_string("DNT");


/*
 * Module contexts are cleared by an internal redirect (try_files, index,
 * error_page); the visitor must keep the id minted before it, so the
 * context is also reachable through a pool cleanup, as realip does.
 */

ngx_http_omni_ctx_t *
ngx_http_omni_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t   *cln;
    ngx_http_omni_ctx_t  *ctx;

    r = r->main;

    ctx = ngx_http_get_module_ctx(r, ngx_http_omni_module);
    if (ctx) {
        return ctx;
    }

    if (r->internal || r->filter_finalize) {
        for (cln = r->pool->cleanup; cln; cln = cln->next) {
            if (cln->handler == ngx_http_omni_ctx_cleanup) {
                ctx = cln->data;
                ngx_http_set_ctx(r, ctx, ngx_http_omni_module);
                return ctx;
            }
        }
    }

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_omni_ctx_t));
    if (cln == NULL) {
        return NULL;
    }

    ctx = cln->data;
    ngx_memzero(ctx, sizeof(ngx_http_omni_ctx_t));

    cln->handler = ngx_http_omni_ctx_cleanup;

    ngx_http_set_ctx(r, ctx, ngx_http_omni_module);

    return ctx;
}


static void
ngx_http_omni_ctx_cleanup(void *data)
{
    /* the context lives in the request pool; nothing to release yet */
}


ngx_http_omni_ctx_t *
ngx_http_omni_identify(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_str_t                  cookie;
    ngx_http_omni_ctx_t       *ctx;
    ngx_http_omni_loc_conf_t  *olcf;

    ctx = ngx_http_omni_get_ctx(r);
    if (ctx == NULL || ctx->identified) {
        return ctx;
    }

    r = r->main;
    ctx->identified = 1;

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_omni_module);

    rc = ngx_http_omni_get_cookie(r, &olcf->cookie_name, &cookie);

    if (!ngx_http_omni_has_consent(r, olcf, &ctx->consent_categories)) {
        /* the visitor stays anonymous; a cookie from before goes away */
        ctx->expire_cookie = (rc == NGX_OK);
        return ctx;
    }

    ctx->consent = 1;

    if (rc == NGX_OK) {
        rc = omni_cookie_verify(olcf->signer, (char *) cookie.data,
                                cookie.len, &ctx->id);

        if (rc == OMNI_OK) {
            omni_id_format(&ctx->id, (char *) ctx->id_text);
            ctx->known = 1;
            return ctx;
        }

        /* the value is not logged: it may be somebody's valid id */
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "omni: client sent invalid visitor cookie (%s), "
                      "issuing a new one", omni_strerror(rc));
    }

    if (omni_id_generate(&ctx->id) != OMNI_OK) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "omni: RAND_bytes() failed, visitor left anonymous");
        return ctx;
    }

    omni_id_format(&ctx->id, (char *) ctx->id_text);
    ctx->known = 1;
    ctx->new_visitor = 1;
    ctx->send_cookie = 1;

    return ctx;
}


/*
 * Whether the visitor may be tracked, and for which tag categories
 * (OMNI_CONSENT_ADS, OMNI_CONSENT_ANALYTICS): all of them when consent
 * is implied or given by the cookie's mere presence, else those the
 * consent cookie lists.  GPC and DNT withdraw everything.
 */

static ngx_uint_t
ngx_http_omni_has_consent(ngx_http_request_t *r,
    ngx_http_omni_loc_conf_t *olcf, uint32_t *categories)
{
    ngx_str_t  value;

    *categories = 0;

    if (olcf->consent_gpc
        && ngx_http_omni_header_is_one(r, &ngx_http_omni_sec_gpc))
    {
        return 0;
    }

    if (olcf->consent_dnt
        && ngx_http_omni_header_is_one(r, &ngx_http_omni_dnt))
    {
        return 0;
    }

    if (!olcf->consent_required) {
        *categories = OMNI_CONSENT_ADS | OMNI_CONSENT_ANALYTICS;
        return 1;
    }

    if (ngx_http_omni_get_cookie(r, &olcf->consent_cookie, &value)
        != NGX_OK)
    {
        return 0;
    }

    if (olcf->consent_value.len == 0) {
        *categories = OMNI_CONSENT_ADS | OMNI_CONSENT_ANALYTICS;
        return 1;
    }

    if (ngx_http_omni_word_in_list(&value, &olcf->consent_value) != NGX_OK) {
        return 0;
    }

    *categories = ngx_http_omni_consent_categories(&value);

    return 1;
}


/* the words consent banners use for the two categories tags can need */

static uint32_t
ngx_http_omni_consent_categories(ngx_str_t *value)
{
    uint32_t     categories;
    ngx_uint_t   i;

    static ngx_str_t  ads[] = {
        ngx_string("ads"), ngx_string("advertising"),
        ngx_string("marketing"), ngx_string("targeting")
    };

    static ngx_str_t  analytics[] = {
        ngx_string("analytics"), ngx_string("statistics"),
        ngx_string("performance")
    };

    categories = 0;

    for (i = 0; i < sizeof(ads) / sizeof(ngx_str_t); i++) {
        if (ngx_http_omni_word_in_list(value, &ads[i]) == NGX_OK) {
            categories |= OMNI_CONSENT_ADS;
            break;
        }
    }

    for (i = 0; i < sizeof(analytics) / sizeof(ngx_str_t); i++) {
        if (ngx_http_omni_word_in_list(value, &analytics[i]) == NGX_OK) {
            categories |= OMNI_CONSENT_ANALYTICS;
            break;
        }
    }

    return categories;
}


static ngx_int_t
ngx_http_omni_header_is_one(ngx_http_request_t *r, ngx_str_t *name)
{
    ngx_table_elt_t  *h;

    h = ngx_http_omni_find_header(r, name);

    return h != NULL && h->value.len == 1 && h->value.data[0] == '1';
}


ngx_table_elt_t *
ngx_http_omni_find_header(ngx_http_request_t *r, ngx_str_t *name)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == name->len
            && ngx_strncasecmp(h[i].key.data, name->data, name->len) == 0)
        {
            return &h[i];
        }
    }
}


static ngx_int_t
ngx_http_omni_get_cookie(ngx_http_request_t *r, ngx_str_t *name,
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


static ngx_int_t
ngx_http_omni_word_in_list(ngx_str_t *list, ngx_str_t *word)
{
    u_char  *p, *last, *start;

    p = list->data;
    last = p + list->len;

    while (p < last) {

        while (p < last
               && (*p == ',' || *p == ' ' || *p == '|' || *p == '+'))
        {
            p++;
        }

        start = p;

        while (p < last
               && *p != ',' && *p != ' ' && *p != '|' && *p != '+')
        {
            p++;
        }

        if ((size_t) (p - start) == word->len
            && ngx_strncasecmp(start, word->data, word->len) == 0)
        {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


ngx_int_t
ngx_http_omni_send_cookie(ngx_http_request_t *r, ngx_http_omni_ctx_t *ctx)
{
    u_char                    *p;
    size_t                     len;
    ngx_uint_t                 secure;
    ngx_table_elt_t           *set_cookie;
    ngx_http_omni_loc_conf_t  *olcf;

    if (ctx->cookie_sent || !(ctx->send_cookie || ctx->expire_cookie)) {
        return NGX_OK;
    }

    ctx->cookie_sent = 1;

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_omni_module);

#if (NGX_HTTP_SSL)
    secure = olcf->cookie_secure || r->connection->ssl != NULL;
#else
    secure = olcf->cookie_secure;
#endif

    len = olcf->cookie_name.len + 1 + OMNI_COOKIE_LEN
          + olcf->cookie_attrs.len + sizeof("; Secure") - 1;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    set_cookie = ngx_list_push(&r->headers_out.headers);
    if (set_cookie == NULL) {
        return NGX_ERROR;
    }

    set_cookie->hash = 1;
    ngx_str_set(&set_cookie->key, "Set-Cookie");
    set_cookie->value.data = p;
#if (nginx_version >= 1023000)
    set_cookie->next = NULL;
#endif

    p = ngx_cpymem(p, olcf->cookie_name.data, olcf->cookie_name.len);
    *p++ = '=';

    if (ctx->send_cookie) {
        omni_cookie_mint(olcf->signer, &ctx->id, (char *) p);
        p += OMNI_COOKIE_LEN;
        p = ngx_cpymem(p, olcf->cookie_attrs.data, olcf->cookie_attrs.len);

    } else {
        p = ngx_cpymem(p, "; Path=/; Max-Age=0; HttpOnly",
                       sizeof("; Path=/; Max-Age=0; HttpOnly") - 1);
    }

    if (secure) {
        p = ngx_cpymem(p, "; Secure", sizeof("; Secure") - 1);
    }

    set_cookie->value.len = p - set_cookie->value.data;

    /* a shared cache must never hand one visitor's cookie to another */
    return ngx_http_omni_make_private(r);
}


/*
 * Cache-Control becomes "private" plus whatever the response said that
 * still holds for a private cache: "public", "s-maxage" and
 * "proxy-revalidate" are dropped, "no-store" and "private" are kept as is.
 */

ngx_int_t
ngx_http_omni_make_private(ngx_http_request_t *r)
{
    u_char           *p, *last, *start, *end;
    size_t            len;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *cc;

    len = sizeof("private") - 1;

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

        if (h[i].hash == 0
            || h[i].key.len != sizeof("Cache-Control") - 1
            || ngx_strncasecmp(h[i].key.data, (u_char *) "Cache-Control",
                               sizeof("Cache-Control") - 1)
               != 0)
        {
            continue;
        }

        if (ngx_strlcasestrn(h[i].value.data,
                             h[i].value.data + h[i].value.len,
                             (u_char *) "private", 7 - 1)
            || ngx_strlcasestrn(h[i].value.data,
                                h[i].value.data + h[i].value.len,
                                (u_char *) "no-store", 8 - 1))
        {
            return NGX_OK;
        }

        len += h[i].value.len + 2;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    cc = ngx_list_push(&r->headers_out.headers);
    if (cc == NULL) {
        return NGX_ERROR;
    }

    cc->hash = 1;
    ngx_str_set(&cc->key, "Cache-Control");
    cc->value.data = p;
#if (nginx_version >= 1023000)
    cc->next = NULL;
#endif

    p = ngx_cpymem(p, "private", sizeof("private") - 1);

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

        if (&h[i] == cc
            || h[i].hash == 0
            || h[i].key.len != sizeof("Cache-Control") - 1
            || ngx_strncasecmp(h[i].key.data, (u_char *) "Cache-Control",
                               sizeof("Cache-Control") - 1)
               != 0)
        {
            continue;
        }

        /* the old header is replaced: a zero hash hides it from output */
        h[i].hash = 0;

        start = h[i].value.data;
        last = start + h[i].value.len;

        while (start < last) {

            while (start < last && (*start == ',' || *start == ' ')) {
                start++;
            }

            end = start;

            while (end < last && *end != ',') {
                end++;
            }

            len = end - start;

            while (len && start[len - 1] == ' ') {
                len--;
            }

            if (len
                && !(len == 6 && ngx_strncasecmp(start, (u_char *) "public",
                                                 6) == 0)
                && !(len == 16 && ngx_strncasecmp(start,
                                          (u_char *) "proxy-revalidate",
                                          16) == 0)
                && !(len > 9 && ngx_strncasecmp(start,
                                                (u_char *) "s-maxage=", 9)
                                == 0))
            {
                *p++ = ',';
                *p++ = ' ';
                p = ngx_cpymem(p, start, len);
            }

            start = end;
        }
    }

    cc->value.len = p - cc->value.data;

#if (nginx_version < 1023000)
    r->headers_out.cache_control.nelts = 0;
#else
    r->headers_out.cache_control = NULL;
#endif

    return NGX_OK;
}
