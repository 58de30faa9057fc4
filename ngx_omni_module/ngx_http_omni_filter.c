
/*
 * The header filter: every response of a location with "omni on" carries
 * the visitor's cookie when it is new (or withdrawn).
 */


#include "ngx_http_omni_module.h"


static ngx_int_t ngx_http_omni_header_filter(ngx_http_request_t *r);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


ngx_int_t
ngx_http_omni_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_omni_header_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_omni_header_filter(ngx_http_request_t *r)
{
    ngx_http_omni_ctx_t       *ctx;
    ngx_http_omni_loc_conf_t  *olcf;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_omni_module);

    if (!olcf->enable) {
        return ngx_http_next_header_filter(r);
    }

    ngx_http_omni_track_headers(r);

    ctx = ngx_http_omni_identify(r);

    if (ctx == NULL || ngx_http_omni_send_cookie(r, ctx) != NGX_OK) {
        /* the page matters more than the cookie: serve it without */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "omni: could not set the visitor cookie");
    }

    return ngx_http_next_header_filter(r);
}
