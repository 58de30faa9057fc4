
/*
 * The beacon: a location handler taking events from the browser.
 *
 *     POST /omni/beacon          one JSON event, or an array of them
 *
 * 204 when the body is good (whether or not the visitor may be tracked:
 * the answer tells nothing about consent), 400 with {"error":"..."} for a
 * body that is not, 413 for one over OMNI_BEACON_MAX_BODY bytes or
 * OMNI_BEACON_MAX_EVENTS events, 405 for any method but POST.  A body is
 * taken whole or not at all: one bad event and nothing is queued.
 */


#include "ngx_http_omni_module.h"


static ngx_int_t ngx_http_omni_beacon_handler(ngx_http_request_t *r);
static void ngx_http_omni_beacon_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_omni_beacon_read(ngx_http_request_t *r,
    u_char **data, size_t *len);
static ngx_int_t ngx_http_omni_beacon_reject(ngx_http_request_t *r,
    ngx_uint_t status, const char *error);
static ngx_int_t ngx_http_omni_beacon_send(ngx_http_request_t *r,
    ngx_uint_t status, const char *error);


char *
ngx_http_omni_beacon_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_omni_loc_conf_t *olcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (olcf->beacon != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    olcf->beacon = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_omni_beacon_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_omni_beacon_handler(ngx_http_request_t *r)
{
    ngx_int_t         rc;
    ngx_table_elt_t  *allow, *ct;

    if (r->method != NGX_HTTP_POST) {
        allow = ngx_list_push(&r->headers_out.headers);
        if (allow == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        allow->hash = 1;
        ngx_str_set(&allow->key, "Allow");
        ngx_str_set(&allow->value, "POST");
#if (nginx_version >= 1023000)
        allow->next = NULL;
#endif

        return ngx_http_omni_beacon_reject(r, NGX_HTTP_NOT_ALLOWED,
                                           "only POST is allowed");
    }

    ct = r->headers_in.content_type;

    if (ct != NULL
        && !omni_beacon_content_type_ok((char *) ct->value.data,
                                        ct->value.len))
    {
        return ngx_http_omni_beacon_reject(r, NGX_HTTP_BAD_REQUEST,
                                           "content type must be "
                                           "application/json or text/plain");
    }

    if (r->headers_in.content_length_n > OMNI_BEACON_MAX_BODY) {
        return ngx_http_omni_beacon_reject(r,
                                           NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                           "body over 16384 bytes");
    }

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_omni_beacon_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_omni_beacon_body(ngx_http_request_t *r)
{
    int                        rc;
    u_char                    *data;
    size_t                     len, i, queued;
    ngx_int_t                  status;
    omni_beacon_t             *b;
    ngx_http_omni_ctx_t       *ctx;
    ngx_http_omni_loc_conf_t  *olcf;

    if (ngx_http_omni_beacon_read(r, &data, &len) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (data == NULL) {
        ngx_http_finalize_request(r,
            ngx_http_omni_beacon_send(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                      "body over 16384 bytes"));
        return;
    }

    b = ngx_palloc(r->pool, sizeof(omni_beacon_t));
    if (b == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    rc = omni_beacon_parse(b, data, len, (int64_t) ngx_time());

    if (rc != OMNI_OK) {
        status = (rc == OMNI_ETOOBIG) ? NGX_HTTP_REQUEST_ENTITY_TOO_LARGE
                 : (rc == OMNI_EINVAL) ? NGX_HTTP_BAD_REQUEST
                 : NGX_HTTP_INTERNAL_SERVER_ERROR;

        if (status == NGX_HTTP_INTERNAL_SERVER_ERROR) {
            omni_beacon_free(b);
            ngx_http_finalize_request(r, status);
            return;
        }

        /* b->error is safe in a JSON string and never quotes the input */
        status = ngx_http_omni_beacon_send(r, status, b->error);

        omni_beacon_free(b);
        ngx_http_finalize_request(r, status);
        return;
    }

    queued = 0;

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_omni_module);
    ctx = ngx_http_omni_identify(r);

    if (ctx != NULL && ctx->consent && ctx->known && olcf->track_enable) {
        for (i = 0; i < b->nevents; i++) {
            if (ngx_http_omni_track_push(r, ctx, &b->events[i]) == NGX_OK) {
                queued++;
            }
        }
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "omni beacon: %uz events, %uz queued", b->nevents, queued);

    omni_beacon_free(b);

    ngx_http_finalize_request(r, NGX_HTTP_NO_CONTENT);
}


/*
 * The body in one piece: *data NULL when it is over the limit.  A body
 * nginx kept in a temporary file (client_body_buffer_size below 16k) is
 * read back from it; it is at most 16 KB that were just written.
 */

static ngx_int_t
ngx_http_omni_beacon_read(ngx_http_request_t *r, u_char **data, size_t *len)
{
    u_char       *p;
    off_t         size;
    ssize_t       n;
    ngx_buf_t    *buf;
    ngx_chain_t  *cl;

    *data = (u_char *) "";
    *len = 0;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    size = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        size += ngx_buf_size(cl->buf);
    }

    if (size > OMNI_BEACON_MAX_BODY) {
        *data = NULL;
        return NGX_OK;
    }

    cl = r->request_body->bufs;
    buf = cl->buf;

    if (cl->next == NULL && !buf->in_file) {
        *data = buf->pos;
        *len = buf->last - buf->pos;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, (size_t) size + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    *data = p;
    *len = (size_t) size;

    for ( /* void */ ; cl; cl = cl->next) {
        buf = cl->buf;

        if (buf->in_file) {
            n = ngx_read_file(buf->file, p, (size_t) ngx_buf_size(buf),
                              buf->file_pos);

            if (n != (ssize_t) ngx_buf_size(buf)) {
                return NGX_ERROR;
            }

            p += n;
            continue;
        }

        /* a chunked body may end with an empty buffer (pos NULL) */
        if (buf->last != buf->pos) {
            p = ngx_cpymem(p, buf->pos, buf->last - buf->pos);
        }
    }

    return NGX_OK;
}


/* a refusal before the body is read: the body is discarded first */

static ngx_int_t
ngx_http_omni_beacon_reject(ngx_http_request_t *r, ngx_uint_t status,
    const char *error)
{
    ngx_int_t  rc;

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_omni_beacon_send(r, status, error);
}


static ngx_int_t
ngx_http_omni_beacon_send(ngx_http_request_t *r, ngx_uint_t status,
    const char *error)
{
    size_t        len;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    len = sizeof("{\"error\":\"\"}\n") - 1 + ngx_strlen(error);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_sprintf(b->last, "{\"error\":\"%s\"}\n", error);
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = status;
    r->headers_out.content_length_n = b->last - b->pos;

    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}
