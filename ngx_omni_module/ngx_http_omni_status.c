
/*
 * ngx_http_omni_module: the status endpoint.
 *
 * omni_status;                      JSON, or the Prometheus text format
 *                                   with ?format=prometheus
 * omni_status_reset_token TOKEN;    allows "POST ...?reset" with the
 *                                   header "X-Omni-Token: TOKEN"
 *
 * Access is left to the access phase: allow / deny, auth_basic and
 * auth_request work as for any location.
 */


#include "ngx_http_omni_module.h"

#include <omni/kpi_status.h>


#define NGX_HTTP_OMNI_GENERATOR  "ngx_omni_module (" NGINX_VER ")"


static ngx_int_t ngx_http_omni_status_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_omni_status_reset(ngx_http_request_t *r,
    ngx_http_omni_kpi_main_conf_t *kmcf);
static ngx_int_t ngx_http_omni_status_view(ngx_http_request_t *r,
    ngx_http_omni_kpi_main_conf_t *kmcf, omni_kpi_view_t *view);
static void ngx_http_omni_status_info(ngx_http_omni_kpi_main_conf_t *kmcf,
    omni_kpi_info_t *info, u_char *zone, size_t size);
static ngx_int_t ngx_http_omni_status_send(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *type, u_char *data, size_t len);
static ngx_uint_t ngx_http_omni_status_has_arg(ngx_http_request_t *r,
    const char *name);
static void ngx_http_omni_status_free(void *data);


static ngx_str_t  ngx_http_omni_json_type = ngx_string("application/json");
static ngx_str_t  ngx_http_omni_prom_type =
    ngx_string(OMNI_PROM_CONTENT_TYPE);
static ngx_str_t  ngx_http_omni_token_header = ngx_string("X-Omni-Token");


char *
ngx_http_omni_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_omni_main_conf_t  *omcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler) {
        return "is duplicate";
    }

    clcf->handler = ngx_http_omni_status_handler;

    omcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_omni_module);
    omcf->kpi->status_used = 1;

    return NGX_CONF_OK;
}


char *
ngx_http_omni_status_reset_token(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_omni_loc_conf_t *olcf = conf;

    ngx_str_t                     *value;
    ngx_http_omni_kpi_loc_conf_t  *klcf;

    klcf = ngx_http_omni_kpi_loc_conf(cf, &olcf->kpi);
    if (klcf == NULL) {
        return NGX_CONF_ERROR;
    }

    if (klcf->reset_token_set) {
        return "is duplicate";
    }

    value = cf->args->elts;

    /* a guessable token is no protection */

    if (value[1].len < 16) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"omni_status_reset_token\" must be at least "
                           "16 characters long");
        return NGX_CONF_ERROR;
    }

    klcf->reset_token = value[1];
    klcf->reset_token_set = 1;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_omni_status_handler(ngx_http_request_t *r)
{
    int                             rc;
    char                           *json;
    size_t                          len;
    u_char                         *p, zone[64];
    ngx_int_t                       ret;
    ngx_str_t                       format;
    omni_prom_t                     w;
    omni_kpi_info_t                 info;
    omni_kpi_view_t                 view;
    ngx_pool_cleanup_t             *cln;
    ngx_http_omni_kpi_main_conf_t  *kmcf;

    kmcf = ngx_http_omni_kpi_main_conf(r);

    if (r->method == NGX_HTTP_POST) {
        return ngx_http_omni_status_reset(r, kmcf);
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    ret = ngx_http_discard_request_body(r);
    if (ret != NGX_OK) {
        return ret;
    }

    if (kmcf->table == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    ret = ngx_http_omni_status_view(r, kmcf, &view);
    if (ret != NGX_OK) {
        return ret;
    }

    ngx_http_omni_status_info(kmcf, &info, zone, sizeof(zone));

    if (ngx_http_arg(r, (u_char *) "format", 6, &format) == NGX_OK
        && format.len == 10
        && ngx_strncmp(format.data, "prometheus", 10) == 0)
    {
        omni_prom_init(&w, NULL, 0);
        (void) omni_kpi_status_prometheus(&view, &info, &w);

        len = w.len;

        p = ngx_pnalloc(r->pool, len);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        omni_prom_init(&w, (char *) p, len);

        rc = omni_kpi_status_prometheus(&view, &info, &w);
        if (rc != OMNI_OK) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "omni status: prometheus output failed: %s",
                          omni_strerror(rc));
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_omni_status_send(r, NGX_HTTP_OK,
                                         &ngx_http_omni_prom_type, p, w.len);
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (omni_kpi_status_json(&view, &info, &json, &len) != OMNI_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* jansson allocates with malloc(): freed with the request */
    cln->handler = ngx_http_omni_status_free;
    cln->data = json;

    return ngx_http_omni_status_send(r, NGX_HTTP_OK, &ngx_http_omni_json_type,
                                     (u_char *) json, len);
}


static ngx_int_t
ngx_http_omni_status_view(ngx_http_request_t *r,
    ngx_http_omni_kpi_main_conf_t *kmcf, omni_kpi_view_t *view)
{
    size_t           n;
    omni_kpi_row_t  *rows;

    /* rows added while we copy are left for the next request */

    n = omni_kpi_used(kmcf->table);

    rows = ngx_palloc(r->pool, (n + 1) * sizeof(omni_kpi_row_t));
    if (rows == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    omni_kpi_view(kmcf->table, ngx_time(), rows, n, view);

    return NGX_OK;
}


static void
ngx_http_omni_status_info(ngx_http_omni_kpi_main_conf_t *kmcf,
    omni_kpi_info_t *info, u_char *zone, size_t size)
{
    ngx_shm_zone_t  *shm_zone = kmcf->shm_zone;

    *ngx_cpymem(zone, shm_zone->shm.name.data,
                ngx_min(shm_zone->shm.name.len, size - 1)) = '\0';

    info->zone = (char *) zone;
    info->zone_size = shm_zone->shm.size;
    info->attribution_window = kmcf->attribution_window;
    info->generator = NGX_HTTP_OMNI_GENERATOR;
}


/*
 * POST ?reset with "X-Omni-Token: TOKEN": zeroes every counter (keys are
 * kept) and writes the snapshot at once, so a restart does not bring the
 * old counts back.
 */

static ngx_int_t
ngx_http_omni_status_reset(ngx_http_request_t *r,
    ngx_http_omni_kpi_main_conf_t *kmcf)
{
    u_char                        *p;
    time_t                         now;
    ngx_str_t                     *token;
    ngx_int_t                      rc;
    ngx_uint_t                     i, ok;
    ngx_list_part_t               *part;
    ngx_table_elt_t               *h, *given;
    ngx_http_omni_loc_conf_t      *olcf;
    ngx_http_omni_kpi_loc_conf_t  *klcf;

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_omni_module);
    klcf = olcf->kpi;

    if (klcf == NULL || !klcf->reset_token_set) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (!ngx_http_omni_status_has_arg(r, "reset")) {
        return NGX_HTTP_BAD_REQUEST;
    }

    given = NULL;
    part = &r->headers_in.headers.part;
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

        if (h[i].key.len == ngx_http_omni_token_header.len
            && ngx_strncasecmp(h[i].key.data,
                               ngx_http_omni_token_header.data,
                               ngx_http_omni_token_header.len) == 0)
        {
            given = &h[i];
            break;
        }
    }

    token = &klcf->reset_token;

    /* compare in constant time: the length is not a secret */

    ok = (given != NULL && given->value.len == token->len);

    if (ok) {
        u_char  diff = 0;

        for (i = 0; i < token->len; i++) {
            diff |= given->value.data[i] ^ token->data[i];
        }

        ok = (diff == 0);
    }

    if (!ok) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "omni status: reset refused: %s token",
                      given ? "wrong" : "no");
        return NGX_HTTP_FORBIDDEN;
    }

    if (kmcf->table == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    now = ngx_time();

    omni_kpi_reset(kmcf->table, now);
    ngx_http_omni_kpi_persist_now((ngx_cycle_t *) ngx_cycle);

    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                  "omni_zone \"%V\": counters reset",
                  &kmcf->shm_zone->shm.name);

    p = ngx_pnalloc(r->pool, sizeof("{\"reset\":true,\"since\":}") - 1
                             + NGX_TIME_T_LEN);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_omni_status_send(r, NGX_HTTP_OK, &ngx_http_omni_json_type,
                                     p, ngx_sprintf(p, "{\"reset\":true,"
                                                    "\"since\":%T}", now)
                                        - p);
}


static ngx_int_t
ngx_http_omni_status_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, u_char *data, size_t len)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    r->headers_out.status = status;
    r->headers_out.content_type = *type;
    r->headers_out.content_type_len = type->len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = len;

    if (ngx_http_omni_no_store(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = data;
    b->last = data + len;
    b->memory = (len != 0);
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    if (len == 0) {
        b->sync = 1;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* counters change all the time: no cache may keep them */

ngx_int_t
ngx_http_omni_no_store(ngx_http_request_t *r)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Cache-Control");
    ngx_str_set(&h->value, "no-store");
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return NGX_OK;
}


/* "name" or "name=..." among the arguments */

static ngx_uint_t
ngx_http_omni_status_has_arg(ngx_http_request_t *r, const char *name)
{
    u_char  *p, *last, *start;
    size_t   len;

    len = ngx_strlen(name);
    p = r->args.data;
    last = p + r->args.len;

    while (p < last) {
        start = p;

        while (p < last && *p != '&') {
            p++;
        }

        if ((size_t) (p - start) >= len
            && ngx_strncmp(start, name, len) == 0
            && ((size_t) (p - start) == len || start[len] == '='))
        {
            return 1;
        }

        p++;
    }

    return 0;
}


static void
ngx_http_omni_status_free(void *data)
{
    free(data);
}
