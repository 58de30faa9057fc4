
/*
 * The response rewriter: what the header filter prepares, what the body
 * filter keeps per response, and the pieces shared by its files
 * (ngx_http_omni_filter.c, _file.c, _inflate.c, _campaigns.c).
 */


#ifndef _NGX_HTTP_OMNI_REWRITE_H_INCLUDED_
#define _NGX_HTTP_OMNI_REWRITE_H_INCLUDED_


#include "ngx_http_omni_module.h"

#include <omni/html.h>
#include <omni/html_cache.h>
#include <zlib.h>


/*
 * r->buffered has four bits and all are taken (SSI, sub, copy, image).
 * The image filter's bit is reused: that filter only ever handles image
 * types, which are never rewritten, so the two never share a response.
 */
#define NGX_HTTP_OMNI_BUFFERED       0x08

#define NGX_HTTP_OMNI_BUFS           64      /* own bufs per response */
#define NGX_HTTP_OMNI_READ_SIZE      32768   /* file pieces scanned */
#define NGX_HTTP_OMNI_ZBUFS          4       /* inflated data buffers */
#define NGX_HTTP_OMNI_ZBUF_SIZE      16384
#define NGX_HTTP_OMNI_DEFERRED_MAX   16      /* pieces waiting for a slot */

/* $omni_rewrite */
#define NGX_HTTP_OMNI_RW_UNSET       0
#define NGX_HTTP_OMNI_RW_SKIPPED     1       /* not a rewritable response */
#define NGX_HTTP_OMNI_RW_ENCODED     2       /* compressed, passed as is */
#define NGX_HTTP_OMNI_RW_EMPTY       3       /* nothing to insert */
#define NGX_HTTP_OMNI_RW_UNCHANGED   4       /* no place to insert found */
#define NGX_HTTP_OMNI_RW_REWRITTEN   5
#define NGX_HTTP_OMNI_RW_FAILED      6       /* an error: passed as is */


/* what goes into this response, ready to send (r->pool or cf->pool) */

typedef struct {
    ngx_str_t                 head;       /* before </head> */
    ngx_str_t                 offer;      /* the decided offer's markup */
    ngx_str_t                 slot;       /* its slot; empty: the fallback */
    ngx_uint_t                fallback;   /* NGX_HTTP_OMNI_FALLBACK_* */
    unsigned                  personal:1; /* depends on the visitor */
} ngx_http_omni_content_t;


typedef struct ngx_http_omni_inflate_s  ngx_http_omni_inflate_t;


struct ngx_http_omni_rewrite_s {
    omni_html_t               scan;
    ngx_http_omni_content_t   content;

    ngx_chain_t              *in;         /* input not looked at yet */
    ngx_buf_t                *buf;        /* the input being scanned */
    ngx_chain_t              *last_link;  /* buf's last link in out */

    ngx_chain_t              *out;
    ngx_chain_t             **last_out;
    ngx_chain_t              *busy;
    ngx_chain_t              *free;
    ngx_uint_t                nbufs;      /* own bufs allocated */

    /* the offer's slot may still come: what follows <body> waits */
    ngx_chain_t              *deferred;
    ngx_chain_t             **last_deferred;
    ngx_chain_t              *deferred_last;
    ngx_uint_t                ndeferred;
    u_char                   *look;       /* copies of deferred bytes */
    size_t                    look_used;
    size_t                    look_size;
    off_t                     deferred_size;

    /* a file buffer split at the marks of its region */
    omni_html_marker_t       *marker;
    omni_html_mark_t         *marks;
    ngx_uint_t                marks_size;
    ngx_uint_t                nmarks;
    ngx_uint_t                mark;       /* the next one to act on */
    off_t                     file_cur;   /* region bytes sent on */
    off_t                     file_passed;
    u_char                   *read_buf;

    ngx_http_omni_inflate_t  *inflate;

    omni_html_step_t          step;       /* taken, waiting for a buf */

    unsigned                  has_step:1;
    unsigned                  buf_sent:1;     /* some of buf went out */
    unsigned                  file_marked:1;  /* marks of buf are ready */
    unsigned                  file_sliced:1;  /* the slice before mark */
    unsigned                  deferring:1;
    unsigned                  offer_done:1;
    unsigned                  inserted:1;
    unsigned                  degraded:1;
    unsigned                  nomem:1;
};


ngx_int_t ngx_http_omni_prepare(ngx_http_request_t *r,
    ngx_http_omni_ctx_t *ctx, ngx_str_t *script_nonce,
    ngx_str_t *style_nonce, ngx_http_omni_content_t *content);

ngx_chain_t *ngx_http_omni_get_buf(ngx_http_request_t *r,
    ngx_http_omni_rewrite_t *rw);
void ngx_http_omni_append(ngx_http_omni_rewrite_t *rw, ngx_chain_t *cl,
    ngx_uint_t deferrable);
ngx_int_t ngx_http_omni_insert(ngx_http_request_t *r,
    ngx_http_omni_rewrite_t *rw, omni_html_anchor_e anchor,
    omni_str_t *name, ngx_int_t slot_ahead);
ngx_int_t ngx_http_omni_held(ngx_http_request_t *r,
    ngx_http_omni_rewrite_t *rw, const char *data, size_t len);
ngx_int_t ngx_http_omni_resolve(ngx_http_request_t *r,
    ngx_http_omni_rewrite_t *rw, ngx_uint_t offer);
ngx_int_t ngx_http_omni_defer_room(ngx_http_request_t *r,
    ngx_http_omni_rewrite_t *rw, off_t len);
void ngx_http_omni_release(ngx_buf_t *b);
unsigned ngx_http_omni_wanted(ngx_http_omni_rewrite_t *rw);

ngx_int_t ngx_http_omni_file(ngx_http_request_t *r,
    ngx_http_omni_rewrite_t *rw);

ngx_int_t ngx_http_omni_inflate_init(ngx_http_request_t *r,
    ngx_http_omni_rewrite_t *rw);
ngx_int_t ngx_http_omni_inflate_add(ngx_http_request_t *r,
    ngx_http_omni_rewrite_t *rw, ngx_chain_t *in);
ngx_int_t ngx_http_omni_inflate(ngx_http_request_t *r,
    ngx_http_omni_rewrite_t *rw);
ngx_uint_t ngx_http_omni_inflate_pending(ngx_http_omni_rewrite_t *rw);
ngx_uint_t ngx_http_omni_inflate_holds(ngx_http_omni_rewrite_t *rw);

/* the tag of inflated data buffers: released ones are reused */
extern u_char  ngx_http_omni_inflate_tag;


#endif /* _NGX_HTTP_OMNI_REWRITE_H_INCLUDED_ */
