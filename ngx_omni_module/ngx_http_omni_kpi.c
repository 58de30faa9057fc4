
/*
 * ngx_http_omni_module: the KPI zone.
 *
 * omni_zone NAME SIZE [persist=FILE] [persist_interval=TIME]
 *     [thread_pool=NAME]
 *
 * The counters live in a shared memory zone, so they survive a reload:
 * the new cycle adopts the old zone, or, when the zone was resized,
 * copies the old zone's counters into the new one.  With persist=FILE they
 * also survive a restart: worker 0 writes a snapshot of the zone every
 * persist_interval (in a thread pool: the write and its fsync() never run
 * on the event loop), the master writes a last one when it exits, and the
 * zone is filled from the file when it is first created.
 */


#include "ngx_http_omni_module.h"

#if (NGX_THREADS)
#include <ngx_thread_pool.h>
#endif


/* 350,000 rows: far more keys than any campaigns file has */
#define NGX_HTTP_OMNI_KPI_ZONE_MAX  (64 * 1024 * 1024)


/* per worker: the periodic snapshot */

typedef struct {
    ngx_http_omni_kpi_main_conf_t  *kmcf;
    ngx_event_t                     timer;
    ngx_log_t                      *log;
#if (NGX_THREADS)
    ngx_thread_task_t              *task;
#endif
    time_t                          now;
    ngx_int_t                       rc;
    ngx_err_t                       err;
    unsigned                        busy:1;
    unsigned                        again:1;
    unsigned                        failing:1;
} ngx_http_omni_kpi_persister_t;


static ngx_int_t ngx_http_omni_kpi_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static omni_kpi_t *ngx_http_omni_kpi_old_table(ngx_shm_zone_t *shm_zone);
static void ngx_http_omni_kpi_restore(ngx_shm_zone_t *shm_zone,
    ngx_http_omni_kpi_main_conf_t *kmcf);
static void ngx_http_omni_kpi_timer(ngx_event_t *ev);
static void ngx_http_omni_kpi_persist(ngx_http_omni_kpi_persister_t *p);
static void ngx_http_omni_kpi_persisted(ngx_http_omni_kpi_persister_t *p);
#if (NGX_THREADS)
static void ngx_http_omni_kpi_persist_thread(void *data, ngx_log_t *log);
static void ngx_http_omni_kpi_persist_done(ngx_event_t *ev);
#endif


/* distinguishes the KPI zone from any other zone of the module */
static ngx_uint_t  ngx_http_omni_kpi_zone_tag;


/* Configuration */

ngx_http_omni_kpi_main_conf_t *
ngx_http_omni_kpi_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_omni_kpi_main_conf_t  *kmcf;

    kmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_omni_kpi_main_conf_t));
    if (kmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     kmcf->shm_zone = NULL;
     *     kmcf->table = NULL;
     *     kmcf->persist = { 0, NULL };
     *     kmcf->thread_pool = NULL;
     *     kmcf->status_used = 0;
     *     kmcf->count_used = 0;
     *     kmcf->persister = NULL;
     */

    kmcf->persist_interval = NGX_CONF_UNSET_MSEC;
    kmcf->attribution_window = NGX_CONF_UNSET;

    return kmcf;
}


char *
ngx_http_omni_kpi_init_main_conf(ngx_conf_t *cf,
    ngx_http_omni_kpi_main_conf_t *kmcf)
{
    ngx_conf_init_msec_value(kmcf->persist_interval,
                             NGX_HTTP_OMNI_KPI_PERSIST_INTERVAL);
    ngx_conf_init_value(kmcf->attribution_window,
                        NGX_HTTP_OMNI_KPI_ATTRIBUTION);

    if (kmcf->status_used && kmcf->shm_zone == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"omni_status\" and \"omni_dashboard\" need "
                           "an \"omni_zone\" in the http block");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


ngx_http_omni_kpi_loc_conf_t *
ngx_http_omni_kpi_loc_conf(ngx_conf_t *cf, ngx_http_omni_kpi_loc_conf_t **p)
{
    if (*p == NULL) {
        *p = ngx_pcalloc(cf->pool, sizeof(ngx_http_omni_kpi_loc_conf_t));
    }

    return *p;
}


/*
 * The location part is allocated only where a KPI directive appears.  As
 * with add_header, a level without omni_count directives inherits those
 * of the level above; the reset token is inherited too.
 */

char *
ngx_http_omni_kpi_merge_loc_conf(ngx_conf_t *cf,
    ngx_http_omni_kpi_loc_conf_t **prev, ngx_http_omni_kpi_loc_conf_t **conf)
{
    ngx_http_omni_kpi_loc_conf_t  *klcf;

    if (*prev == NULL) {
        return NGX_CONF_OK;
    }

    if (*conf == NULL) {
        *conf = *prev;
        return NGX_CONF_OK;
    }

    klcf = *conf;

    if (!klcf->reset_token_set && (*prev)->reset_token_set) {
        klcf->reset_token = (*prev)->reset_token;
        klcf->reset_token_set = 1;
    }

    if (klcf->counts == NULL) {
        klcf->counts = (*prev)->counts;
    }

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_omni_kpi_postconfiguration(ngx_conf_t *cf)
{
    ngx_http_handler_pt            *h;
    ngx_http_core_main_conf_t      *cmcf;
    ngx_http_omni_main_conf_t      *omcf;

    omcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_omni_module);

    /* pay only when used */

    if (!omcf->kpi->count_used) {
        return NGX_OK;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_omni_count_handler;

    return NGX_OK;
}


char *
ngx_http_omni_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_omni_main_conf_t *omcf = conf;

    ssize_t                         size;
    ngx_str_t                      *value, name, s, dir;
    ngx_uint_t                      i;
    ngx_msec_t                      interval;
    ngx_file_info_t                 fi;
    ngx_shm_zone_t                 *shm_zone;
    ngx_http_omni_kpi_main_conf_t  *kmcf;
#if (NGX_THREADS)
    ngx_str_t                       pool;
#endif

    kmcf = omcf->kpi;

    if (kmcf->shm_zone) {
        return "is duplicate";
    }

    value = cf->args->elts;
    name = value[1];

    if (name.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone name \"%V\"", &name);
        return NGX_CONF_ERROR;
    }

    size = ngx_parse_size(&value[2]);

    if (size == NGX_ERROR
        || size < (ssize_t) (8 * ngx_pagesize)
        || size > NGX_HTTP_OMNI_KPI_ZONE_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone size \"%V\" (from %uzk to 64m)",
                           &value[2], 8 * ngx_pagesize / 1024);
        return NGX_CONF_ERROR;
    }

    interval = NGX_CONF_UNSET_MSEC;
#if (NGX_THREADS)
    ngx_str_null(&pool);
#endif

    for (i = 3; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "persist=", 8) == 0) {
            kmcf->persist.data = value[i].data + 8;
            kmcf->persist.len = value[i].len - 8;

            if (kmcf->persist.len == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "persist_interval=", 17) == 0) {
            s.data = value[i].data + 17;
            s.len = value[i].len - 17;

            interval = ngx_parse_time(&s, 0);
            if (interval == (ngx_msec_t) NGX_ERROR || interval < 1000) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid persist_interval \"%V\" "
                                   "(at least 1s)", &s);
                return NGX_CONF_ERROR;
            }

            continue;
        }

#if (NGX_THREADS)
        if (ngx_strncmp(value[i].data, "thread_pool=", 12) == 0) {
            pool.data = value[i].data + 12;
            pool.len = value[i].len - 12;

            if (pool.len == 0) {
                goto invalid;
            }

            continue;
        }
#endif

        goto invalid;
    }

    if (kmcf->persist.len) {
        if (ngx_conf_full_name(cf->cycle, &kmcf->persist, 0) != NGX_OK) {
            return NGX_CONF_ERROR;
        }

        /* the directory must exist: nobody creates it at run time */

        dir = kmcf->persist;

        while (dir.len && dir.data[dir.len - 1] != '/') {
            dir.len--;
        }

        s.len = dir.len;
        s.data = ngx_pnalloc(cf->temp_pool, dir.len + 2);
        if (s.data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_cpystrn(s.data, dir.data, dir.len + 1);

        if (ngx_file_info(s.data, &fi) == NGX_FILE_ERROR
            || !ngx_is_dir(&fi))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                               "omni_zone persist directory \"%s\" "
                               "does not exist", s.data);
            return NGX_CONF_ERROR;
        }

#if (NGX_THREADS)
        kmcf->thread_pool = ngx_thread_pool_add(cf, pool.len ? &pool : NULL);
        if (kmcf->thread_pool == NULL) {
            return NGX_CONF_ERROR;
        }
#endif

    } else if (interval != NGX_CONF_UNSET_MSEC) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"persist_interval\" needs \"persist\"");
        return NGX_CONF_ERROR;
    }

    kmcf->persist_interval = interval;

    shm_zone = ngx_shared_memory_add(cf, &name, size,
                                     &ngx_http_omni_kpi_zone_tag);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "omni_zone \"%V\" is already used", &name);
        return NGX_CONF_ERROR;
    }

    shm_zone->init = ngx_http_omni_kpi_init_zone;
    shm_zone->data = kmcf;

    kmcf->shm_zone = shm_zone;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\"", &value[i]);

    return NGX_CONF_ERROR;
}


char *
ngx_http_omni_attribution_window(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_omni_main_conf_t *omcf = conf;

    time_t      window;
    ngx_str_t  *value;

    if (omcf->kpi->attribution_window != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    window = ngx_parse_time(&value[1], 1);

    if (window == (time_t) NGX_ERROR || window == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid attribution window \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    omcf->kpi->attribution_window = window;

    return NGX_CONF_OK;
}


/* The zone */

/*
 * Called in the master for every cycle, "nginx -t" included.  data is
 * the previous cycle's configuration when the zone was kept as it was
 * (same name and size): its counters are adopted as they are.
 */

static ngx_int_t
ngx_http_omni_kpi_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_omni_kpi_main_conf_t  *okmcf = data;

    u_char                         *mem;
    size_t                          size, len;
    ngx_slab_pool_t                *shpool;
    ngx_http_omni_kpi_main_conf_t  *kmcf;

    kmcf = shm_zone->data;
    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (okmcf) {
        if (okmcf->table == NULL
            || !omni_kpi_compatible(okmcf->table,
                                    shm_zone->shm.size
                                    - ((u_char *) okmcf->table
                                       - shm_zone->shm.addr)))
        {
            /* the running workers still count in the old layout */
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "omni_zone \"%V\" was created by another build "
                          "of the module: restart nginx to replace it",
                          &shm_zone->shm.name);
            return NGX_ERROR;
        }

        kmcf->table = okmcf->table;
        return NGX_OK;
    }

    if (shm_zone->shm.exists) {
        kmcf->table = shpool->data;
        return NGX_OK;
    }

    len = sizeof(" in omni_zone \"\"") + shm_zone->shm.name.len;

    shpool->log_ctx = ngx_slab_alloc(shpool, len);
    if (shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(shpool->log_ctx, " in omni_zone \"%V\"%Z",
                &shm_zone->shm.name);

    /* the table takes every page left; the slab keeps one spare */

    if (shpool->pfree < 2) {
        return NGX_ERROR;
    }

    size = (size_t) (shpool->pfree - 1) << ngx_pagesize_shift;

    mem = ngx_slab_alloc(shpool, size);
    if (mem == NULL) {
        return NGX_ERROR;
    }

    if (omni_kpi_init(mem, size, ngx_time(), &kmcf->table) != OMNI_OK) {
        ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                      "omni_zone \"%V\" is too small",
                      &shm_zone->shm.name);
        return NGX_ERROR;
    }

    shpool->data = kmcf->table;

    ngx_http_omni_kpi_restore(shm_zone, kmcf);

    return NGX_OK;
}


/*
 * A new zone starts from the zone it replaces, when a reload resized it
 * (the old cycle is still alive while the new one is initialized), or
 * else from the snapshot file.
 */

static void
ngx_http_omni_kpi_restore(ngx_shm_zone_t *shm_zone,
    ngx_http_omni_kpi_main_conf_t *kmcf)
{
    int          rc;
    u_char      *path;
    omni_kpi_t  *old;

    old = ngx_http_omni_kpi_old_table(shm_zone);

    if (old) {
        omni_kpi_merge(kmcf->table, old);

        ngx_log_error(NGX_LOG_NOTICE, shm_zone->shm.log, 0,
                      "omni_zone \"%V\" resized: %uD counter rows "
                      "carried over", &shm_zone->shm.name,
                      omni_kpi_used(kmcf->table));
        return;
    }

    if (kmcf->persist.len == 0) {
        return;
    }

    /* ngx_conf_full_name() left the path NUL-terminated */
    path = kmcf->persist.data;

    rc = omni_kpi_load(kmcf->table, (char *) path);

    if (rc == OMNI_OK) {
        ngx_log_error(NGX_LOG_NOTICE, shm_zone->shm.log, 0,
                      "omni_zone \"%V\": %uD counter rows restored "
                      "from \"%s\"", &shm_zone->shm.name,
                      omni_kpi_used(kmcf->table), path);
        return;
    }

    if (rc == OMNI_ENOTFOUND) {
        return;
    }

    /* counting starts afresh rather than keeping nginx down */

    ngx_log_error(NGX_LOG_WARN, shm_zone->shm.log,
                  rc == OMNI_ERROR ? ngx_errno : 0,
                  "omni_zone \"%V\": snapshot \"%s\" not loaded: %s",
                  &shm_zone->shm.name, path, omni_strerror(rc));
}


static omni_kpi_t *
ngx_http_omni_kpi_old_table(ngx_shm_zone_t *shm_zone)
{
    ngx_uint_t                      i;
    ngx_list_part_t                *part;
    ngx_shm_zone_t                 *zone;
    ngx_http_omni_kpi_main_conf_t  *okmcf;

    /* ngx_cycle is still the old cycle here */

    part = (ngx_list_part_t *) &ngx_cycle->shared_memory.part;
    zone = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            zone = part->elts;
            i = 0;
        }

        if (zone[i].tag != shm_zone->tag
            || zone[i].shm.name.len != shm_zone->shm.name.len
            || ngx_strncmp(zone[i].shm.name.data, shm_zone->shm.name.data,
                           shm_zone->shm.name.len) != 0)
        {
            continue;
        }

        okmcf = zone[i].data;

        if (okmcf == NULL || okmcf->table == NULL
            || zone[i].shm.addr == shm_zone->shm.addr
            || !omni_kpi_compatible(okmcf->table,
                                    zone[i].shm.size
                                    - ((u_char *) okmcf->table
                                       - zone[i].shm.addr)))
        {
            return NULL;
        }

        return okmcf->table;
    }
}


/* The request path */

ngx_http_omni_kpi_main_conf_t *
ngx_http_omni_kpi_main_conf(ngx_http_request_t *r)
{
    ngx_http_omni_main_conf_t  *omcf;

    omcf = ngx_http_get_module_main_conf(r, ngx_http_omni_module);

    return omcf->kpi;
}


ngx_int_t
ngx_http_omni_kpi_count(ngx_http_request_t *r, ngx_uint_t event,
    omni_kpi_keys_t *keys, int64_t value)
{
    int                             rc;
    ngx_http_omni_main_conf_t      *omcf;

    omcf = ngx_http_get_module_main_conf(r, ngx_http_omni_module);

    if (omcf->kpi->table == NULL) {
        return NGX_DECLINED;
    }

    rc = omni_kpi_count(omcf->kpi->table, (omni_kpi_event_e) event, keys,
                        value, ngx_time());

    return (rc == OMNI_OK) ? NGX_OK : NGX_ERROR;
}


void
ngx_http_omni_kpi_op_add(ngx_cycle_t *cycle, ngx_uint_t op, ngx_uint_t n)
{
    ngx_http_omni_main_conf_t  *omcf;

    if (cycle->conf_ctx == NULL
        || cycle->conf_ctx[ngx_http_module.index] == NULL)
    {
        return;
    }

    omcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_omni_module);

    if (omcf == NULL || omcf->kpi->table == NULL) {
        return;
    }

    omni_kpi_op(omcf->kpi->table, (omni_kpi_op_e) op, n);
}


ngx_uint_t
ngx_http_omni_kpi_attribute(ngx_http_request_t *r, omni_kpi_keys_t *keys,
    const omni_activity_t *activity)
{
    ngx_http_omni_main_conf_t  *omcf;

    omcf = ngx_http_get_module_main_conf(r, ngx_http_omni_module);

    return omni_kpi_attribute(keys, activity, ngx_time(),
                              omcf->kpi->attribution_window);
}


/* Persistence */

ngx_int_t
ngx_http_omni_kpi_init_process(ngx_cycle_t *cycle)
{
    ngx_http_omni_main_conf_t      *omcf;
    ngx_http_omni_kpi_persister_t  *p;
    ngx_http_omni_kpi_main_conf_t  *kmcf;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    if (cycle->conf_ctx[ngx_http_module.index] == NULL) {
        return NGX_OK;
    }

    omcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_omni_module);
    kmcf = omcf->kpi;

    if (kmcf->table == NULL || kmcf->persist.len == 0) {
        return NGX_OK;
    }

    p = ngx_pcalloc(cycle->pool, sizeof(ngx_http_omni_kpi_persister_t));
    if (p == NULL) {
        return NGX_ERROR;
    }

    p->kmcf = kmcf;
    p->log = cycle->log;

#if (NGX_THREADS)
    p->task = ngx_thread_task_alloc(cycle->pool, 0);
    if (p->task == NULL) {
        return NGX_ERROR;
    }

    p->task->ctx = p;
    p->task->handler = ngx_http_omni_kpi_persist_thread;
    p->task->event.handler = ngx_http_omni_kpi_persist_done;
    p->task->event.data = p;
    p->task->event.log = cycle->log;
#endif

    kmcf->persister = p;

    /* every worker may write on demand (a reset); one writes on a timer */

    if (ngx_worker != 0) {
        return NGX_OK;
    }

    p->timer.handler = ngx_http_omni_kpi_timer;
    p->timer.data = p;
    p->timer.log = cycle->log;
    p->timer.cancelable = 1;

    ngx_add_timer(&p->timer, kmcf->persist_interval);

    return NGX_OK;
}


static void
ngx_http_omni_kpi_timer(ngx_event_t *ev)
{
    ngx_http_omni_kpi_persister_t  *p = ev->data;

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        /* the master writes the last snapshot */
        return;
    }

    ngx_http_omni_kpi_persist(p);

    ngx_add_timer(ev, p->kmcf->persist_interval);
}


void
ngx_http_omni_kpi_persist_now(ngx_cycle_t *cycle)
{
    ngx_http_omni_main_conf_t  *omcf;

    omcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_omni_module);

    if (omcf->kpi->persister) {
        ngx_http_omni_kpi_persist(omcf->kpi->persister);
    }
}


static void
ngx_http_omni_kpi_persist(ngx_http_omni_kpi_persister_t *p)
{
    if (p->busy) {
        /* write again as soon as the running write is done */
        p->again = 1;
        return;
    }

    p->now = ngx_time();
    p->again = 0;

#if (NGX_THREADS)

    if (p->kmcf->thread_pool) {
        p->busy = 1;

        if (ngx_thread_task_post(p->kmcf->thread_pool, p->task) == NGX_OK) {
            return;
        }

        p->busy = 0;

        /* the queue is full: try again at the next tick */
        return;
    }

#endif

    p->rc = omni_kpi_save(p->kmcf->table, (char *) p->kmcf->persist.data,
                          p->now);
    p->err = (p->rc == OMNI_ERROR) ? ngx_errno : 0;

    ngx_http_omni_kpi_persisted(p);
}


#if (NGX_THREADS)

/* runs in a thread of the pool: no nginx API here */

static void
ngx_http_omni_kpi_persist_thread(void *data, ngx_log_t *log)
{
    ngx_http_omni_kpi_persister_t  *p = data;

    p->rc = omni_kpi_save(p->kmcf->table, (char *) p->kmcf->persist.data,
                          p->now);
    p->err = (p->rc == OMNI_ERROR) ? ngx_errno : 0;
}


static void
ngx_http_omni_kpi_persist_done(ngx_event_t *ev)
{
    ngx_http_omni_kpi_persister_t  *p = ev->data;

    p->busy = 0;

    ngx_http_omni_kpi_persisted(p);

    if (p->again && !ngx_exiting) {
        ngx_http_omni_kpi_persist(p);
    }
}

#endif


/* a failure is logged when it starts and when it ends, not every tick */

static void
ngx_http_omni_kpi_persisted(ngx_http_omni_kpi_persister_t *p)
{
    if (p->rc == OMNI_OK) {
        omni_kpi_set_persisted(p->kmcf->table, p->now);
        omni_kpi_op(p->kmcf->table, OMNI_KPI_OP_PERSIST_WRITES, 1);

        if (p->failing) {
            p->failing = 0;
            ngx_log_error(NGX_LOG_NOTICE, p->log, 0,
                          "omni_zone snapshot \"%V\" written again",
                          &p->kmcf->persist);
        }

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, p->log, 0,
                       "omni kpi snapshot written to \"%V\"",
                       &p->kmcf->persist);
        return;
    }

    omni_kpi_op(p->kmcf->table, OMNI_KPI_OP_PERSIST_ERRORS, 1);

    if (p->failing) {
        return;
    }

    p->failing = 1;

    ngx_log_error(NGX_LOG_ALERT, p->log, p->err,
                  "omni_zone snapshot \"%V\" not written: %s",
                  &p->kmcf->persist, omni_strerror(p->rc));
}


/*
 * The master writes the last snapshot once every worker has exited, so
 * that nothing counted before a stop is lost.
 */

void
ngx_http_omni_kpi_exit_master(ngx_cycle_t *cycle)
{
    int                             rc;
    ngx_err_t                       err;
    ngx_http_omni_main_conf_t      *omcf;
    ngx_http_omni_kpi_main_conf_t  *kmcf;

    if (cycle->conf_ctx == NULL
        || cycle->conf_ctx[ngx_http_module.index] == NULL)
    {
        return;
    }

    omcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_omni_module);
    kmcf = omcf->kpi;

    if (kmcf->table == NULL || kmcf->persist.len == 0) {
        return;
    }

    rc = omni_kpi_save(kmcf->table, (char *) kmcf->persist.data,
                       ngx_time());

    if (rc != OMNI_OK) {
        err = (rc == OMNI_ERROR) ? ngx_errno : 0;
        ngx_log_error(NGX_LOG_ALERT, cycle->log, err,
                      "omni_zone snapshot \"%V\" not written: %s",
                      &kmcf->persist, omni_strerror(rc));
    }
}
