
/*
 * The header and body filters.  Every response of a location with
 * "omni on" carries the visitor's cookie when it is new (or withdrawn).
 * An HTML page also gets, on its way out, the brand block and the
 * consented tags before </head> and the visitor's offer in its slot: the
 * body filter runs the streaming scanner over the page and sends it on in
 * slices of the buffers it was given, with the content inserted between
 * them, so that no page byte is copied.
 */


#include "ngx_http_omni_rewrite.h"
#include "ngx_http_omni_kpi.h"

#include <omni/csp.h>


static ngx_int_t ngx_http_omni_header_filter(ngx_http_request_t *r);
static void ngx_http_omni_count_page(ngx_http_request_t *r,
    ngx_http_omni_ctx_t *ctx);
static ngx_int_t ngx_http_omni_rewritable(ngx_http_request_t *r,
    ngx_http_omni_ctx_t *ctx, ngx_http_omni_loc_conf_t *olcf,
    ngx_uint_t *inflate);
static ngx_int_t ngx_http_omni_start(ngx_http_request_t *r,
    ngx_http_omni_ctx_t *ctx, ngx_http_omni_loc_conf_t *olcf,
    ngx_uint_t inflate);
static void ngx_http_omni_csp_nonces(ngx_http_request_t *r,
    ngx_str_t *script, ngx_str_t *style);
static ngx_int_t ngx_http_omni_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_int_t ngx_http_omni_process(ngx_http_request_t *r,
    ngx_http_omni_rewrite_t *rw);
static ngx_int_t ngx_http_omni_step(ngx_http_request_t *r,
    ngx_http_omni_rewrite_t *rw);
static ngx_int_t ngx_http_omni_pass(ngx_http_request_t *r,
    ngx_http_omni_rewrite_t *rw, size_t off, size_t len);
static ngx_int_t ngx_http_omni_look(ngx_http_request_t *r,
    ngx_http_omni_rewrite_t *rw, u_char *data, size_t len);
static ngx_int_t ngx_http_omni_end_of_buf(ngx_http_request_t *r,
    ngx_http_omni_rewrite_t *rw);
static ngx_int_t ngx_http_omni_emit(ngx_http_request_t *r,
    ngx_http_omni_rewrite_t *rw, ngx_str_t *s, ngx_uint_t deferrable);
static ngx_int_t ngx_http_omni_defer(ngx_http_request_t *r,
    ngx_http_omni_rewrite_t *rw);
static void ngx_http_omni_offer_done(ngx_http_request_t *r,
    ngx_http_omni_rewrite_t *rw);
static void ngx_http_omni_degrade(ngx_http_request_t *r,
    ngx_http_omni_ctx_t *ctx, ngx_http_omni_rewrite_t *rw);
static ngx_int_t ngx_http_omni_output(ngx_http_request_t *r,
    ngx_http_omni_rewrite_t *rw);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


static ngx_str_t  ngx_http_omni_csp = ngx_string("Content-Security-Policy");
static ngx_str_t  ngx_http_omni_csp_ro =
    ngx_string("Content-Security-Policy-Report-Only");


ngx_int_t
ngx_http_omni_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_omni_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_omni_body_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_omni_header_filter(ngx_http_request_t *r)
{
    ngx_uint_t                 inflate;
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

    if (ctx == NULL || !olcf->rewrite) {
        return ngx_http_next_header_filter(r);
    }

    ctx->rewrite = NULL;

    if (ngx_http_omni_rewritable(r, ctx, olcf, &inflate) == NGX_OK
        && ngx_http_omni_start(r, ctx, olcf, inflate) != NGX_OK)
    {
        /* nothing has changed yet: the page goes out as it is */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "omni: could not prepare the rewriting of \"%V\", "
                      "the page is sent unchanged", &r->uri);
        ctx->rewrite = NULL;
        ctx->rewrite_status = NGX_HTTP_OMNI_RW_FAILED;
    }

    ngx_http_omni_count_page(r, ctx);

    return ngx_http_next_header_filter(r);
}


/* the status page's "pages": rewritten, or skipped and why */

static void
ngx_http_omni_count_page(ngx_http_request_t *r, ngx_http_omni_ctx_t *ctx)
{
    ngx_uint_t  op;

    if (ctx->rewrite != NULL) {
        op = NGX_HTTP_OMNI_OP_PAGES_REWRITTEN;

    } else if (ctx->rewrite_status == NGX_HTTP_OMNI_RW_EMPTY) {
        /* nothing to insert for this page: not a skip */
        return;

    } else if (ctx->rewrite_status == NGX_HTTP_OMNI_RW_FAILED) {
        op = NGX_HTTP_OMNI_OP_SKIP_ERROR;

    } else if (ctx->rewrite_status == NGX_HTTP_OMNI_RW_ENCODED) {
        op = NGX_HTTP_OMNI_OP_SKIP_ENCODED;

    } else if (r->headers_out.status != NGX_HTTP_OK) {
        op = NGX_HTTP_OMNI_OP_SKIP_STATUS;

    } else if (r->header_only || r->method == NGX_HTTP_HEAD) {
        op = NGX_HTTP_OMNI_OP_SKIP_HEADER_ONLY;

    } else {
        op = NGX_HTTP_OMNI_OP_SKIP_NOT_HTML;
    }

    ngx_http_omni_kpi_op(ngx_cycle, op);
}


/*
 * Only a complete HTML page is rewritten: status 200 with a body (not
 * HEAD, not a 304 from the not_modified filter, which runs before this
 * one), a type of omni_types, and a body this filter can read: identity,
 * or gzip that it inflates (the gzip filter after it compresses the result
 * again for clients that take it).  Other encodings pass untouched.
 */

static ngx_int_t
ngx_http_omni_rewritable(ngx_http_request_t *r, ngx_http_omni_ctx_t *ctx,
    ngx_http_omni_loc_conf_t *olcf, ngx_uint_t *inflate)
{
    ngx_str_t  *enc;

    ctx->rewrite_status = NGX_HTTP_OMNI_RW_SKIPPED;
    *inflate = 0;

    if (r->headers_out.status != NGX_HTTP_OK
        || r->header_only
        || r->method == NGX_HTTP_HEAD
        || ngx_http_test_content_type(r, &olcf->types) == NULL)
    {
        return NGX_DECLINED;
    }

    if (r->headers_out.content_encoding == NULL
        || r->headers_out.content_encoding->hash == 0
        || r->headers_out.content_encoding->value.len == 0)
    {
        return NGX_OK;
    }

    enc = &r->headers_out.content_encoding->value;

    if (enc->len == sizeof("identity") - 1
        && ngx_strncasecmp(enc->data, (u_char *) "identity", enc->len) == 0)
    {
        return NGX_OK;
    }

    if (olcf->gunzip
        && ((enc->len == 4
             && ngx_strncasecmp(enc->data, (u_char *) "gzip", 4) == 0)
            || (enc->len == 6
                && ngx_strncasecmp(enc->data, (u_char *) "x-gzip", 6) == 0)))
    {
        *inflate = 1;
        return NGX_OK;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "omni: \"%V\" encoded body passed as is", enc);

    ctx->rewrite_status = NGX_HTTP_OMNI_RW_ENCODED;

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_omni_start(ngx_http_request_t *r, ngx_http_omni_ctx_t *ctx,
    ngx_http_omni_loc_conf_t *olcf, ngx_uint_t inflate)
{
    ngx_str_t                 script, style;
    ngx_http_omni_content_t   content;
    ngx_http_omni_rewrite_t  *rw;

    ngx_http_omni_csp_nonces(r, &script, &style);

    ngx_memzero(&content, sizeof(ngx_http_omni_content_t));
    content.fallback = olcf->offer_fallback;

    if (ngx_http_omni_prepare(r, ctx, &script, &style, &content) != NGX_OK) {
        return NGX_ERROR;
    }

    if (content.head.len == 0 && content.offer.len == 0) {
        /* nothing for this page: it is not touched at all */
        ctx->rewrite_status = NGX_HTTP_OMNI_RW_EMPTY;
        return NGX_OK;
    }

    rw = ngx_pcalloc(r->pool, sizeof(ngx_http_omni_rewrite_t));
    if (rw == NULL) {
        return NGX_ERROR;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     rw->in = NULL;
     *     rw->buf = NULL;
     *     rw->busy = NULL;
     *     rw->free = NULL;
     *     rw->deferred = NULL;
     *     rw->look = NULL;
     *     rw->marks = NULL;
     *     rw->inflate = NULL;
     */

    rw->content = content;
    rw->last_out = &rw->out;
    rw->last_deferred = &rw->deferred;
    rw->look_size = olcf->lookahead;

    omni_html_init(&rw->scan, ngx_http_omni_wanted(rw));

    if (inflate && ngx_http_omni_inflate_init(r, rw) != NGX_OK) {
        return NGX_ERROR;
    }

    /* a personal page must not be stored by a shared cache */
    if (content.personal && ngx_http_omni_make_private(r) != NGX_OK) {
        return NGX_ERROR;
    }

    /* from here on the page changes */

    ctx->rewrite = rw;
    ctx->rewrite_status = NGX_HTTP_OMNI_RW_UNCHANGED;

    /*
     * A large file stays a file: it is split at the cached offsets of
     * its anchors and keeps to sendfile.  Anything else is read into
     * memory (a file by the copy filter) and sent in one writev.
     */
    if (inflate || r->headers_out.content_length_n < olcf->sendfile_min) {
        r->filter_need_in_memory = 1;
    }

    ngx_http_clear_content_length(r);
    ngx_http_clear_accept_ranges(r);

    if (content.personal) {
        /*
         * The validators describe the page before it was made personal;
         * a 304 against them would show a visitor a stale offer.
         */
        ngx_http_clear_last_modified(r);
        ngx_http_clear_etag(r);

    } else {
        ngx_http_weak_etag(r);
    }

    if (inflate) {
        r->headers_out.content_encoding->hash = 0;
        r->headers_out.content_encoding = NULL;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "omni rewrite: head:%uz offer:%uz slot:\"%V\"",
                   content.head.len, content.offer.len, &content.slot);

    return NGX_OK;
}


/*
 * The nonces that inline scripts and styles need, from the policy the
 * response enforces, else from the one it only reports on.
 */

static void
ngx_http_omni_csp_nonces(ngx_http_request_t *r, ngx_str_t *script,
    ngx_str_t *style)
{
    ngx_uint_t        i, pass;
    ngx_str_t        *name;
    omni_str_t        n;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    ngx_str_null(script);
    ngx_str_null(style);

    for (pass = 0; pass < 2; pass++) {
        name = (pass == 0) ? &ngx_http_omni_csp : &ngx_http_omni_csp_ro;

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
                || h[i].key.len != name->len
                || ngx_strncasecmp(h[i].key.data, name->data, name->len)
                   != 0)
            {
                continue;
            }

            if (script->len == 0
                && omni_csp_nonce((char *) h[i].value.data, h[i].value.len,
                                  OMNI_CSP_SCRIPT, &n)
                   == OMNI_OK)
            {
                script->data = (u_char *) n.data;
                script->len = n.len;
            }

            if (style->len == 0
                && omni_csp_nonce((char *) h[i].value.data, h[i].value.len,
                                  OMNI_CSP_STYLE, &n)
                   == OMNI_OK)
            {
                style->data = (u_char *) n.data;
                style->len = n.len;
            }
        }

        if (script->len || style->len) {
            return;
        }
    }
}


static ngx_int_t
ngx_http_omni_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_int_t                 rc, orc;
    ngx_http_omni_ctx_t      *ctx;
    ngx_http_omni_rewrite_t  *rw;

    if (r != r->main) {
        return ngx_http_next_body_filter(r, in);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_omni_module);

    if (ctx == NULL || ctx->rewrite == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    rw = ctx->rewrite;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "omni body filter \"%V\"", &r->uri);

    if (in) {
        if (rw->inflate) {
            rc = ngx_http_omni_inflate_add(r, rw, in);

        } else {
            rc = ngx_chain_add_copy(r->pool, &rw->in, in);
        }

        if (rc != NGX_OK) {
            return NGX_ERROR;
        }
    }

    for ( ;; ) {

        if (rw->inflate && ngx_http_omni_inflate(r, rw) == NGX_ERROR) {
            return NGX_ERROR;
        }

        rc = ngx_http_omni_process(r, rw);

        if (rc == NGX_ERROR) {
            if (rw->degraded) {
                return NGX_ERROR;
            }

            ngx_http_omni_degrade(r, ctx, rw);
            continue;
        }

        orc = ngx_http_omni_output(r, rw);

        if (orc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_AGAIN && rw->free == NULL && rw->busy) {
            /*
             * Out of buffers, and downstream holds them: the write filter
             * may be waiting for more (postpone_output), so it is made to
             * send now, or no write event would ever call us again.
             */
            orc = ngx_http_omni_output(r, rw);

            if (orc == NGX_ERROR) {
                return NGX_ERROR;
            }
        }

        /* buffers came back: go on with what is left */

        if (rc == NGX_AGAIN && rw->free) {
            continue;
        }

        if (rw->inflate && ngx_http_omni_inflate_pending(rw) == 2) {
            continue;
        }

        break;
    }

    if (rw->inserted && ctx->rewrite_status == NGX_HTTP_OMNI_RW_UNCHANGED) {
        ctx->rewrite_status = NGX_HTTP_OMNI_RW_REWRITTEN;
    }

    ngx_log_debug7(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "omni body filter done: rc:%i out:%i in:%p buf:%p "
                   "free:%p busy:%p bufs:%ui", rc, orc, rw->in, rw->buf,
                   rw->free, rw->busy, rw->nbufs);

    if (rw->in || rw->buf
        || (rw->inflate && ngx_http_omni_inflate_pending(rw) == 1))
    {
        return NGX_AGAIN;
    }

    return orc;
}


/* scans what came in, building rw->out */

static ngx_int_t
ngx_http_omni_process(ngx_http_request_t *r, ngx_http_omni_rewrite_t *rw)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    for ( ;; ) {

        if (rw->buf == NULL) {

            if (rw->in == NULL) {
                return NGX_OK;
            }

            cl = rw->in;
            rw->in = cl->next;
            rw->buf = cl->buf;
            ngx_free_chain(r->pool, cl);

            b = rw->buf;
            rw->last_link = NULL;
            rw->buf_sent = 0;
            rw->file_marked = 0;

            if (ngx_buf_in_memory(b) || !b->in_file) {
                omni_html_feed(&rw->scan, b->pos,
                               ngx_buf_in_memory(b) ? b->last - b->pos : 0,
                               b->last_buf);
            }
        }

        b = rw->buf;

        if (!ngx_buf_in_memory(b) && b->in_file) {
            rc = ngx_http_omni_file(r, rw);

            if (rc != NGX_OK) {
                return rc;
            }

        } else {

            for ( ;; ) {

                if (!rw->has_step) {
                    if (omni_html_next(&rw->scan, &rw->step) != OMNI_OK) {
                        break;
                    }

                    rw->has_step = 1;
                }

                rc = ngx_http_omni_step(r, rw);

                if (rc != NGX_OK) {
                    return rc;
                }

                rw->has_step = 0;
            }
        }

        rc = ngx_http_omni_end_of_buf(r, rw);

        if (rc != NGX_OK) {
            return rc;
        }

        rw->buf = NULL;
    }
}


static ngx_int_t
ngx_http_omni_step(ngx_http_request_t *r, ngx_http_omni_rewrite_t *rw)
{
    omni_html_step_t  *s;

    s = &rw->step;

    switch (s->op) {

    case OMNI_HTML_PASS:
        return ngx_http_omni_pass(r, rw, s->off, s->len);

    case OMNI_HTML_HELD:
        return ngx_http_omni_held(r, rw, s->data, s->len);

    default: /* OMNI_HTML_INSERT */
        return ngx_http_omni_insert(r, rw, s->anchor, &s->name, -1);
    }
}


/* a slice of the input buffer; a copy while the offer waits for its slot */

static ngx_int_t
ngx_http_omni_pass(ngx_http_request_t *r, ngx_http_omni_rewrite_t *rw,
    size_t off, size_t len)
{
    ngx_int_t     rc;
    ngx_buf_t    *b, *in;
    ngx_chain_t  *cl;

    in = rw->buf;

    rc = ngx_http_omni_defer_room(r, rw, len);

    if (rc != NGX_OK) {
        return rc;
    }

    if (rw->deferring) {
        return ngx_http_omni_look(r, rw, in->pos + off, len);
    }

    cl = ngx_http_omni_get_buf(r, rw);
    if (cl == NULL) {
        return rw->nomem ? NGX_AGAIN : NGX_ERROR;
    }

    b = cl->buf;

    ngx_memcpy(b, in, sizeof(ngx_buf_t));

    b->pos = in->pos + off;
    b->last = b->pos + len;

    if (in->in_file) {
        b->file_pos = in->file_pos + off;
        b->file_last = b->file_pos + len;
    }

    /*
     * A slice in memory goes out from memory: a buffer the copy filter
     * read may still name its file for sendfile, and a page cut into
     * sendfile and writev pieces costs a system call per piece, more than
     * one writev of it all.
     */

    if (ngx_buf_in_memory(in)) {
        b->in_file = 0;
    }

    b->shadow = NULL;
    b->last_buf = 0;
    b->last_in_chain = 0;
    b->flush = 0;
    b->sync = 0;
    b->recycled = 0;
    b->tag = (ngx_buf_tag_t) &ngx_http_omni_module;

    ngx_http_omni_append(rw, cl, 0);

    return NGX_OK;
}


/*
 * While the offer waits for its slot, page bytes are copied into the
 * lookahead memory, one buffer for a run of them.
 */

static ngx_int_t
ngx_http_omni_look(ngx_http_request_t *r, ngx_http_omni_rewrite_t *rw,
    u_char *data, size_t len)
{
    u_char       *p;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    p = rw->look + rw->look_used;
    cl = rw->deferred_last;

    if (cl && cl->buf->memory && cl->buf->last == p) {
        cl->buf->last = ngx_cpymem(p, data, len);
        cl->buf->end = cl->buf->last;
        rw->look_used += len;
        rw->deferred_size += len;
        return NGX_OK;
    }

    cl = ngx_http_omni_get_buf(r, rw);
    if (cl == NULL) {
        return rw->nomem ? NGX_AGAIN : NGX_ERROR;
    }

    b = cl->buf;

    b->start = p;
    b->pos = p;
    b->last = ngx_cpymem(p, data, len);
    b->end = b->last;
    b->memory = 1;

    rw->look_used += len;

    ngx_http_omni_append(rw, cl, 1);

    return NGX_OK;
}


/*
 * Room for len more bytes to wait: past omni_slot_lookahead bytes, or too
 * many pieces, the wait ends and the offer goes after <body>.
 */

ngx_int_t
ngx_http_omni_defer_room(ngx_http_request_t *r, ngx_http_omni_rewrite_t *rw,
    off_t len)
{
    if (rw->deferring
        && (rw->deferred_size + len > (off_t) rw->look_size
            || rw->ndeferred >= NGX_HTTP_OMNI_DEFERRED_MAX))
    {
        return ngx_http_omni_resolve(r, rw, 1);
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_omni_held(ngx_http_request_t *r, ngx_http_omni_rewrite_t *rw,
    const char *data, size_t len)
{
    u_char       *mem;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    rc = ngx_http_omni_defer_room(r, rw, len);

    if (rc != NGX_OK) {
        return rc;
    }

    if (rw->deferring) {
        return ngx_http_omni_look(r, rw, (u_char *) data, len);
    }

    cl = ngx_http_omni_get_buf(r, rw);
    if (cl == NULL) {
        return rw->nomem ? NGX_AGAIN : NGX_ERROR;
    }

    /* every own buffer has room for a held tail right after it */

    b = cl->buf;
    mem = (u_char *) (b + 1);

    b->start = mem;
    b->end = mem + OMNI_HTML_HOLD_MAX;
    b->pos = mem;
    b->last = ngx_cpymem(mem, data, len);
    b->temporary = 1;

    ngx_http_omni_append(rw, cl, 1);

    return NGX_OK;
}


/*
 * What goes at an anchor.  slot_ahead tells, for <body>, whether the
 * offer's slot marker is known to come later (1), known not to (0), or
 * not known (-1): then the page after <body> waits, up to
 * omni_slot_lookahead bytes, for the marker.
 */

ngx_int_t
ngx_http_omni_insert(ngx_http_request_t *r, ngx_http_omni_rewrite_t *rw,
    omni_html_anchor_e anchor, omni_str_t *name, ngx_int_t slot_ahead)
{
    ngx_int_t                 rc;
    ngx_http_omni_content_t  *c;

    c = &rw->content;

    if (rw->degraded) {
        return NGX_OK;
    }

    switch (anchor) {

    case OMNI_HTML_HEAD_END:
        if (c->head.len == 0) {
            return NGX_OK;
        }

        return ngx_http_omni_emit(r, rw, &c->head, 1);

    case OMNI_HTML_BODY_START:
        if (rw->offer_done || c->offer.len == 0
            || c->fallback != NGX_HTTP_OMNI_FALLBACK_BODY_START)
        {
            return NGX_OK;
        }

        if (c->slot.len) {
            if (slot_ahead == 1) {
                return NGX_OK;
            }

            if (slot_ahead == -1 && rw->look_size) {
                return ngx_http_omni_defer(r, rw);
            }
        }

        break;

    case OMNI_HTML_BODY_END:
        /* the slot never came: the offer goes where <body> ended */
        rc = ngx_http_omni_resolve(r, rw, 1);

        if (rc != NGX_OK) {
            return rc;
        }

        if (rw->offer_done || c->offer.len == 0
            || c->fallback != NGX_HTTP_OMNI_FALLBACK_BODY_END)
        {
            return NGX_OK;
        }

        break;

    default: /* OMNI_HTML_SLOT */
        if (rw->offer_done || c->offer.len == 0
            || name->len != c->slot.len
            || ngx_memcmp(name->data, c->slot.data, name->len) != 0)
        {
            return NGX_OK;
        }

        rc = ngx_http_omni_emit(r, rw, &c->offer, 1);

        if (rc != NGX_OK) {
            return rc;
        }

        ngx_http_omni_offer_done(r, rw);

        /* what waited goes on, without the offer after <body> */
        return ngx_http_omni_resolve(r, rw, 0);
    }

    rc = ngx_http_omni_emit(r, rw, &c->offer, 1);

    if (rc == NGX_OK) {
        ngx_http_omni_offer_done(r, rw);
    }

    return rc;
}


static ngx_int_t
ngx_http_omni_emit(ngx_http_request_t *r, ngx_http_omni_rewrite_t *rw,
    ngx_str_t *s, ngx_uint_t deferrable)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    cl = ngx_http_omni_get_buf(r, rw);
    if (cl == NULL) {
        return rw->nomem ? NGX_AGAIN : NGX_ERROR;
    }

    b = cl->buf;

    b->memory = 1;
    b->pos = s->data;
    b->last = s->data + s->len;

    ngx_http_omni_append(rw, cl, deferrable);

    rw->inserted = 1;

    return NGX_OK;
}


static ngx_int_t
ngx_http_omni_defer(ngx_http_request_t *r, ngx_http_omni_rewrite_t *rw)
{
    if (rw->look == NULL) {
        rw->look = ngx_pnalloc(r->pool, rw->look_size);
        if (rw->look == NULL) {
            return NGX_ERROR;
        }
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "omni: the offer waits for its slot");

    rw->deferring = 1;
    rw->look_used = 0;
    rw->deferred_size = 0;

    return NGX_OK;
}


/*
 * Ends the wait for the offer's slot: with offer set the offer goes right
 * after <body> (where the wait began), then everything that waited.
 */

ngx_int_t
ngx_http_omni_resolve(ngx_http_request_t *r, ngx_http_omni_rewrite_t *rw,
    ngx_uint_t offer)
{
    ngx_int_t  rc;

    if (!rw->deferring) {
        return NGX_OK;
    }

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "omni: the wait for the slot ends, offer:%ui "
                   "waited:%O pieces:%ui copied:%uz",
                   offer, rw->deferred_size, rw->ndeferred, rw->look_used);

    if (offer && !rw->offer_done && !rw->degraded) {
        rw->deferring = 0;
        rc = ngx_http_omni_emit(r, rw, &rw->content.offer, 0);
        rw->deferring = 1;

        if (rc != NGX_OK) {
            return rc;
        }

        ngx_http_omni_offer_done(r, rw);
    }

    if (rw->deferred) {
        *rw->last_out = rw->deferred;
        rw->last_out = rw->last_deferred;
        rw->last_link = rw->deferred_last;
    }

    rw->deferred = NULL;
    rw->last_deferred = &rw->deferred;
    rw->deferred_last = NULL;
    rw->ndeferred = 0;
    rw->deferring = 0;

    return NGX_OK;
}


/*
 * The input buffer is used up: the end of the page gets what is still
 * due, and the last link it produced carries its flags and releases it
 * (the shadow) once sent.
 */

static ngx_int_t
ngx_http_omni_end_of_buf(ngx_http_request_t *r, ngx_http_omni_rewrite_t *rw)
{
    ngx_int_t                 rc;
    ngx_buf_t                *b, *in;
    ngx_chain_t              *cl;
    ngx_http_omni_content_t  *c;

    in = rw->buf;
    c = &rw->content;

    /*
     * A flush does not end the wait for the slot: an unbuffered proxy
     * flushes every read, and the wait is bounded by its size anyway.
     */

    if (in->last_buf) {
        rc = ngx_http_omni_resolve(r, rw, 1);

        if (rc != NGX_OK) {
            return rc;
        }
    }

    if (in->last_buf && !rw->offer_done && !rw->degraded
        && c->offer.len && c->fallback == NGX_HTTP_OMNI_FALLBACK_BODY_END
        && (omni_html_fired(&rw->scan) & OMNI_HTML_WANT_BODY_START))
    {
        /* a body that never closes: the offer ends the page */
        rc = ngx_http_omni_emit(r, rw, &c->offer, 0);

        if (rc != NGX_OK) {
            return rc;
        }

        ngx_http_omni_offer_done(r, rw);
    }

    if (rw->last_link == NULL) {

        if (!in->last_buf && !in->last_in_chain && !in->flush
            && !in->recycled && !rw->buf_sent)
        {
            /* nothing of it went out as it is: copied or held */
            ngx_http_omni_release(in);
            return NGX_OK;
        }

        cl = ngx_http_omni_get_buf(r, rw);
        if (cl == NULL) {
            return rw->nomem ? NGX_AGAIN : NGX_ERROR;
        }

        cl->buf->sync = 1;
        ngx_http_omni_append(rw, cl, 0);
    }

    b = rw->last_link->buf;

    b->last_buf |= in->last_buf;
    b->last_in_chain |= in->last_in_chain;
    b->flush |= in->flush;
    b->recycled |= in->recycled;
    b->shadow = in;

    return NGX_OK;
}


void
ngx_http_omni_append(ngx_http_omni_rewrite_t *rw, ngx_chain_t *cl,
    ngx_uint_t deferrable)
{
    if (deferrable && rw->deferring) {
        *rw->last_deferred = cl;
        rw->last_deferred = &cl->next;
        rw->deferred_last = cl;
        rw->deferred_size += ngx_buf_size(cl->buf);
        rw->ndeferred++;
        return;
    }

    *rw->last_out = cl;
    rw->last_out = &cl->next;
    rw->last_link = cl;
}


/*
 * Own buffers come from the free list, or are allocated up to
 * NGX_HTTP_OMNI_BUFS; each has OMNI_HTML_HOLD_MAX bytes after it for a
 * held tail.  NULL with rw->nomem set: wait for some to come back.
 */

ngx_chain_t *
ngx_http_omni_get_buf(ngx_http_request_t *r, ngx_http_omni_rewrite_t *rw)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    rw->nomem = 0;

    if (rw->free) {
        cl = rw->free;
        rw->free = cl->next;
        b = cl->buf;

    } else if (rw->nbufs < NGX_HTTP_OMNI_BUFS) {
        b = ngx_palloc(r->pool, sizeof(ngx_buf_t) + OMNI_HTML_HOLD_MAX);
        if (b == NULL) {
            return NULL;
        }

        cl = ngx_alloc_chain_link(r->pool);
        if (cl == NULL) {
            return NULL;
        }

        cl->buf = b;
        rw->nbufs++;

    } else {
        rw->nomem = 1;
        return NULL;
    }

    ngx_memzero(b, sizeof(ngx_buf_t));

    b->tag = (ngx_buf_tag_t) &ngx_http_omni_module;
    cl->next = NULL;

    return cl;
}


/* an input buffer is done with */

void
ngx_http_omni_release(ngx_buf_t *b)
{
    b->pos = b->last;
    b->file_pos = b->file_last;

    if (b->tag == (ngx_buf_tag_t) &ngx_http_omni_inflate_tag) {
        b->num = 0;
    }
}


/* the anchors the scanner still has to find for this page */

unsigned
ngx_http_omni_wanted(ngx_http_omni_rewrite_t *rw)
{
    unsigned                  want;
    ngx_http_omni_content_t  *c;

    c = &rw->content;
    want = 0;

    if (rw->degraded) {
        return 0;
    }

    if (c->head.len) {
        want |= OMNI_HTML_WANT_HEAD_END;
    }

    if (c->offer.len && !rw->offer_done) {

        if (c->slot.len) {
            want |= OMNI_HTML_WANT_SLOT;
        }

        if (c->fallback == NGX_HTTP_OMNI_FALLBACK_BODY_START) {
            want |= OMNI_HTML_WANT_BODY_START;

        } else if (c->fallback == NGX_HTTP_OMNI_FALLBACK_BODY_END) {
            want |= OMNI_HTML_WANT_BODY_START | OMNI_HTML_WANT_BODY_END;
        }
    }

    return want;
}


static void
ngx_http_omni_offer_done(ngx_http_request_t *r, ngx_http_omni_rewrite_t *rw)
{
    rw->offer_done = 1;
    omni_html_want(&rw->scan, ngx_http_omni_wanted(rw));

    /* the visitor saw it: count it now, not when it was decided */
    ngx_http_omni_impression(r);
}


/*
 * Something failed half way (memory, a file read): nothing more is
 * inserted, what waited for the offer's slot goes on without it, and the
 * scanner, wanting nothing, gives every remaining byte back as it was.
 */

static void
ngx_http_omni_degrade(ngx_http_request_t *r, ngx_http_omni_ctx_t *ctx,
    ngx_http_omni_rewrite_t *rw)
{
    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "omni: rewriting \"%V\" failed, the rest of the page "
                  "is sent unchanged", &r->uri);

    rw->degraded = 1;
    ctx->rewrite_status = NGX_HTTP_OMNI_RW_FAILED;

    omni_html_want(&rw->scan, 0);

    if (rw->has_step && rw->step.op == OMNI_HTML_INSERT) {
        rw->has_step = 0;
    }

    (void) ngx_http_omni_resolve(r, rw, 0);
}


static ngx_int_t
ngx_http_omni_output(ngx_http_request_t *r, ngx_http_omni_rewrite_t *rw)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    /*
     * Downstream is called when there is something new for it, or to let
     * it send what it holds of ours; never for nothing at all, which the
     * write filter takes for an error.
     */

    if (rw->out == NULL && rw->busy == NULL) {
        rc = NGX_OK;
        goto buffered;
    }

    /*
     * The links of a buffer still being scanned go downstream now: the
     * buffer's flags and release must wait for a later link of it.
     */

    if (rw->buf && rw->last_link) {
        rw->buf_sent = 1;
    }

    rw->last_link = NULL;

    rc = ngx_http_next_body_filter(r, rw->out);

    if (rw->out) {
        if (rw->busy == NULL) {
            rw->busy = rw->out;

        } else {
            for (cl = rw->busy; cl->next; cl = cl->next) { /* void */ }
            cl->next = rw->out;
        }

        rw->out = NULL;
        rw->last_out = &rw->out;
    }

    /* input that went out with what was sent is given back */

    for (cl = rw->busy; cl; cl = cl->next) {
        b = cl->buf;

        if (ngx_buf_size(b) != 0) {
            break;
        }

        if (b->shadow) {
            ngx_http_omni_release(b->shadow);
            b->shadow = NULL;
        }
    }

    ngx_chain_update_chains(r->pool, &rw->free, &rw->busy, &rw->out,
                            (ngx_buf_tag_t) &ngx_http_omni_module);

buffered:

    if (rw->in || rw->buf || rw->deferring
        || omni_html_held(&rw->scan)
        || (rw->inflate && ngx_http_omni_inflate_holds(rw)))
    {
        r->buffered |= NGX_HTTP_OMNI_BUFFERED;

    } else {
        r->buffered &= ~NGX_HTTP_OMNI_BUFFERED;
    }

    return rc;
}
