
/*
 * An upstream that sends a gzip-compressed page although it was asked for
 * identity (a proxy_set_header Accept-Encoding "" is the cheaper fix) is
 * inflated here with zlib, into a few buffers of our own that the scanner
 * then reads like any other input; nginx's gzip filter, after this one,
 * compresses the result again for clients that accept it.
 */


#include "ngx_http_omni_rewrite.h"


struct ngx_http_omni_inflate_s {
    z_stream                  zs;
    ngx_chain_t              *in;         /* compressed input, own links */
    ngx_buf_t                *in_buf;
    ngx_buf_t                *zbufs[NGX_HTTP_OMNI_ZBUFS];
    ngx_uint_t                nzbufs;
    ngx_buf_t                *out_buf;    /* being filled */
    ngx_chain_t             **last_in;    /* the tail of rw->in */
    unsigned                  end:1;      /* the gzip stream ended */
    unsigned                  started:1;
    unsigned                  checked:1;  /* the first bytes were seen */
    unsigned                  plain:1;    /* not gzip after all */
};


u_char  ngx_http_omni_inflate_tag;


static ngx_int_t ngx_http_omni_inflate_check(ngx_http_request_t *r,
    ngx_http_omni_inflate_t *zi);
static ngx_buf_t *ngx_http_omni_inflate_zbuf(ngx_http_request_t *r,
    ngx_http_omni_inflate_t *zi);
static ngx_int_t ngx_http_omni_inflate_push(ngx_http_request_t *r,
    ngx_http_omni_rewrite_t *rw, ngx_buf_t *in);
static void *ngx_http_omni_inflate_alloc(void *opaque, u_int items,
    u_int size);
static void ngx_http_omni_inflate_free(void *opaque, void *address);
static void ngx_http_omni_inflate_cleanup(void *data);


ngx_int_t
ngx_http_omni_inflate_init(ngx_http_request_t *r, ngx_http_omni_rewrite_t *rw)
{
    int                       rc;
    ngx_pool_cleanup_t       *cln;
    ngx_http_omni_inflate_t  *zi;

    zi = ngx_pcalloc(r->pool, sizeof(ngx_http_omni_inflate_t));
    if (zi == NULL) {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    zi->zs.zalloc = ngx_http_omni_inflate_alloc;
    zi->zs.zfree = ngx_http_omni_inflate_free;
    zi->zs.opaque = r->pool;

    /* 16 + MAX_WBITS: a gzip header and trailer around the deflate data */
    rc = inflateInit2(&zi->zs, MAX_WBITS + 16);

    if (rc != Z_OK) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "omni: inflateInit2() failed: %d", rc);
        return NGX_ERROR;
    }

    cln->handler = ngx_http_omni_inflate_cleanup;
    cln->data = zi;

    zi->started = 1;
    zi->last_in = &rw->in;

    rw->inflate = zi;

    return NGX_OK;
}


ngx_int_t
ngx_http_omni_inflate_add(ngx_http_request_t *r, ngx_http_omni_rewrite_t *rw,
    ngx_chain_t *in)
{
    return ngx_chain_add_copy(r->pool, &rw->inflate->in, in);
}


/* compressed input or inflated bytes are held back */

ngx_uint_t
ngx_http_omni_inflate_holds(ngx_http_omni_rewrite_t *rw)
{
    ngx_http_omni_inflate_t  *zi;

    zi = rw->inflate;

    return zi->in || zi->in_buf
           || (zi->out_buf && zi->out_buf->last > zi->out_buf->pos);
}


/*
 * 0: nothing waits (or only more input can help); 1: compressed input
 * waits for a buffer to come back; 2: it waits and a buffer is free, so
 * inflating can go on.
 */

ngx_uint_t
ngx_http_omni_inflate_pending(ngx_http_omni_rewrite_t *rw)
{
    ngx_uint_t                i;
    ngx_http_omni_inflate_t  *zi;

    zi = rw->inflate;

    if ((zi->in == NULL && zi->in_buf == NULL) || !zi->checked) {
        /* nothing, or too little to tell gzip from plain: more will come */
        return 0;
    }

    if (zi->out_buf || zi->nzbufs < NGX_HTTP_OMNI_ZBUFS) {
        return 2;
    }

    for (i = 0; i < zi->nzbufs; i++) {
        if (zi->zbufs[i]->num == 0) {
            return 2;
        }
    }

    return 1;
}


/* inflates what came in, appending the data to rw->in for the scanner */

ngx_int_t
ngx_http_omni_inflate(ngx_http_request_t *r, ngx_http_omni_rewrite_t *rw)
{
    int                       rc;
    ngx_buf_t                *in;
    ngx_chain_t              *cl;
    ngx_http_omni_inflate_t  *zi;

    zi = rw->inflate;

    if (!zi->checked && ngx_http_omni_inflate_check(r, zi) != NGX_OK) {
        return NGX_OK;
    }

    /* rw->in may have been used up since: find its tail again */

    for (zi->last_in = &rw->in;
         *zi->last_in;
         zi->last_in = &(*zi->last_in)->next)
    {
        /* void */
    }

    for ( ;; ) {

        if (zi->in_buf == NULL) {

            if (zi->in == NULL) {
                return NGX_OK;
            }

            if (zi->plain) {
                /* the body goes to the scanner as it came */
                *zi->last_in = zi->in;
                zi->in = NULL;
                return NGX_OK;
            }

            cl = zi->in;
            zi->in = cl->next;
            zi->in_buf = cl->buf;
            ngx_free_chain(r->pool, cl);

            in = zi->in_buf;

            if (ngx_buf_in_memory(in)) {
                zi->zs.next_in = in->pos;
                zi->zs.avail_in = in->last - in->pos;

            } else {
                zi->zs.next_in = NULL;
                zi->zs.avail_in = 0;
            }
        }

        in = zi->in_buf;

        if (zi->out_buf == NULL) {
            zi->out_buf = ngx_http_omni_inflate_zbuf(r, zi);

            if (zi->out_buf == NULL) {
                return zi->nzbufs < NGX_HTTP_OMNI_ZBUFS ? NGX_ERROR
                                                        : NGX_AGAIN;
            }

            zi->zs.next_out = zi->out_buf->last;
            zi->zs.avail_out = zi->out_buf->end - zi->out_buf->last;
        }

        if (zi->zs.avail_in && !zi->end) {
            rc = inflate(&zi->zs, Z_NO_FLUSH);

            if (rc == Z_STREAM_END) {
                /* another gzip member may follow */
                if (zi->zs.avail_in && *zi->zs.next_in == 0x1f) {
                    rc = inflateReset(&zi->zs);

                } else {
                    zi->end = 1;
                    rc = Z_OK;
                }
            }

            if (rc != Z_OK && rc != Z_BUF_ERROR) {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "omni: inflate() failed on the gzip body of "
                              "\"%V\": %d", &r->uri, rc);
                return NGX_ERROR;
            }

            zi->out_buf->last = zi->zs.next_out;
            in->pos = zi->zs.next_in;
        }

        if (zi->end && zi->zs.avail_in) {
            /* bytes after the gzip stream: not part of the page */
            in->pos = in->last;
            zi->zs.avail_in = 0;
        }

        if (zi->zs.avail_out == 0) {
            if (ngx_http_omni_inflate_push(r, rw, NULL) != NGX_OK) {
                return NGX_ERROR;
            }

            continue;
        }

        if (zi->zs.avail_in) {
            continue;
        }

        /* the input buffer is used up: what it gave goes on at once */

        if (in->last_buf && !zi->end) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "omni: the gzip body of \"%V\" is truncated",
                          &r->uri);
        }

        if (zi->out_buf->last > zi->out_buf->pos
            || in->last_buf || in->flush)
        {
            if (ngx_http_omni_inflate_push(r, rw, in) != NGX_OK) {
                return NGX_ERROR;
            }
        }

        ngx_http_omni_release(in);
        zi->in_buf = NULL;
    }
}


/*
 * An upstream that labels a plain body gzip: the body does not start with
 * the gzip magic bytes, and is sent on as it is (the Content-Encoding
 * header is gone already, rightly so).  NGX_DECLINED: not known yet.
 */

static ngx_int_t
ngx_http_omni_inflate_check(ngx_http_request_t *r,
    ngx_http_omni_inflate_t *zi)
{
    u_char        magic[2];
    size_t        n;
    u_char       *p;
    ngx_uint_t    end;
    ngx_chain_t  *cl;

    n = 0;
    end = 0;

    for (cl = zi->in; cl && n < 2; cl = cl->next) {

        if (ngx_buf_in_memory(cl->buf)) {
            for (p = cl->buf->pos; p < cl->buf->last && n < 2; p++) {
                magic[n++] = *p;
            }
        }

        end = cl->buf->last_buf;
    }

    if (n < 2 && !end) {
        return NGX_DECLINED;
    }

    zi->checked = 1;

    if (n < 2 || magic[0] != 0x1f || magic[1] != 0x8b) {
        if (n) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "omni: the gzip body of \"%V\" is not gzip, "
                          "sent as it is", &r->uri);
        }

        zi->plain = 1;
    }

    return NGX_OK;
}


/* a data buffer that is not in use: never used, or sent and given back */

static ngx_buf_t *
ngx_http_omni_inflate_zbuf(ngx_http_request_t *r, ngx_http_omni_inflate_t *zi)
{
    ngx_uint_t   i;
    ngx_buf_t   *b;

    for (i = 0; i < zi->nzbufs; i++) {
        b = zi->zbufs[i];

        if (b->num == 0) {
            goto found;
        }
    }

    if (zi->nzbufs == NGX_HTTP_OMNI_ZBUFS) {
        return NULL;
    }

    b = ngx_create_temp_buf(r->pool, NGX_HTTP_OMNI_ZBUF_SIZE);
    if (b == NULL) {
        return NULL;
    }

    zi->zbufs[zi->nzbufs++] = b;

found:

    b->pos = b->start;
    b->last = b->start;
    b->tag = (ngx_buf_tag_t) &ngx_http_omni_inflate_tag;
    b->last_buf = 0;
    b->flush = 0;

    /* the write filter must send it, so that it comes back */
    b->recycled = 1;
    b->num = 1;

    return b;
}


/* the buffer being filled goes to the scanner, with in's flags if any */

static ngx_int_t
ngx_http_omni_inflate_push(ngx_http_request_t *r, ngx_http_omni_rewrite_t *rw,
    ngx_buf_t *in)
{
    ngx_buf_t                *b;
    ngx_chain_t              *cl;
    ngx_http_omni_inflate_t  *zi;

    zi = rw->inflate;
    b = zi->out_buf;

    if (in) {
        b->last_buf = in->last_buf;
        b->last_in_chain = in->last_in_chain;
        b->flush = in->flush;
    }

    cl = ngx_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;

    *zi->last_in = cl;
    zi->last_in = &cl->next;

    zi->out_buf = NULL;

    return NGX_OK;
}


static void *
ngx_http_omni_inflate_alloc(void *opaque, u_int items, u_int size)
{
    return ngx_palloc(opaque, items * size);
}


static void
ngx_http_omni_inflate_free(void *opaque, void *address)
{
    /* the request pool takes it all back */
}


static void
ngx_http_omni_inflate_cleanup(void *data)
{
    ngx_http_omni_inflate_t  *zi = data;

    if (zi->started) {
        (void) inflateEnd(&zi->zs);
        zi->started = 0;
    }
}
