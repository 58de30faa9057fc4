
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

#include "ngx_http_omni_kpi.h"


#define NGX_HTTP_OMNI_SAMESITE_LAX     0
#define NGX_HTTP_OMNI_SAMESITE_STRICT  1
#define NGX_HTTP_OMNI_SAMESITE_NONE    2


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

    ngx_http_omni_kpi_loc_conf_t  *kpi;     /* set by KPI directives only */
} ngx_http_omni_loc_conf_t;


typedef struct {
    ngx_http_omni_kpi_main_conf_t  *kpi;
} ngx_http_omni_main_conf_t;


/* Per-request state, kept on the main request and across redirects. */

typedef struct {
    omni_id_t                 id;
    u_char                    id_text[OMNI_ID_TEXT_LEN];

    unsigned                  identified:1;
    unsigned                  known:1;          /* the visitor has an id */
    unsigned                  new_visitor:1;
    unsigned                  consent:1;
    unsigned                  send_cookie:1;
    unsigned                  expire_cookie:1;
    unsigned                  cookie_sent:1;
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


extern ngx_module_t  ngx_http_omni_module;


#endif /* _NGX_HTTP_OMNI_MODULE_H_INCLUDED_ */
