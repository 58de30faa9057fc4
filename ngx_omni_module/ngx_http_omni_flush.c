
/*
 * The worker's side of tracking writes: the event queue, the flush timer,
 * the thread-pool task that writes a batch into the activity store, the
 * periodic sync, and the last flush when the worker exits.
 *
 * The event loop never waits for the store: it appends events to the
 * queue (no allocation) and hands a full batch to a thread of an nginx
 * thread pool.  The thread runs omni_flush_batch() (one LMDB write
 * transaction, which may wait for another worker's writer lock) and, when
 * due, a sync; it touches no nginx structure and reports back through the
 * task's completion event.  One task per worker is out at a time; events
 * keep going to the queue's second batch meanwhile, and are dropped and
 * counted only when that one fills up too.
 */


#include "ngx_http_omni_module.h"
#include "ngx_http_omni_kpi.h"

#include <omni/first.h>
#include <omni/flush.h>
#include <omni/queue.h>


#define NGX_HTTP_OMNI_FLUSH_LOG_EVERY  10        /* seconds */
#define NGX_HTTP_OMNI_FLUSH_EXIT_WAIT  30000     /* ms */


/* what the thread needs and what it reports: nothing of nginx */

typedef struct {
    omni_store_t             *store;
    omni_batch_t             *batch;          /* NULL: a sync only */
    omni_flush_conf_t         conf;
    ngx_uint_t                sync;

    int                       rc;
    int                       sync_rc;
    omni_flush_stats_t        stats;
    char                      err[OMNI_STORE_ERR_MAX];

    ngx_atomic_t              done;
} ngx_http_omni_flush_job_t;


struct ngx_http_omni_flusher_s {
    omni_queue_t               *queue;
    ngx_http_omni_main_conf_t  *omcf;
    omni_store_t               *store;
    omni_flush_conf_t           conf;

    ngx_msec_t                  interval;
    ngx_msec_t                  sync_interval;
    ngx_msec_t                  synced;         /* when the last sync began */
    ngx_event_t                 timer;

#if (NGX_THREADS)
    ngx_thread_pool_t          *pool;
    ngx_thread_task_t          *task;
#endif
    ngx_http_omni_flush_job_t  *job;

    unsigned                    busy:1;         /* a task is out */
    unsigned                    dirty:1;        /* commits since the sync */
    unsigned                    nosync:1;       /* MDB_NOSYNC is set */

    /* this worker's totals, and what the next log line reports */
    uint64_t                    written;
    uint64_t                    dropped;        /* failed batches */
    uint64_t                    skipped;
    uint64_t                    duplicates;
    uint64_t                    queue_dropped;  /* the queue was full */

    time_t                      logged;
    uint64_t                    log_dropped;
    const char                 *log_reason;
    unsigned                    sync_failed:1;
    char                        log_err[OMNI_STORE_ERR_MAX];
};


static void ngx_http_omni_flush_cleanup(void *data);
static void ngx_http_omni_flush_timer(ngx_event_t *ev);
static void ngx_http_omni_flush_post(ngx_http_omni_flusher_t *f);
#if (NGX_THREADS)
static void ngx_http_omni_flush_thread(void *data, ngx_log_t *log);
static void ngx_http_omni_flush_done(ngx_event_t *ev);
#endif
static void ngx_http_omni_flush_account(ngx_http_omni_flusher_t *f,
    ngx_http_omni_flush_job_t *job, ngx_log_t *log);
static void ngx_http_omni_flush_drop(ngx_http_omni_flusher_t *f,
    uint64_t n, const char *reason, const char *err, ngx_log_t *log);
static void ngx_http_omni_flush_log(ngx_http_omni_flusher_t *f,
    ngx_log_t *log, ngx_uint_t force);


ngx_int_t
ngx_http_omni_flush_init_process(ngx_cycle_t *cycle)
{
    ngx_pool_cleanup_t          *cln;
    ngx_http_omni_flusher_t     *f;
    ngx_http_omni_main_conf_t   *omcf;
    ngx_http_omni_track_conf_t  *tcf;

    omcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_omni_module);
    tcf = &omcf->track;

    tcf->flusher = NULL;

    /*
     * Without an activity store yet (omcf->tracking), the flusher is set
     * up all the same: the store glue opens it once its directory is
     * usable, and events are queued from then on.
     */
    if (omcf->store == NULL) {
        return NGX_OK;
    }

#if !(NGX_THREADS)

    if (ngx_worker == 0) {
        ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                      "omni: tracking is disabled: nginx was built without "
                      "thread pools (--with-threads)");
    }

    return NGX_OK;

#else

    f = ngx_pcalloc(cycle->pool, sizeof(ngx_http_omni_flusher_t));
    if (f == NULL) {
        return NGX_ERROR;
    }

    f->pool = ngx_thread_pool_get(cycle, &tcf->thread_pool);

    if (f->pool == NULL) {
        if (ngx_worker == 0) {
            ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                          "omni: tracking is disabled: no thread pool "
                          "\"%V\" (declare it with \"thread_pool\")",
                          &tcf->thread_pool);
        }

        return NGX_OK;
    }

    f->task = ngx_thread_task_alloc(cycle->pool,
                                    sizeof(ngx_http_omni_flush_job_t));
    if (f->task == NULL) {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(cycle->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    f->queue = omni_queue_new(tcf->queue_size);
    if (f->queue == NULL) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                      "omni: cannot allocate the event queue "
                      "(2 x %uz bytes), tracking is disabled",
                      tcf->queue_size);
        return NGX_OK;
    }

    cln->handler = ngx_http_omni_flush_cleanup;
    cln->data = f;

    f->job = f->task->ctx;
    f->omcf = omcf;
    f->store = omcf->store;
    f->conf.visit_timeout = tcf->visit_timeout;
    f->conf.abandon_after = tcf->abandon_after;
    f->interval = tcf->flush_interval;
    f->sync_interval = tcf->sync_interval;
    f->synced = ngx_current_msec;

    f->task->handler = ngx_http_omni_flush_thread;
    f->task->event.handler = ngx_http_omni_flush_done;
    f->task->event.data = f;

    f->timer.handler = ngx_http_omni_flush_timer;
    f->timer.data = f;
    f->timer.log = cycle->log;
    f->timer.cancelable = 1;

    ngx_add_timer(&f->timer, f->interval);

    tcf->flusher = f;

    return NGX_OK;

#endif
}


static void
ngx_http_omni_flush_cleanup(void *data)
{
    ngx_http_omni_flusher_t *f = data;

    /* a task still out owns a batch of the queue: leak rather than race */
    if (f->busy) {
        return;
    }

    omni_queue_free(f->queue);
    f->queue = NULL;
}


/*
 * The last flush: the worker is leaving and serves no request any more,
 * so what is still queued is written here, on the worker's own thread,
 * and synced.  A task may still be out: the thread pool finishes its
 * tasks before its threads exit, which happens before this (it is a core
 * module); should that order ever differ, the task is waited for here.
 */

void
ngx_http_omni_flush_exit_process(ngx_cycle_t *cycle)
{
    int                          rc;
    ngx_msec_t                   waited;
    omni_batch_t                *b;
    ngx_http_omni_flusher_t     *f;
    ngx_http_omni_flush_job_t   *job;
    ngx_http_omni_main_conf_t   *omcf;

    omcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_omni_module);
    f = omcf->track.flusher;

    if (f == NULL) {
        return;
    }

    omcf->track.flusher = NULL;

    if (f->timer.timer_set) {
        ngx_del_timer(&f->timer);
    }

    job = f->job;

    if (f->busy) {
        for (waited = 0;
             !job->done && waited < NGX_HTTP_OMNI_FLUSH_EXIT_WAIT;
             waited += 10)
        {
            ngx_msleep(10);
        }

        if (!job->done) {
            ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                          "omni: the flush thread did not finish, %uz queued "
                          "events are lost", omni_queue_pending(f->queue));
            return;
        }

        ngx_http_omni_flush_account(f, job, cycle->log);
    }

    b = omcf->tracking ? omni_queue_take(f->queue) : NULL;

    if (b != NULL) {
        ngx_memzero(job, sizeof(ngx_http_omni_flush_job_t));

        job->batch = b;
        job->store = f->store;
        job->conf = f->conf;

        rc = omni_flush_batch(f->store, b, &f->conf, &job->stats);
        job->rc = rc;

        if (rc != OMNI_OK) {
            ngx_cpystrn((u_char *) job->err,
                        (u_char *) omni_store_activity_error(f->store),
                        sizeof(job->err));
        }

        ngx_http_omni_flush_account(f, job, cycle->log);
    }

    if (omcf->tracking && omni_store_sync(f->store) != OMNI_OK) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, 0, "omni: %s",
                      omni_store_activity_error(f->store));
    }

    ngx_http_omni_flush_log(f, cycle->log, 1);

    ngx_log_error(NGX_LOG_INFO, cycle->log, 0,
                  "omni: tracking: %uL events written by this worker, "
                  "%uL dropped", f->written,
                  f->dropped + f->queue_dropped);

    omni_queue_free(f->queue);
    f->queue = NULL;
}


/*
 * Appends an event of the request's visitor.  The caller has checked
 * consent; the event's strings may go once this returns.
 */

ngx_int_t
ngx_http_omni_track_push(ngx_http_request_t *r, ngx_http_omni_ctx_t *ctx,
    omni_event_t *ev)
{
    int                         rc;
    ngx_http_omni_flusher_t    *f;
    ngx_http_omni_main_conf_t  *omcf;

    /* the page's tags report the event whether or not it can be stored */
    ngx_http_omni_track_tag_event(r, ctx, ev);

    omcf = ngx_http_get_module_main_conf(r, ngx_http_omni_module);
    f = omcf->track.flusher;

    if (f == NULL) {
        return NGX_DECLINED;
    }

    ev->at = (int64_t) ngx_time();

    if (ctx->new_visitor) {
        /*
         * Nothing is written for a visitor until they come back with the
         * cookie (ngx_http_omni_first.c); the KPIs count the request now.
         */
        if (ngx_http_omni_first_carry(r, ctx, ev) != NGX_OK) {
            return NGX_DECLINED;
        }

        ngx_http_omni_track_count(r, ctx, ev);

        return NGX_OK;
    }

    /* what the visitor's first response carried goes first */
    ngx_http_omni_first_commit(r, ctx);

    if (!omcf->tracking) {
        /* the store glue said why when it failed; here is what it costs */
        ngx_http_omni_flush_drop(f, 1, "the activity store is not open",
                                 omni_store_error(f->store,
                                                  OMNI_STORE_ENV_ACTIVITY),
                                 ngx_cycle->log);
        return NGX_DECLINED;
    }

    rc = omni_queue_push(f->queue, &ctx->id, ev);

    if (rc == OMNI_EFULL) {
        /* counted by the queue; reported by the next log line */
        ngx_http_omni_kpi_op(ngx_cycle, NGX_HTTP_OMNI_OP_EVENTS_DROPPED);
        ngx_http_omni_flush_log(f, ngx_cycle->log, 0);
        return NGX_DECLINED;
    }

    if (rc != OMNI_OK) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "omni: event not queued: %s", omni_strerror(rc));
        return NGX_DECLINED;
    }

    if (!f->busy && omni_queue_ready(f->queue)) {
        ngx_http_omni_flush_post(f);
    }

    ngx_http_omni_kpi_op(ngx_cycle, NGX_HTTP_OMNI_OP_EVENTS_QUEUED);
    ngx_http_omni_track_count(r, ctx, ev);

    return NGX_OK;
}


/*
 * The events a returning visitor's first response carried, with their own
 * times and flags (first.h), queued together: no batch is handed over
 * between two of them.  They were counted in the KPIs when they happened.
 */

ngx_int_t
ngx_http_omni_track_push_first(ngx_http_request_t *r,
    ngx_http_omni_ctx_t *ctx, omni_first_t *set)
{
    int                         rc;
    size_t                      pos;
    ngx_uint_t                  queued;
    omni_event_t                ev;
    ngx_http_omni_flusher_t    *f;
    ngx_http_omni_main_conf_t  *omcf;

    omcf = ngx_http_get_module_main_conf(r, ngx_http_omni_module);
    f = omcf->track.flusher;

    if (f == NULL) {
        return NGX_DECLINED;
    }

    if (!omcf->tracking) {
        ngx_http_omni_flush_drop(f, set->n, "the activity store is not open",
                                 omni_store_error(f->store,
                                                  OMNI_STORE_ENV_ACTIVITY),
                                 ngx_cycle->log);
        return NGX_DECLINED;
    }

    queued = 0;
    pos = 0;

    while (omni_first_next(set, &pos, &ev) == OMNI_OK) {
        rc = omni_queue_push(f->queue, &ctx->id, &ev);

        if (rc == OMNI_EFULL) {
            /* counted by the queue; reported by the next log line */
            ngx_http_omni_kpi_op(ngx_cycle, NGX_HTTP_OMNI_OP_EVENTS_DROPPED);
            continue;
        }

        if (rc == OMNI_OK) {
            queued++;
        }
    }

    ngx_http_omni_kpi_op_add((ngx_cycle_t *) ngx_cycle,
                             NGX_HTTP_OMNI_OP_EVENTS_QUEUED, queued);

    ngx_http_omni_flush_log(f, ngx_cycle->log, 0);

    if (!f->busy && omni_queue_ready(f->queue)) {
        ngx_http_omni_flush_post(f);
    }

    return queued ? NGX_OK : NGX_DECLINED;
}


static void
ngx_http_omni_flush_timer(ngx_event_t *ev)
{
    ngx_http_omni_flusher_t *f = ev->data;

    if (!f->busy) {
        ngx_http_omni_flush_post(f);
    }

    /* cancelable: a worker that is shutting down does not wait for it */
    ngx_add_timer(ev, f->interval);
}


static void
ngx_http_omni_flush_post(ngx_http_omni_flusher_t *f)
{
#if (NGX_THREADS)

    ngx_uint_t                  sync;
    omni_batch_t               *b;
    ngx_http_omni_flush_job_t  *job;

    if (!f->omcf->tracking) {
        return;
    }

    /*
     * Commits hand their pages to the kernel and return; the disk is
     * waited for by the periodic sync, in the thread.  Set here, with no
     * task out, as the activity store may have opened after the worker
     * started.
     */
    if (!f->nosync) {
        f->nosync = 1;

        if (omni_store_activity_nosync(f->store, 1) != OMNI_OK) {
            ngx_log_error(NGX_LOG_WARN, f->timer.log, 0,
                          "omni: %s: every commit waits for the disk",
                          omni_store_error(f->store,
                                           OMNI_STORE_ENV_ACTIVITY));
        }
    }

    sync = f->dirty && ngx_current_msec - f->synced >= f->sync_interval;

    b = omni_queue_take(f->queue);

    if (b == NULL && !sync) {
        return;
    }

    job = f->job;
    ngx_memzero(job, sizeof(ngx_http_omni_flush_job_t));

    job->store = f->store;
    job->batch = b;
    job->conf = f->conf;
    job->sync = sync;

    if (ngx_thread_task_post(f->pool, f->task) != NGX_OK) {
        /* the pool's queue is full: the batch cannot be written */
        if (b != NULL) {
            ngx_http_omni_flush_drop(f, omni_batch_count(b),
                                     "the thread pool's queue is full", "",
                                     f->timer.log);
            omni_queue_release(f->queue, b);
        }

        return;
    }

    f->busy = 1;

    if (sync) {
        f->synced = ngx_current_msec;
        f->dirty = 0;
    }

#endif
}


#if (NGX_THREADS)

/* in a thread of the pool: the store only, no nginx structure */

static void
ngx_http_omni_flush_thread(void *data, ngx_log_t *log)
{
    ngx_http_omni_flush_job_t *job = data;

    const char  *err;

    job->rc = OMNI_OK;
    job->sync_rc = OMNI_OK;
    err = NULL;

    if (job->batch != NULL) {
        job->rc = omni_flush_batch(job->store, job->batch, &job->conf,
                                   &job->stats);

        if (job->rc != OMNI_OK) {
            err = omni_store_activity_error(job->store);
        }
    }

    if (job->sync) {
        job->sync_rc = omni_store_sync(job->store);

        if (job->sync_rc != OMNI_OK && err == NULL) {
            err = omni_store_activity_error(job->store);
        }
    }

    if (err != NULL) {
        ngx_cpystrn((u_char *) job->err, (u_char *) err, sizeof(job->err));
    }

    ngx_memory_barrier();

    job->done = 1;
}


/* back on the event loop */

static void
ngx_http_omni_flush_done(ngx_event_t *ev)
{
    ngx_http_omni_flusher_t *f = ev->data;

    if (!f->busy) {
        /* the exit flush has accounted for it already */
        return;
    }

    ngx_http_omni_flush_account(f, f->job, ngx_cycle->log);

    /* the traffic filled the other batch meanwhile: go on at once */
    if (omni_queue_ready(f->queue)) {
        ngx_http_omni_flush_post(f);
    }
}

#endif


static void
ngx_http_omni_flush_account(ngx_http_omni_flusher_t *f,
    ngx_http_omni_flush_job_t *job, ngx_log_t *log)
{
    uint64_t  n;

    f->busy = 0;

    if (job->batch == NULL) {
        n = 0;

    } else {
        n = omni_batch_count(job->batch);
        omni_queue_release(f->queue, job->batch);
        job->batch = NULL;
    }

    if (job->rc == OMNI_OK) {
        f->written += job->stats.events;
        ngx_http_omni_kpi_op_add((ngx_cycle_t *) ngx_cycle,
                                 NGX_HTTP_OMNI_OP_EVENTS_FLUSHED,
                                 job->stats.events);
        f->skipped += job->stats.skipped;
        f->duplicates += job->stats.duplicates;

        if (n) {
            f->dirty = 1;
        }

    } else {
        ngx_http_omni_flush_drop(f, n,
                                 job->rc == OMNI_EFULL
                                 ? "the store is full (raise map_size)"
                                 : job->rc == OMNI_ENOTFOUND
                                   ? "the activity store is not open"
                                   : "the store failed",
                                 job->err, log);
    }

    if (job->sync_rc != OMNI_OK) {
        /* a failed sync loses nothing yet: it is retried */
        f->dirty = 1;
        f->sync_failed = 1;
        ngx_cpystrn((u_char *) f->log_err, (u_char *) job->err,
                    sizeof(f->log_err));
        ngx_http_omni_flush_log(f, log, 0);
    }
}


static void
ngx_http_omni_flush_drop(ngx_http_omni_flusher_t *f, uint64_t n,
    const char *reason, const char *err, ngx_log_t *log)
{
    f->dropped += n;
    f->log_dropped += n;
    ngx_http_omni_kpi_op_add((ngx_cycle_t *) ngx_cycle,
                             NGX_HTTP_OMNI_OP_EVENTS_DROPPED, n);
    f->log_reason = reason;
    ngx_cpystrn((u_char *) f->log_err, (u_char *) err, sizeof(f->log_err));

    ngx_http_omni_flush_log(f, log, 0);
}


/*
 * Losses are reported at most once per NGX_HTTP_OMNI_FLUSH_LOG_EVERY
 * seconds and worker, with the count since the last line: a store that
 * stays full must not flood the log, nor slow the worker down.
 */

static void
ngx_http_omni_flush_log(ngx_http_omni_flusher_t *f, ngx_log_t *log,
    ngx_uint_t force)
{
    time_t              now;
    uint64_t            queue_dropped;
    omni_queue_stats_t  qs;

    now = ngx_time();

    if (!force && now - f->logged < NGX_HTTP_OMNI_FLUSH_LOG_EVERY) {
        return;
    }

    omni_queue_stats(f->queue, &qs);
    queue_dropped = qs.dropped - f->queue_dropped;

    if (f->log_dropped == 0 && queue_dropped == 0 && f->log_reason == NULL
        && !f->sync_failed)
    {
        return;
    }

    if (f->log_dropped || f->log_reason) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "omni: %uL tracking events dropped: %s%s%s",
                      f->log_dropped, f->log_reason ? f->log_reason : "",
                      f->log_err[0] ? ": " : "", f->log_err);

    } else if (f->sync_failed) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "omni: the activity store is not synced to disk, "
                      "retrying: %s", f->log_err);
    }

    if (queue_dropped) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "omni: %uL tracking events dropped: the queue was "
                      "full (the store is slower than the traffic; raise "
                      "omni_queue_size)", queue_dropped);
    }

    f->queue_dropped = qs.dropped;
    f->log_dropped = 0;
    f->log_reason = NULL;
    f->sync_failed = 0;
    f->log_err[0] = '\0';
    f->logged = now;
}
