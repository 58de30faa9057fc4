
/*
 * omni_click: offer links go through /omni/click?o=OFFER&v=VARIANT&to=URL,
 * which counts the click and redirects.  Only to this site or to a host
 * of omni_click_allow: anything else is refused, so the endpoint can
 * never serve as an open redirect.
 */


#include "ngx_http_omni_module.h"
#include "ngx_http_omni_kpi.h"


#define NGX_HTTP_OMNI_CLICK_ID_MAX  128
#define NGX_HTTP_OMNI_CLICK_TO_MAX  2048

#define ngx_http_omni_isalnum(c)                                              \
    (((c) >= '0' && (c) <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))


static ngx_int_t ngx_http_omni_click_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_omni_click_arg(ngx_http_request_t *r, char *name,
    size_t len, ngx_str_t *value);
static ngx_int_t ngx_http_omni_click_id(ngx_str_t *id);
static ngx_int_t ngx_http_omni_click_target(ngx_http_request_t *r,
    ngx_str_t *to);
static ngx_int_t ngx_http_omni_click_host_allowed(ngx_http_request_t *r,
    u_char *host, size_t len);
static ngx_int_t ngx_http_omni_click_refuse(ngx_http_request_t *r,
    const char *why);
static void ngx_http_omni_click_record(ngx_http_request_t *r,
    ngx_str_t *offer, ngx_str_t *variant);


char *
ngx_http_omni_click_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler != NULL) {
        return "is duplicate, or the location has another handler";
    }

    clcf->handler = ngx_http_omni_click_handler;

    return NGX_CONF_OK;
}


/*
 * omni_click_allow host ...: "shop.example" is that host, ".example.com"
 * that domain and its subdomains.
 */

char *
ngx_http_omni_click_allow(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_omni_loc_conf_t *olcf = conf;

    ngx_str_t   *value, *host;
    ngx_uint_t   i, j;

    if (olcf->click_allow != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    olcf->click_allow = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                         sizeof(ngx_str_t));
    if (olcf->click_allow == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        for (j = 0; j < value[i].len; j++) {
            if (!(ngx_http_omni_isalnum(value[i].data[j])
                  || value[i].data[j] == '.' || value[i].data[j] == '-'))
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid host \"%V\" (a host name, or "
                                   "\".domain\" for a domain and its "
                                   "subdomains)", &value[i]);
                return NGX_CONF_ERROR;
            }
        }

        if (value[i].len == 0
            || (value[i].data[0] == '.' && value[i].len == 1))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid host \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }

        host = ngx_array_push(olcf->click_allow);
        if (host == NULL) {
            return NGX_CONF_ERROR;
        }

        host->len = value[i].len;
        host->data = ngx_pnalloc(cf->pool, host->len);
        if (host->data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_strlow(host->data, value[i].data, host->len);
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_omni_click_handler(ngx_http_request_t *r)
{
    ngx_int_t         rc;
    ngx_str_t         offer, variant, to;
    ngx_table_elt_t  *location;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_omni_click_arg(r, "o", 1, &offer) != NGX_OK
        || ngx_http_omni_click_id(&offer) != NGX_OK)
    {
        return ngx_http_omni_click_refuse(r, "no valid offer id");
    }

    if (ngx_http_omni_click_arg(r, "v", 1, &variant) != NGX_OK) {
        ngx_str_null(&variant);

    } else if (ngx_http_omni_click_id(&variant) != NGX_OK) {
        return ngx_http_omni_click_refuse(r, "invalid variant id");
    }

    if (ngx_http_omni_click_arg(r, "to", 2, &to) != NGX_OK) {
        return ngx_http_omni_click_refuse(r, "no target");
    }

    rc = ngx_http_omni_click_target(r, &to);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != NGX_OK) {
        return ngx_http_omni_click_refuse(r, "target not allowed");
    }

    ngx_http_omni_click_record(r, &offer, &variant);

    location = ngx_list_push(&r->headers_out.headers);
    if (location == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    location->hash = 1;
    ngx_str_set(&location->key, "Location");
    location->value = to;
#if (nginx_version >= 1023000)
    location->next = NULL;
#endif

    ngx_http_clear_location(r);
    r->headers_out.location = location;

    /* a click is counted once: no cache may answer the next one */
    location = ngx_list_push(&r->headers_out.headers);
    if (location == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    location->hash = 1;
    ngx_str_set(&location->key, "Cache-Control");
    ngx_str_set(&location->value, "no-store");
#if (nginx_version >= 1023000)
    location->next = NULL;
#endif

    return NGX_HTTP_MOVED_TEMPORARILY;
}


/* a query argument, percent-decoded ("+" is a space) */

static ngx_int_t
ngx_http_omni_click_arg(ngx_http_request_t *r, char *name, size_t len,
    ngx_str_t *value)
{
    u_char     *src, *dst, *p;
    ngx_str_t   raw;

    if (ngx_http_arg(r, (u_char *) name, len, &raw) != NGX_OK
        || raw.len == 0 || raw.len > NGX_HTTP_OMNI_CLICK_TO_MAX * 3)
    {
        return NGX_DECLINED;
    }

    /* the request's args are not ours to change: decode a copy */

    dst = ngx_pnalloc(r->pool, raw.len);
    if (dst == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(dst, raw.data, raw.len);

    for (p = dst; p < dst + raw.len; p++) {
        if (*p == '+') {
            *p = ' ';
        }
    }

    src = dst;
    value->data = dst;

    ngx_unescape_uri(&dst, &src, raw.len, 0);

    value->len = dst - value->data;

    return value->len ? NGX_OK : NGX_DECLINED;
}


static ngx_int_t
ngx_http_omni_click_id(ngx_str_t *id)
{
    u_char      c;
    ngx_uint_t  i;

    if (id->len == 0 || id->len > NGX_HTTP_OMNI_CLICK_ID_MAX) {
        return NGX_DECLINED;
    }

    for (i = 0; i < id->len; i++) {
        c = id->data[i];

        if (!(ngx_http_omni_isalnum(c) || c == '-' || c == '_' || c == '.'
              || c == ':'))
        {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


/*
 * The target: a path on this site ("/cart", never "//host" or "/\host",
 * which browsers read as another host), or an http(s) URL whose host is
 * this site's or an allowed one.  Control characters, backslashes and
 * user info ("https://shop.example@evil.example") are refused outright.
 * What passes is re-escaped for the Location header.
 */

static ngx_int_t
ngx_http_omni_click_target(ngx_http_request_t *r, ngx_str_t *to)
{
    u_char      *p, *last, *host, *end, *out, *o;
    size_t       n;
    ngx_uint_t   i;

    static const char  hex[] = "0123456789ABCDEF";

    if (to->len > NGX_HTTP_OMNI_CLICK_TO_MAX) {
        return NGX_DECLINED;
    }

    p = to->data;
    last = p + to->len;

    for (i = 0; i < to->len; i++) {
        if (p[i] < 0x20 || p[i] == 0x7f || p[i] == '\\') {
            return NGX_DECLINED;
        }
    }

    if (p[0] == '/') {
        if (to->len > 1 && (p[1] == '/' || p[1] == '\\')) {
            return NGX_DECLINED;
        }

    } else {
        if (to->len > 8 && ngx_strncasecmp(p, (u_char *) "https://", 8) == 0)
        {
            host = p + 8;

        } else if (to->len > 7
                   && ngx_strncasecmp(p, (u_char *) "http://", 7) == 0)
        {
            host = p + 7;

        } else {
            /* javascript:, data:, relative paths and the like */
            return NGX_DECLINED;
        }

        for (end = host; end < last; end++) {
            if (*end == '/' || *end == '?' || *end == '#') {
                break;
            }

            if (*end == '@') {
                return NGX_DECLINED;
            }
        }

        n = end - host;

        /* the port is not part of the host name */
        for (i = 0; i < n; i++) {
            if (host[i] == ':') {
                n = i;
                break;
            }
        }

        if (n == 0
            || ngx_http_omni_click_host_allowed(r, host, n) != NGX_OK)
        {
            return NGX_DECLINED;
        }
    }

    out = ngx_pnalloc(r->pool, to->len * 3);
    if (out == NULL) {
        return NGX_ERROR;
    }

    for (o = out; p < last; p++) {
        if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '<'
            || *p == '>' || *p == '`')
        {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 0x0f];

        } else {
            *o++ = *p;
        }
    }

    to->data = out;
    to->len = o - out;

    return NGX_OK;
}


static ngx_int_t
ngx_http_omni_click_host_allowed(ngx_http_request_t *r, u_char *host,
    size_t len)
{
    ngx_str_t                 *allow;
    ngx_uint_t                 i;
    ngx_http_omni_loc_conf_t  *olcf;

    if (r->headers_in.server.len == len
        && ngx_strncasecmp(r->headers_in.server.data, host, len) == 0)
    {
        return NGX_OK;
    }

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_omni_module);

    if (olcf->click_allow == NULL) {
        return NGX_DECLINED;
    }

    allow = olcf->click_allow->elts;

    for (i = 0; i < olcf->click_allow->nelts; i++) {

        if (allow[i].data[0] != '.') {
            if (allow[i].len == len
                && ngx_strncasecmp(allow[i].data, host, len) == 0)
            {
                return NGX_OK;
            }

            continue;
        }

        /* ".example.com": example.com itself and any subdomain */

        if (len == allow[i].len - 1
            && ngx_strncasecmp(allow[i].data + 1, host, len) == 0)
        {
            return NGX_OK;
        }

        if (len > allow[i].len
            && ngx_strncasecmp(allow[i].data, host + len - allow[i].len,
                               allow[i].len)
               == 0)
        {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_omni_click_refuse(ngx_http_request_t *r, const char *why)
{
    /* info: a refused click is the client's doing, not the server's */
    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "omni: click refused: %s", why);

    return NGX_HTTP_BAD_REQUEST;
}


/*
 * The click counts for the offer and variant in the KPI zone, and, with
 * consent, goes into the visitor's record as the last offer engaged with,
 * which later carts and purchases are attributed to.
 */

static void
ngx_http_omni_click_record(ngx_http_request_t *r, ngx_str_t *offer,
    ngx_str_t *variant)
{
    omni_event_t               ev;
    omni_kpi_keys_t            keys;
    ngx_http_omni_ctx_t       *ctx;
    ngx_http_omni_loc_conf_t  *olcf;

    ngx_memzero(&keys, sizeof(omni_kpi_keys_t));
    keys.offer.data = (char *) offer->data;
    keys.offer.len = offer->len;
    keys.variant.data = (char *) variant->data;
    keys.variant.len = variant->len;

    (void) ngx_http_omni_kpi_count(r, NGX_HTTP_OMNI_KPI_CLICK, &keys, 0);

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_omni_module);

    if (!olcf->enable) {
        return;
    }

    ctx = ngx_http_omni_identify(r);

    if (ctx == NULL || !ctx->consent || !ctx->known) {
        return;
    }

    omni_event_init(&ev, OMNI_EVENT_CLICK, (int64_t) ngx_time());
    ev.offer.data = (char *) offer->data;
    ev.offer.len = offer->len;
    ev.variant.data = (char *) variant->data;
    ev.variant.len = variant->len;

    (void) ngx_http_omni_track_push(r, ctx, &ev);
}
