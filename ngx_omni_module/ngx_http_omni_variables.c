
/*
 * $omni_* variables, for log_format, proxy_set_header, add_header and map.
 */


#include "ngx_http_omni_module.h"


static ngx_int_t ngx_http_omni_visitor_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


#define NGX_HTTP_OMNI_VAR_VISITOR      0
#define NGX_HTTP_OMNI_VAR_NEW_VISITOR  1
#define NGX_HTTP_OMNI_VAR_CONSENT      2


static ngx_http_variable_t  ngx_http_omni_vars[] = {

    { ngx_string("omni_visitor"), NULL, ngx_http_omni_visitor_variable,
      NGX_HTTP_OMNI_VAR_VISITOR, 0, 0 },

    { ngx_string("omni_new_visitor"), NULL, ngx_http_omni_visitor_variable,
      NGX_HTTP_OMNI_VAR_NEW_VISITOR, 0, 0 },

    { ngx_string("omni_consent"), NULL, ngx_http_omni_visitor_variable,
      NGX_HTTP_OMNI_VAR_CONSENT, 0, 0 },

    { ngx_string("omni_customer"), NULL, ngx_http_omni_customer_variable,
      0, 0, 0 },

    { ngx_string("omni_profile_"), NULL, ngx_http_omni_profile_variable,
      0, NGX_HTTP_VAR_PREFIX, 0 },

    { ngx_string("omni_channel"), NULL, ngx_http_omni_channel_variable,
      0, 0, 0 },

    { ngx_string("omni_abandoned"), NULL, ngx_http_omni_abandoned_variable,
      0, 0, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_omni_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_omni_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_omni_visitor_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_omni_ctx_t       *ctx;
    ngx_http_omni_loc_conf_t  *olcf;

    olcf = ngx_http_get_module_loc_conf(r->main, ngx_http_omni_module);

    if (!olcf->enable) {
        v->not_found = 1;
        return NGX_OK;
    }

    ctx = ngx_http_omni_identify(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    switch (data) {

    case NGX_HTTP_OMNI_VAR_VISITOR:
        if (!ctx->known) {
            v->not_found = 1;
            return NGX_OK;
        }

        v->len = OMNI_ID_TEXT_LEN;
        v->data = ctx->id_text;
        break;

    case NGX_HTTP_OMNI_VAR_NEW_VISITOR:
        v->len = 1;
        v->data = (u_char *) (ctx->new_visitor ? "1" : "0");
        break;

    default: /* NGX_HTTP_OMNI_VAR_CONSENT */
        v->len = 1;
        v->data = (u_char *) (ctx->consent ? "1" : "0");
        break;
    }

    return NGX_OK;
}
