
/*
 * File buffers (a static file or a proxy_cache entry with sendfile on)
 * are not read into memory: their region is split at the anchors' offsets
 * and goes on as file slices with the content in between.  The offsets
 * of a file scanned from the start of a page are cached per worker by
 * (device, inode, size, mtime, region), so that a page served again costs
 * an fstat() and no read at all.  Otherwise, and on a cache miss, the
 * region is read once, piece by piece, to find them.
 */


#include "ngx_http_omni_rewrite.h"


#define NGX_HTTP_OMNI_FILE_CACHE_ENTRIES  1024


static ngx_int_t ngx_http_omni_file_marks(ngx_http_request_t *r,
    ngx_http_omni_rewrite_t *rw);
static ngx_int_t ngx_http_omni_marks(ngx_http_request_t *r,
    ngx_http_omni_rewrite_t *rw, ngx_uint_t n);
static ngx_int_t ngx_http_omni_file_key(ngx_http_request_t *r,
    ngx_buf_t *b, omni_html_file_key_t *key);
static omni_html_cache_t *ngx_http_omni_file_cache(ngx_http_request_t *r);
static void ngx_http_omni_file_cache_cleanup(void *data);
static ngx_int_t ngx_http_omni_file_slice(ngx_http_request_t *r,
    ngx_http_omni_rewrite_t *rw, off_t from, off_t to);
static ngx_int_t ngx_http_omni_slot_ahead(ngx_http_omni_rewrite_t *rw);


/*
 * One cache per worker process, made on first use.  Workers are forked
 * from a master that never serves a page, so each starts without one and
 * a reload starts new workers afresh.
 */
static omni_html_cache_t  *ngx_http_omni_cache;


ngx_int_t
ngx_http_omni_file(ngx_http_request_t *r, ngx_http_omni_rewrite_t *rw)
{
    ngx_int_t          rc;
    omni_str_t         name;
    ngx_buf_t         *b;
    omni_html_mark_t  *mk;

    b = rw->buf;

    if (!rw->file_marked) {

        rw->mark = 0;
        rw->nmarks = 0;
        rw->file_cur = 0;
        rw->file_sliced = 0;

        if (rw->degraded) {
            /* what the scanner held goes first, then the file as it is */
            if (omni_html_held(&rw->scan)) {
                rc = ngx_http_omni_held(r, rw,
                                        omni_html_held_data(&rw->scan),
                                        omni_html_held(&rw->scan));
                if (rc != NGX_OK) {
                    return rc;
                }

                omni_html_init(&rw->scan, 0);
            }

            rw->file_passed = b->file_last - b->file_pos;

        } else {
            rc = ngx_http_omni_file_marks(r, rw);

            if (rc != NGX_OK) {
                return rc;
            }
        }

        rw->file_marked = 1;
    }

    for ( /* void */ ; rw->mark < rw->nmarks; rw->mark++) {

        mk = &rw->marks[rw->mark];

        if (!rw->file_sliced) {
            rc = ngx_http_omni_file_slice(r, rw, rw->file_cur,
                                          (off_t) mk->offset);
            if (rc != NGX_OK) {
                return rc;
            }

            rw->file_cur = (off_t) mk->offset;
            rw->file_sliced = 1;
        }

        if (mk->type == OMNI_HTML_MARK_GIVE_BACK) {
            rc = ngx_http_omni_held(r, rw, omni_html_marker_held(rw->marker),
                                    mk->len);

        } else {
            name.data = mk->name;
            name.len = mk->len;

            rc = ngx_http_omni_insert(r, rw, mk->anchor, &name,
                                      mk->anchor == OMNI_HTML_BODY_START
                                      ? ngx_http_omni_slot_ahead(rw) : -1);
        }

        if (rc != NGX_OK) {
            return rc;
        }

        rw->file_sliced = 0;
    }

    rc = ngx_http_omni_file_slice(r, rw, rw->file_cur, rw->file_passed);

    if (rc != NGX_OK) {
        return rc;
    }

    rw->file_cur = rw->file_passed;

    return NGX_OK;
}


static ngx_int_t
ngx_http_omni_file_marks(ngx_http_request_t *r, ngx_http_omni_rewrite_t *rw)
{
    off_t                     region, off;
    size_t                    n;
    ssize_t                   rd;
    ngx_int_t                 fresh;
    ngx_buf_t                *b;
    omni_str_t                keep;
    omni_html_t               all;
    omni_html_cache_t        *cache;
    omni_html_file_key_t      key;
    const omni_html_entry_t  *e;

    b = rw->buf;
    region = b->file_last - b->file_pos;

    /* only a scan from the start of a page is the same for every request */

    cache = NULL;
    fresh = omni_html_is_fresh(&rw->scan);

    if (fresh && ngx_http_omni_file_key(r, b, &key) == NGX_OK)
    {
        cache = ngx_http_omni_file_cache(r);
    }

    if (cache) {
        e = omni_html_cache_get(cache, &key);

        if (e) {
            ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "omni file cache hit: %uz marks, \"%V\"",
                           e->nmarks, &b->file->name);

            /* a copy: the entry may be replaced before the page is out */
            if (ngx_http_omni_marks(r, rw, e->nmarks) != NGX_OK) {
                return NGX_ERROR;
            }

            if (e->nmarks) {
                ngx_memcpy(rw->marks, e->marks,
                           e->nmarks * sizeof(omni_html_mark_t));
            }

            rw->nmarks = e->nmarks;
            rw->file_passed = (off_t) e->passed;

            rw->scan = e->end;
            omni_html_want(&rw->scan, ngx_http_omni_wanted(rw));

            return NGX_OK;
        }
    }

    if (ngx_http_omni_marks(r, rw, OMNI_HTML_MARKS_MAX) != NGX_OK) {
        return NGX_ERROR;
    }

    if (rw->marker == NULL) {
        rw->marker = ngx_palloc(r->pool, sizeof(omni_html_marker_t));
        if (rw->marker == NULL) {
            return NGX_ERROR;
        }
    }

    if (rw->read_buf == NULL) {
        rw->read_buf = ngx_palloc(r->pool, NGX_HTTP_OMNI_READ_SIZE);
        if (rw->read_buf == NULL) {
            return NGX_ERROR;
        }
    }

    keep.data = (char *) rw->content.slot.data;
    keep.len = rw->content.slot.len;

    if (cache) {
        /* what every request may need: every anchor, every slot */
        omni_html_init(&all, OMNI_HTML_WANT_ALL);
        omni_html_marker_init(rw->marker, &all, rw->marks,
                              OMNI_HTML_MARKS_MAX, keep);

    } else {
        omni_html_marker_init(rw->marker, &rw->scan, rw->marks,
                              OMNI_HTML_MARKS_MAX, keep);
    }

    /*
     * The read blocks, as the copy filter's own reads of a file do with
     * sendfile off; it happens once per file while the entry is cached.
     */

    for (off = 0; off < region; off += n) {
        n = (size_t) ngx_min(region - off, NGX_HTTP_OMNI_READ_SIZE);

        rd = ngx_read_file(b->file, rw->read_buf, n, b->file_pos + off);

        if (rd != (ssize_t) n) {
            if (rd != NGX_ERROR) {
                ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                              "omni: read only %z of %uz bytes from "
                              "\"%V\"", rd, n, &b->file->name);
            }

            return NGX_ERROR;
        }

        omni_html_marker_feed(rw->marker, rw->read_buf, n,
                              b->last_buf && off + (off_t) n == region);
    }

    if (region == 0) {
        omni_html_marker_feed(rw->marker, NULL, 0, b->last_buf);
    }

    if (cache && omni_html_cache_put(cache, &key, rw->marker, 1) != OMNI_OK) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "omni: anchors of \"%V\" not cached",
                       &b->file->name);
    }

    rw->nmarks = rw->marker->nmarks;
    rw->file_passed = (off_t) rw->marker->passed;

    rw->scan = rw->marker->scan;
    omni_html_want(&rw->scan, ngx_http_omni_wanted(rw));

    return NGX_OK;
}


/* room for n marks in rw->marks */

static ngx_int_t
ngx_http_omni_marks(ngx_http_request_t *r, ngx_http_omni_rewrite_t *rw,
    ngx_uint_t n)
{
    if (n <= rw->marks_size) {
        return NGX_OK;
    }

    rw->marks = ngx_palloc(r->pool, n * sizeof(omni_html_mark_t));
    if (rw->marks == NULL) {
        return NGX_ERROR;
    }

    rw->marks_size = n;

    return NGX_OK;
}


static ngx_int_t
ngx_http_omni_file_key(ngx_http_request_t *r, ngx_buf_t *b,
    omni_html_file_key_t *key)
{
    ngx_file_info_t  fi;

    if (b->file == NULL || b->file->fd == NGX_INVALID_FILE) {
        return NGX_DECLINED;
    }

    if (ngx_fd_info(b->file->fd, &fi) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                      ngx_fd_info_n " \"%V\" failed", &b->file->name);
        return NGX_DECLINED;
    }

    ngx_memzero(key, sizeof(omni_html_file_key_t));

    key->dev = (uint64_t) fi.st_dev;
    key->ino = (uint64_t) ngx_file_uniq(&fi);
    key->size = (uint64_t) ngx_file_size(&fi);
    key->mtime_sec = (int64_t) ngx_file_mtime(&fi);
#if (NGX_LINUX)
    key->mtime_nsec = (int64_t) fi.st_mtim.tv_nsec;
#endif
    key->start = (uint64_t) b->file_pos;
    key->end = (uint64_t) b->file_last;

    return NGX_OK;
}


static omni_html_cache_t *
ngx_http_omni_file_cache(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t  *cln;

    if (ngx_http_omni_cache) {
        return ngx_http_omni_cache;
    }

    cln = ngx_pool_cleanup_add(ngx_cycle->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    ngx_http_omni_cache =
                   omni_html_cache_new(NGX_HTTP_OMNI_FILE_CACHE_ENTRIES);

    if (ngx_http_omni_cache == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "omni: could not make the file anchor cache");
        return NULL;
    }

    cln->handler = ngx_http_omni_file_cache_cleanup;
    cln->data = NULL;

    return ngx_http_omni_cache;
}


static void
ngx_http_omni_file_cache_cleanup(void *data)
{
    omni_html_cache_free(ngx_http_omni_cache);
    ngx_http_omni_cache = NULL;
}


/* [from, to) of the region, as a file buffer like the one given */

static ngx_int_t
ngx_http_omni_file_slice(ngx_http_request_t *r, ngx_http_omni_rewrite_t *rw,
    off_t from, off_t to)
{
    ngx_int_t     rc;
    ngx_buf_t    *b, *in;
    ngx_chain_t  *cl;

    if (to <= from) {
        return NGX_OK;
    }

    in = rw->buf;

    rc = ngx_http_omni_defer_room(r, rw, to - from);

    if (rc != NGX_OK) {
        return rc;
    }

    cl = rw->deferred_last;

    if (rw->deferring && cl && !ngx_buf_in_memory(cl->buf)
        && cl->buf->file == in->file
        && cl->buf->file_last == in->file_pos + from)
    {
        /* the file goes on where the waiting slice ends */
        cl->buf->file_last = in->file_pos + to;
        rw->deferred_size += to - from;
        return NGX_OK;
    }

    cl = ngx_http_omni_get_buf(r, rw);
    if (cl == NULL) {
        return rw->nomem ? NGX_AGAIN : NGX_ERROR;
    }

    b = cl->buf;

    ngx_memcpy(b, in, sizeof(ngx_buf_t));

    b->file_pos = in->file_pos + from;
    b->file_last = in->file_pos + to;
    b->shadow = NULL;
    b->last_buf = 0;
    b->last_in_chain = 0;
    b->flush = 0;
    b->sync = 0;
    b->recycled = 0;
    b->tag = (ngx_buf_tag_t) &ngx_http_omni_module;

    /* file bytes stay valid: they may wait for the slot without a copy */
    ngx_http_omni_append(rw, cl, 1);

    return NGX_OK;
}


/*
 * Whether the offer's slot marker comes after <body> in this region: known
 * when the region ends the page (the marks then hold every anchor to the
 * end), unknown otherwise.
 */

static ngx_int_t
ngx_http_omni_slot_ahead(ngx_http_omni_rewrite_t *rw)
{
    ngx_uint_t                i;
    omni_html_mark_t         *mk;
    ngx_http_omni_content_t  *c;

    c = &rw->content;

    for (i = rw->mark + 1; i < rw->nmarks; i++) {
        mk = &rw->marks[i];

        if (mk->type == OMNI_HTML_MARK_INSERT
            && mk->anchor == OMNI_HTML_SLOT
            && mk->len == c->slot.len
            && ngx_memcmp(mk->name, c->slot.data, mk->len) == 0)
        {
            return 1;
        }
    }

    return rw->buf->last_buf ? 0 : -1;
}
