
/*
 * ngx_http_omni_module: the dashboard.
 *
 * omni_dashboard [STATUS_URI];
 *
 * Serves one self-contained page (util/dashboard.html, embedded at build
 * time) that polls the status JSON at STATUS_URI: "status" by default,
 * which a browser resolves beside the dashboard's own URI (/omni/dashboard
 * polls /omni/status).  The page may be pointed elsewhere on the same site
 * with ?status=/path.  A Content-Security-Policy with the hashes of the
 * page's script and style lets the browser run nothing else and connect
 * nowhere but this site.
 */


#include "ngx_http_omni_module.h"
#include "ngx_http_omni_dashboard_html.h"


static ngx_int_t ngx_http_omni_dashboard_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_omni_dashboard_header(ngx_http_request_t *r,
    const char *name, const char *value);


char *
ngx_http_omni_dashboard(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_omni_loc_conf_t *olcf = conf;

    u_char                        *p;
    ngx_str_t                     *value, uri;
    ngx_uint_t                     i;
    ngx_http_core_loc_conf_t      *clcf;
    ngx_http_omni_main_conf_t     *omcf;
    ngx_http_omni_kpi_loc_conf_t  *klcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler) {
        return "is duplicate";
    }

    klcf = ngx_http_omni_kpi_loc_conf(cf, &olcf->kpi);
    if (klcf == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    if (cf->args->nelts > 1) {
        uri = value[1];

        for (i = 0; i < uri.len; i++) {
            if (uri.data[i] <= 0x20 || uri.data[i] >= 0x7f) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid status URI \"%V\"", &uri);
                return NGX_CONF_ERROR;
            }
        }

    } else {
        ngx_str_set(&uri, "status");
    }

    /* it goes into an HTML attribute: escape it once, here */

    klcf->dashboard_status.len = uri.len
                                 + ngx_escape_html(NULL, uri.data, uri.len);

    p = ngx_pnalloc(cf->pool, klcf->dashboard_status.len);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_escape_html(p, uri.data, uri.len);
    klcf->dashboard_status.data = p;

    clcf->handler = ngx_http_omni_dashboard_handler;

    omcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_omni_module);
    omcf->kpi->status_used = 1;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_omni_dashboard_handler(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_buf_t                     *b;
    ngx_uint_t                     i;
    ngx_chain_t                    out[3];
    ngx_str_t                      parts[3];
    ngx_http_omni_loc_conf_t      *olcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_omni_module);

    parts[0].data = ngx_http_omni_dashboard_head;
    parts[0].len = sizeof(ngx_http_omni_dashboard_head) - 1;
    parts[1] = olcf->kpi->dashboard_status;
    parts[2].data = ngx_http_omni_dashboard_tail;
    parts[2].len = sizeof(ngx_http_omni_dashboard_tail) - 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = parts[0].len + parts[1].len
                                      + parts[2].len;
    ngx_str_set(&r->headers_out.content_type, "text/html; charset=utf-8");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    if (ngx_http_omni_no_store(r) != NGX_OK
        || ngx_http_omni_dashboard_header(r, "Content-Security-Policy",
                                          NGX_HTTP_OMNI_DASHBOARD_CSP)
           != NGX_OK
        || ngx_http_omni_dashboard_header(r, "X-Content-Type-Options",
                                          "nosniff") != NGX_OK
        || ngx_http_omni_dashboard_header(r, "Referrer-Policy",
                                          "no-referrer") != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    for (i = 0; i < 3; i++) {
        b = ngx_calloc_buf(r->pool);
        if (b == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* the page is static: sent from where it lies, never copied */

        b->pos = parts[i].data;
        b->last = parts[i].data + parts[i].len;
        b->memory = 1;

        out[i].buf = b;
        out[i].next = (i < 2) ? &out[i + 1] : NULL;
    }

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    return ngx_http_output_filter(r, &out[0]);
}


static ngx_int_t
ngx_http_omni_dashboard_header(ngx_http_request_t *r, const char *name,
    const char *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value.data = (u_char *) value;
    h->value.len = ngx_strlen(value);
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return NGX_OK;
}
