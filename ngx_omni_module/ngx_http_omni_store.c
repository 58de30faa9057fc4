
/*
 * The profile store in nginx: the omni_store directives, the per-worker
 * environments, the lookup a request makes at most once, and the
 * $omni_customer and $omni_profile_* variables.
 */


#include "ngx_http_omni_module.h"
#include "ngx_http_omni_kpi.h"


#define NGX_HTTP_OMNI_STORE_CHECK      10000
#define NGX_HTTP_OMNI_STORE_LOG_EVERY  10
#define NGX_HTTP_OMNI_PROFILE_PREFIX   "omni_profile_"


static void ngx_http_omni_store_cleanup(void *data);
static void ngx_http_omni_store_timer(ngx_event_t *ev);
static void ngx_http_omni_store_count_miss(int rc);
static void *ngx_http_omni_store_alloc(void *data, size_t size);
static void ngx_http_omni_store_log(ngx_http_omni_main_conf_t *omcf,
    omni_store_env_e env, int rc);
static ngx_int_t ngx_http_omni_join(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, omni_str_t *items, size_t n);


/*
 * omni_store DIR [map_size=SIZE]
 *
 * Only checked here: the environments are opened by each worker.
 */

char *
ngx_http_omni_store_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_omni_main_conf_t *omcf = conf;

    ssize_t           size;
    ngx_str_t        *value, s;
    ngx_uint_t        i;
    ngx_file_info_t   fi;

    if (omcf->store_dir.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    omcf->store_dir = value[1];

    if (ngx_conf_full_name(cf->cycle, &omcf->store_dir, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (omcf->store_dir.len + sizeof("/profiles/data.mdb") > 4000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "omni_store path \"%V\" is too long",
                           &omcf->store_dir);
        return NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "map_size=", 9) == 0) {
            s.data = value[i].data + 9;
            s.len = value[i].len - 9;

            size = ngx_parse_offset(&s);

            if (size == NGX_ERROR || size < 1024 * 1024) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid map_size \"%V\" (at least 1m)",
                                   &value[i]);
                return NGX_CONF_ERROR;
            }

            omcf->store_map_size = (size_t) size;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    /* a store that is not there yet is not an error: pages are served */
    if (ngx_file_info(omcf->store_dir.data, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, ngx_errno,
                           "omni_store directory \"%V\" is not there yet",
                           &omcf->store_dir);

    } else if (!ngx_is_dir(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "omni_store \"%V\" is not a directory",
                           &omcf->store_dir);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


char *
ngx_http_omni_store_init_main_conf(ngx_conf_t *cf,
    ngx_http_omni_main_conf_t *omcf)
{
    ngx_conf_init_size_value(omcf->store_map_size, 0);
    ngx_conf_init_msec_value(omcf->store_check, NGX_HTTP_OMNI_STORE_CHECK);

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_omni_store_init_process(ngx_cycle_t *cycle)
{
    ngx_event_t                *ev;
    ngx_pool_cleanup_t         *cln;
    omni_store_stat_t           st;
    omni_store_conf_t           conf;
    ngx_http_omni_main_conf_t  *omcf;

    omcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_omni_module);

    if (omcf->store_dir.len == 0) {
        return NGX_OK;
    }

    ngx_memzero(&conf, sizeof(omni_store_conf_t));
    conf.flags = OMNI_STORE_PROFILES|OMNI_STORE_ACTIVITY|OMNI_STORE_RANDOM;
    conf.map_size = omcf->store_map_size;

    if (omni_store_open(&omcf->store, (char *) omcf->store_dir.data, &conf)
        != OMNI_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                      "omni: cannot set up the store \"%V\", pages are "
                      "served without it", &omcf->store_dir);
        omcf->store = NULL;
        return NGX_OK;
    }

    /* one line per cause, not one per worker */

    if (ngx_worker != 0) {
        /* void */

    } else if (omni_store_ready(omcf->store, OMNI_STORE_ENV_PROFILES)) {
        (void) omni_store_stat(omcf->store, OMNI_STORE_ENV_PROFILES, &st);

        ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                      "omni: profiles store opened: %V/profiles/data.mdb, "
                      "%uL profiles", &omcf->store_dir,
                      (uint64_t) st.entries);

    } else {
        ngx_log_error(NGX_LOG_WARN, cycle->log, 0,
                      "omni: %s: pages are served without profiles until "
                      "one is installed",
                      omni_store_error(omcf->store, OMNI_STORE_ENV_PROFILES));
    }

    /*
     * The cycle's pool closes the store too: without a master process a
     * reload frees the old cycle without calling exit_process.
     */
    cln = ngx_pool_cleanup_add(cycle->pool, 0);
    if (cln == NULL) {
        omni_store_close(omcf->store);
        omcf->store = NULL;
        return NGX_ERROR;
    }

    cln->handler = ngx_http_omni_store_cleanup;
    cln->data = omcf;

    omcf->tracking = omni_store_ready(omcf->store, OMNI_STORE_ENV_ACTIVITY);

    if (!omcf->tracking && ngx_worker == 0) {
        ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                      "omni: tracking is disabled: %s",
                      omni_store_error(omcf->store, OMNI_STORE_ENV_ACTIVITY));
    }

    if (omcf->store_check == 0) {
        return NGX_OK;
    }

    ev = &omcf->store_event;

    ev->handler = ngx_http_omni_store_timer;
    ev->data = omcf;
    ev->log = cycle->log;
    ev->cancelable = 1;

    ngx_add_timer(ev, omcf->store_check);

    return NGX_OK;
}


void
ngx_http_omni_store_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_omni_store_cleanup(
        ngx_http_cycle_get_module_main_conf(cycle, ngx_http_omni_module));
}


static void
ngx_http_omni_store_cleanup(void *data)
{
    ngx_http_omni_main_conf_t  *omcf = data;

    if (omcf->store_event.timer_set) {
        ngx_del_timer(&omcf->store_event);
    }

    if (omcf->store == NULL) {
        return;
    }

    omni_store_close(omcf->store);
    omcf->store = NULL;
    omcf->tracking = 0;
}


/*
 * Between two requests no transaction is open, so a new profiles file is
 * swapped in here, on the event loop, without a lock.  The check is a
 * stat() per interval; nothing per request.
 */

static void
ngx_http_omni_store_timer(ngx_event_t *ev)
{
    int                         dead;
    omni_store_stat_t           st;
    omni_store_event_e          event;
    ngx_http_omni_main_conf_t  *omcf;

    omcf = ev->data;

    if (omcf->store == NULL || ngx_exiting || ngx_quit) {
        return;
    }

    (void) omni_store_check(omcf->store, &event);

    switch (event) {

    case OMNI_STORE_OPENED:
        ngx_http_omni_kpi_op(ngx_cycle, NGX_HTTP_OMNI_OP_SNAPSHOT_RELOADS);
        (void) omni_store_stat(omcf->store, OMNI_STORE_ENV_PROFILES, &st);

        ngx_log_error(NGX_LOG_NOTICE, ev->log, 0,
                      "omni: profiles store opened: %V/profiles/data.mdb, "
                      "%uL profiles", &omcf->store_dir,
                      (uint64_t) st.entries);
        break;

    case OMNI_STORE_REMOVED:
        ngx_log_error(NGX_LOG_WARN, ev->log, 0,
                      "omni: profiles store removed: pages are served "
                      "without profiles");
        break;

    case OMNI_STORE_REJECTED:
        ngx_log_error(NGX_LOG_ERR, ev->log, 0,
                      "omni: new profiles file not used, the open one "
                      "stays: %s",
                      omni_store_error(omcf->store, OMNI_STORE_ENV_PROFILES));
        break;

    default: /* OMNI_STORE_UNCHANGED */
        break;
    }

    /* tracking starts once its directory is usable, without a reload */
    if (!omcf->tracking
        && omni_store_retry_activity(omcf->store) == OMNI_OK)
    {
        omcf->tracking = 1;

        ngx_log_error(NGX_LOG_NOTICE, ev->log, 0,
                      "omni: activity store opened: %V/activity, tracking "
                      "is enabled", &omcf->store_dir);
    }

    /*
     * Pages read since the last check leave the worker's RSS (they stay
     * in the page cache): a worker serving from a 1 GB map holds what
     * it read in one interval, not all it ever read.
     */
    (void) omni_store_trim(omcf->store);

    if (omni_store_reader_check(omcf->store, &dead) == OMNI_OK && dead) {
        ngx_log_error(NGX_LOG_NOTICE, ev->log, 0,
                      "omni: freed %d reader slots of dead processes", dead);
    }

    ngx_add_timer(ev, omcf->store_check);
}


ngx_http_omni_ctx_t *
ngx_http_omni_lookup(ngx_http_request_t *r)
{
    int                         rc;
    omni_profile_t             *p;
    omni_activity_t            *a;
    ngx_http_omni_ctx_t        *ctx;
    ngx_http_omni_main_conf_t  *omcf;

    ctx = ngx_http_omni_identify(r);

    if (ctx == NULL || ctx->looked_up) {
        return ctx;
    }

    ctx->looked_up = 1;

    /* a visitor met just now has nothing stored, nor one without consent */
    if (!ctx->known || ctx->new_visitor) {
        return ctx;
    }

    omcf = ngx_http_get_module_main_conf(r, ngx_http_omni_module);

    if (omcf->store == NULL) {
        return ctx;
    }

    r = r->main;

    a = ngx_palloc(r->pool, sizeof(omni_activity_t));
    if (a == NULL) {
        return NULL;
    }

    rc = omni_store_get_activity(omcf->store, &ctx->id,
                                 ngx_http_omni_store_alloc, r->pool, a);

    ngx_http_omni_kpi_op(ngx_cycle, NGX_HTTP_OMNI_OP_LOOKUPS);

    /* not written yet: what the first response carried back, if anything */
    if (rc == OMNI_ENOTFOUND
        && ngx_http_omni_first_activity(r, ctx, a) == NGX_OK)
    {
        rc = OMNI_OK;
    }

    if (rc != OMNI_OK) {
        ngx_http_omni_store_count_miss(rc);

        if (rc != OMNI_ENOTFOUND && rc != OMNI_AGAIN) {
            ngx_http_omni_store_log(omcf, OMNI_STORE_ENV_ACTIVITY, rc);
        }

        return ctx;
    }

    ctx->activity = a;

    if (a->customer_id.len == 0) {
        return ctx;
    }

    p = ngx_palloc(r->pool, sizeof(omni_profile_t));
    if (p == NULL) {
        return NULL;
    }

    rc = omni_store_get_profile(omcf->store, a->customer_id.data,
                                a->customer_id.len, ngx_http_omni_store_alloc,
                                r->pool, p);

    ngx_http_omni_kpi_op(ngx_cycle, NGX_HTTP_OMNI_OP_LOOKUPS);

    if (rc != OMNI_OK) {
        ngx_http_omni_store_count_miss(rc);

        if (rc != OMNI_ENOTFOUND) {
            ngx_http_omni_store_log(omcf, OMNI_STORE_ENV_PROFILES, rc);
        }

        return ctx;
    }

    ctx->profile = p;

    return ctx;
}


static void *
ngx_http_omni_store_alloc(void *data, size_t size)
{
    return ngx_pnalloc(data, size);
}


/*
 * A record that cannot be read makes the request go without it.  The
 * line says which kind and why, never whose: no id, and the cycle's log
 * rather than the request's, which would add the client's address.  At
 * most one line per interval and worker.
 */

static void
ngx_http_omni_store_log(ngx_http_omni_main_conf_t *omcf,
    omni_store_env_e env, int rc)
{
    time_t  now;

    now = ngx_time();

    if (now - omcf->store_logged < NGX_HTTP_OMNI_STORE_LOG_EVERY) {
        omcf->store_suppressed++;
        return;
    }

    ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                  "omni: %s record not used (%s%s%s), the request goes "
                  "without it; %ui more in the last %d s",
                  env == OMNI_STORE_ENV_PROFILES ? "profile" : "activity",
                  omni_strerror(rc), rc == OMNI_ERROR ? ": " : "",
                  rc == OMNI_ERROR ? omni_store_error(omcf->store, env) : "",
                  omcf->store_suppressed, NGX_HTTP_OMNI_STORE_LOG_EVERY);

    omcf->store_logged = now;
    omcf->store_suppressed = 0;
}


ngx_int_t
ngx_http_omni_customer_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_omni_ctx_t       *ctx;
    ngx_http_omni_loc_conf_t  *olcf;

    olcf = ngx_http_get_module_loc_conf(r->main, ngx_http_omni_module);

    if (!olcf->enable) {
        v->not_found = 1;
        return NGX_OK;
    }

    ctx = ngx_http_omni_lookup(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    if (ctx->activity == NULL) {
        v->len = 0;
        v->data = (u_char *) "";
        return NGX_OK;
    }

    v->len = ctx->activity->customer_id.len;
    v->data = (u_char *) ctx->activity->customer_id.data;

    return NGX_OK;
}


/*
 * $omni_profile_<field>: first_name, locale, tier, points, customer_id,
 * tags (comma-separated), consent (comma-separated), updated, or any
 * attribute by name (nginx lowercases variable names, so attribute names
 * are matched without regard to case).
 */

ngx_int_t
ngx_http_omni_profile_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t *name = (ngx_str_t *) data;

    u_char                    *f;
    size_t                     i, len, n;
    uint32_t                   flag;
    omni_str_t                 items[8];
    omni_profile_t            *p;
    ngx_http_omni_ctx_t       *ctx;
    ngx_http_omni_loc_conf_t  *olcf;

    olcf = ngx_http_get_module_loc_conf(r->main, ngx_http_omni_module);

    if (!olcf->enable) {
        goto not_found;
    }

    ctx = ngx_http_omni_lookup(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    p = ctx->profile;

    if (p == NULL) {
        goto not_found;
    }

    f = name->data + sizeof(NGX_HTTP_OMNI_PROFILE_PREFIX) - 1;
    len = name->len - (sizeof(NGX_HTTP_OMNI_PROFILE_PREFIX) - 1);

    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

#define ngx_http_omni_field(s)                                               \
    (len == sizeof(s) - 1 && ngx_strncmp(f, s, sizeof(s) - 1) == 0)

    if (ngx_http_omni_field("first_name")) {
        v->data = (u_char *) p->first_name.data;
        v->len = p->first_name.len;
        return NGX_OK;
    }

    if (ngx_http_omni_field("tier")) {
        v->data = (u_char *) p->tier.data;
        v->len = p->tier.len;
        return NGX_OK;
    }

    if (ngx_http_omni_field("locale")) {
        v->data = (u_char *) p->locale.data;
        v->len = p->locale.len;
        return NGX_OK;
    }

    if (ngx_http_omni_field("customer_id")) {
        v->data = (u_char *) p->customer_id.data;
        v->len = p->customer_id.len;
        return NGX_OK;
    }

    if (ngx_http_omni_field("points") || ngx_http_omni_field("updated")) {
        v->data = ngx_pnalloc(r->pool, NGX_INT64_LEN);
        if (v->data == NULL) {
            return NGX_ERROR;
        }

        v->len = ngx_sprintf(v->data, "%L",
                             f[0] == 'p' ? p->points : p->updated)
                 - v->data;
        return NGX_OK;
    }

    if (ngx_http_omni_field("tags")) {
        return ngx_http_omni_join(r, v, p->tags, p->ntags);
    }

    if (ngx_http_omni_field("consent")) {
        n = 0;

        for (flag = 1; flag & OMNI_CONSENT_ALL; flag <<= 1) {
            if (p->consent & flag) {
                items[n].data = omni_consent_name(flag);
                items[n].len = ngx_strlen(items[n].data);
                n++;
            }
        }

        return ngx_http_omni_join(r, v, items, n);
    }

#undef ngx_http_omni_field

    for (i = 0; i < p->nattrs; i++) {
        if (p->attrs[i].key.len == len
            && ngx_strncasecmp((u_char *) p->attrs[i].key.data, f, len) == 0)
        {
            v->data = (u_char *) p->attrs[i].value.data;
            v->len = p->attrs[i].value.len;
            return NGX_OK;
        }
    }

not_found:

    v->not_found = 1;

    return NGX_OK;
}


static ngx_int_t
ngx_http_omni_join(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    omni_str_t *items, size_t n)
{
    u_char  *p;
    size_t   i, len;

    len = 0;

    for (i = 0; i < n; i++) {
        len += items[i].len + 1;
    }

    if (len == 0) {
        v->len = 0;
        v->data = (u_char *) "";
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    v->data = p;

    for (i = 0; i < n; i++) {
        if (i) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, items[i].data, items[i].len);
    }

    v->len = p - v->data;

    return NGX_OK;
}


/* a record that is not there is a miss; one that does not decode, more */

static void
ngx_http_omni_store_count_miss(int rc)
{
    ngx_http_omni_kpi_op(ngx_cycle, NGX_HTTP_OMNI_OP_STORE_MISSES);

    if (rc == OMNI_EINVAL || rc == OMNI_EVERSION || rc == OMNI_ETOOBIG) {
        ngx_http_omni_kpi_op(ngx_cycle, NGX_HTTP_OMNI_OP_DECODE_ERRORS);
    }
}
