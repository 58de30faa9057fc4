
/*
 * ngx_http_omni_module: directives, configuration and module tables.
 */


#include "ngx_http_omni_module.h"


#define NGX_HTTP_OMNI_COOKIE_MAX_AGE  (365 * 24 * 60 * 60)


static void *ngx_http_omni_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_omni_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_omni_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_omni_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_omni_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_omni_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_omni_init_process(ngx_cycle_t *cycle);
static void ngx_http_omni_exit_master(ngx_cycle_t *cycle);

static char *ngx_http_omni_secret(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static void ngx_http_omni_cleanup_signer(void *data);
static char *ngx_http_omni_cookie(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_omni_consent(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_omni_valid_token(ngx_str_t *s);

static void ngx_http_omni_exit_process(ngx_cycle_t *cycle);


static ngx_conf_enum_t  ngx_http_omni_offer_fallbacks[] = {
    { ngx_string("body_start"), NGX_HTTP_OMNI_FALLBACK_BODY_START },
    { ngx_string("body_end"), NGX_HTTP_OMNI_FALLBACK_BODY_END },
    { ngx_string("none"), NGX_HTTP_OMNI_FALLBACK_NONE },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_omni_commands[] = {

    { ngx_string("omni"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_omni_loc_conf_t, enable),
      NULL },

    { ngx_string("omni_secret"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_omni_secret,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("omni_cookie"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_omni_cookie,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("omni_consent"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_omni_consent,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("omni_rewrite"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_omni_loc_conf_t, rewrite),
      NULL },

    { ngx_string("omni_types"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_types_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_omni_loc_conf_t, types_keys),
      &ngx_http_html_default_types[0] },

    { ngx_string("omni_offer_fallback"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_omni_loc_conf_t, offer_fallback),
      &ngx_http_omni_offer_fallbacks },

    { ngx_string("omni_slot_lookahead"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_omni_loc_conf_t, lookahead),
      NULL },

    { ngx_string("omni_gunzip"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_omni_loc_conf_t, gunzip),
      NULL },

    { ngx_string("omni_sendfile_min_length"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_omni_sendfile_min,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_omni_loc_conf_t, sendfile_min),
      NULL },

    { ngx_string("omni_campaigns"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_http_omni_campaigns,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("omni_store"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_omni_store_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("omni_store_check"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_omni_main_conf_t, store_check),
      NULL },

    { ngx_string("omni_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_http_omni_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("omni_attribution_window"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_omni_attribution_window,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("omni_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_omni_status,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("omni_brand"),
      NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_omni_brand,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("omni_status_reset_token"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_omni_status_reset_token,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("omni_dashboard"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_http_omni_dashboard,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("omni_count"),
      NGX_HTTP_LOC_CONF|NGX_HTTP_LIF_CONF|NGX_CONF_1MORE,
      ngx_http_omni_count,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("omni_track"),
      NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_omni_track_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("omni_beacon"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_omni_beacon_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("omni_flush_interval"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_omni_main_conf_t, track.flush_interval),
      NULL },

    { ngx_string("omni_sync_interval"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_omni_main_conf_t, track.sync_interval),
      NULL },

    { ngx_string("omni_visit_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_omni_main_conf_t, track.visit_timeout),
      NULL },

    { ngx_string("omni_abandon_after"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_omni_main_conf_t, track.abandon_after),
      NULL },

    { ngx_string("omni_queue_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_omni_main_conf_t, track.queue_size),
      NULL },

    { ngx_string("omni_thread_pool"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_omni_thread_pool,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("omni_channel_referrer"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_http_omni_channel_referrer,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("omni_click"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_omni_click_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("omni_click_allow"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_omni_click_allow,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_omni_module_ctx = {
    ngx_http_omni_preconfiguration,        /* preconfiguration */
    ngx_http_omni_init,                    /* postconfiguration */

    ngx_http_omni_create_main_conf,        /* create main configuration */
    ngx_http_omni_init_main_conf,          /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_omni_create_loc_conf,         /* create location configuration */
    ngx_http_omni_merge_loc_conf           /* merge location configuration */
};


ngx_module_t  ngx_http_omni_module = {
    NGX_MODULE_V1,
    &ngx_http_omni_module_ctx,             /* module context */
    ngx_http_omni_commands,                /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_omni_init_process,            /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_omni_exit_process,            /* exit process */
    ngx_http_omni_exit_master,             /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_http_omni_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_omni_main_conf_t  *omcf;

    omcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_omni_main_conf_t));
    if (omcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     omcf->store_dir = { 0, NULL };
     *     omcf->store = NULL;
     *     omcf->tracking = 0;
     */

    omcf->kpi = ngx_http_omni_kpi_create_main_conf(cf);
    if (omcf->kpi == NULL) {
        return NULL;
    }

    omcf->store_map_size = NGX_CONF_UNSET_SIZE;
    omcf->store_check = NGX_CONF_UNSET_MSEC;

    ngx_http_omni_track_create_main_conf(omcf);

    return omcf;
}


static char *
ngx_http_omni_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_omni_main_conf_t *omcf = conf;

    if (ngx_http_omni_store_init_main_conf(cf, omcf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_omni_track_init_main_conf(cf, omcf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    return ngx_http_omni_kpi_init_main_conf(cf, omcf->kpi);
}


static void *
ngx_http_omni_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_omni_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_omni_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->cookie_name = { 0, NULL };
     *     conf->cookie_attrs = { 0, NULL };
     *     conf->consent_cookie = { 0, NULL };
     *     conf->consent_value = { 0, NULL };
     */

    conf->enable = NGX_CONF_UNSET;
    conf->signer = NGX_CONF_UNSET_PTR;
    conf->cookie_secure = NGX_CONF_UNSET;
    conf->consent_required = NGX_CONF_UNSET;
    conf->consent_gpc = NGX_CONF_UNSET;
    conf->consent_dnt = NGX_CONF_UNSET;
    conf->click_allow = NGX_CONF_UNSET_PTR;

    ngx_http_omni_track_create_loc_conf(conf);

    ngx_http_omni_rewrite_create_conf(conf);

    return conf;
}


static char *
ngx_http_omni_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_omni_loc_conf_t *prev = parent;
    ngx_http_omni_loc_conf_t *conf = child;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_ptr_value(conf->signer, prev->signer, NULL);
    ngx_conf_merge_ptr_value(conf->click_allow, prev->click_allow, NULL);

    /* the cookie and the consent rule are inherited as a whole */

    if (conf->cookie_name.data == NULL) {
        conf->cookie_name = prev->cookie_name;
        conf->cookie_attrs = prev->cookie_attrs;
        conf->cookie_secure = prev->cookie_secure;
    }

    if (conf->cookie_name.data == NULL) {
        ngx_str_set(&conf->cookie_name, "omni");
        conf->cookie_attrs.len = sizeof("; Path=/; Max-Age=; HttpOnly"
                                        "; SameSite=Lax")
                                 - 1 + NGX_TIME_T_LEN;
        conf->cookie_attrs.data = ngx_pnalloc(cf->pool,
                                              conf->cookie_attrs.len);
        if (conf->cookie_attrs.data == NULL) {
            return NGX_CONF_ERROR;
        }

        conf->cookie_attrs.len = ngx_sprintf(conf->cookie_attrs.data,
                                     "; Path=/; Max-Age=%T; HttpOnly"
                                     "; SameSite=Lax",
                                     (time_t) NGX_HTTP_OMNI_COOKIE_MAX_AGE)
                                 - conf->cookie_attrs.data;
        conf->cookie_secure = 0;
    }

    if (conf->consent_required == NGX_CONF_UNSET) {
        conf->consent_required = prev->consent_required;
        conf->consent_cookie = prev->consent_cookie;
        conf->consent_value = prev->consent_value;
        conf->consent_gpc = prev->consent_gpc;
        conf->consent_dnt = prev->consent_dnt;
    }

    if (conf->consent_required == NGX_CONF_UNSET) {
        conf->consent_required = 0;
        conf->consent_gpc = 1;
        conf->consent_dnt = 0;
    }

    if (conf->enable && conf->signer == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"omni\" is on but no \"omni_secret\" is set");
        return NGX_CONF_ERROR;
    }

    if (ngx_http_omni_kpi_merge_loc_conf(cf, &prev->kpi, &conf->kpi)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_omni_track_merge_loc_conf(cf, prev, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    return ngx_http_omni_rewrite_merge_conf(cf, prev, conf);
}


static ngx_int_t
ngx_http_omni_preconfiguration(ngx_conf_t *cf)
{
    if (ngx_http_omni_add_variables(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_omni_rewrite_add_variables(cf);
}


static ngx_int_t
ngx_http_omni_init(ngx_conf_t *cf)
{
    if (ngx_http_omni_kpi_postconfiguration(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    /* installed first, so that it runs after the filter below */
    if (ngx_http_omni_first_filter_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_omni_filter_init(cf);
}


/*
 * Per-worker resources are opened here, after fork(), and never in the
 * master: an LMDB environment must not be used across fork().  Helper
 * processes (cache manager and loader) do not serve requests.
 */

static ngx_int_t
ngx_http_omni_init_process(ngx_cycle_t *cycle)
{
    if (ngx_http_omni_kpi_init_process(cycle) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    if (ngx_http_cycle_get_module_main_conf(cycle, ngx_http_omni_module)
        == NULL)
    {
        return NGX_OK;
    }

    if (ngx_http_omni_store_init_process(cycle) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_omni_flush_init_process(cycle);
}


static void
ngx_http_omni_exit_master(ngx_cycle_t *cycle)
{
    ngx_http_omni_kpi_exit_master(cycle);
}


/*
 * omni_secret FILE: the key that signs visitor cookies.  The file is read
 * once, here, so that a key that is missing or too short fails "nginx -t".
 * Trailing white space is not part of the key, so that a file written by
 * an editor and one written by "omnictl gen-secret" behave the same.
 */

static char *
ngx_http_omni_secret(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_omni_loc_conf_t *olcf = conf;

    u_char              *buf;
    size_t               len;
    ssize_t              n;
    ngx_fd_t             fd;
    ngx_str_t           *value, name;
    ngx_file_info_t      fi;
    ngx_pool_cleanup_t  *cln;

    if (olcf->signer != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;
    name = value[1];

    if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    fd = ngx_open_file(name.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "cannot open omni_secret file \"%V\"", &name);
        return NGX_CONF_ERROR;
    }

    buf = NULL;
    n = -1;

    if (ngx_fd_info(fd, &fi) != NGX_FILE_ERROR
        && ngx_file_size(&fi) <= 4096)
    {
        len = (size_t) ngx_file_size(&fi);
        buf = ngx_pnalloc(cf->temp_pool, len + 1);

        if (buf != NULL) {
            n = ngx_read_fd(fd, buf, len);
        }
    }

    ngx_close_file(fd);

    if (buf == NULL || n < 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "cannot read omni_secret file \"%V\" "
                           "(it must be a regular file of at most 4096 bytes)",
                           &name);
        return NGX_CONF_ERROR;
    }

    len = n;

    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'
                   || buf[len - 1] == ' ' || buf[len - 1] == '\t'))
    {
        len--;
    }

    if (len < OMNI_SECRET_MIN) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "omni_secret file \"%V\" holds %uz bytes, "
                           "at least %d are needed "
                           "(create one with \"omnictl gen-secret %V\")",
                           &name, len, OMNI_SECRET_MIN, &name);
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    olcf->signer = omni_signer_new(buf, len);

    ngx_explicit_memzero(buf, len);

    if (olcf->signer == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_omni_cleanup_signer;
    cln->data = olcf->signer;

    return NGX_CONF_OK;
}


static void
ngx_http_omni_cleanup_signer(void *data)
{
    omni_signer_free(data);
}


/*
 * omni_cookie NAME [max_age=TIME] [domain=DOMAIN] [samesite=lax|strict|none]
 *
 * The attributes are rendered once, here; only "Secure" depends on the
 * request and is added when it came over https.
 */

static char *
ngx_http_omni_cookie(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_omni_loc_conf_t *olcf = conf;

    u_char      *p;
    time_t       max_age;
    ngx_str_t   *value, domain, s;
    ngx_uint_t   i, samesite;

    static const char  *samesite_names[] = { "Lax", "Strict", "None" };

    if (olcf->cookie_name.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_http_omni_valid_token(&value[1]) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid cookie name \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    max_age = NGX_HTTP_OMNI_COOKIE_MAX_AGE;
    ngx_str_null(&domain);
    samesite = NGX_HTTP_OMNI_SAMESITE_LAX;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "max_age=", 8) == 0) {
            s.data = value[i].data + 8;
            s.len = value[i].len - 8;

            max_age = ngx_parse_time(&s, 1);
            if (max_age == (time_t) NGX_ERROR || max_age == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "domain=", 7) == 0) {
            domain.data = value[i].data + 7;
            domain.len = value[i].len - 7;

            if (domain.len == 0
                || ngx_strlchr(domain.data, domain.data + domain.len, ';')
                || ngx_strlchr(domain.data, domain.data + domain.len, ' '))
            {
                goto invalid;
            }

            continue;
        }

        if (ngx_strcmp(value[i].data, "samesite=lax") == 0) {
            samesite = NGX_HTTP_OMNI_SAMESITE_LAX;
            continue;
        }

        if (ngx_strcmp(value[i].data, "samesite=strict") == 0) {
            samesite = NGX_HTTP_OMNI_SAMESITE_STRICT;
            continue;
        }

        if (ngx_strcmp(value[i].data, "samesite=none") == 0) {
            samesite = NGX_HTTP_OMNI_SAMESITE_NONE;
            continue;
        }

        goto invalid;
    }

    olcf->cookie_name = value[1];

    p = ngx_pnalloc(cf->pool, sizeof("; Path=/; Max-Age=; Domain=; HttpOnly"
                                     "; SameSite=Strict")
                              - 1 + NGX_TIME_T_LEN + domain.len);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    olcf->cookie_attrs.data = p;

    p = ngx_sprintf(p, "; Path=/; Max-Age=%T", max_age);

    if (domain.len) {
        p = ngx_sprintf(p, "; Domain=%V", &domain);
    }

    p = ngx_sprintf(p, "; HttpOnly; SameSite=%s", samesite_names[samesite]);

    olcf->cookie_attrs.len = p - olcf->cookie_attrs.data;

    /* browsers drop SameSite=None cookies that are not Secure */
    olcf->cookie_secure = (samesite == NGX_HTTP_OMNI_SAMESITE_NONE);

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\"", &value[i]);

    return NGX_CONF_ERROR;
}


/*
 * omni_consent cookie=NAME[:VALUE] [gpc=on|off] [dnt=on|off]
 *
 * Consent is granted by the cookie NAME, or, with VALUE, by a cookie whose
 * value lists VALUE among its comma, space, pipe or plus separated words.
 * Sec-GPC: 1 withdraws it unless gpc=off; DNT: 1 withdraws it with dnt=on.
 */

static char *
ngx_http_omni_consent(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_omni_loc_conf_t *olcf = conf;

    u_char      *colon;
    ngx_str_t   *value, name;
    ngx_uint_t   i;

    if (olcf->consent_required != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    olcf->consent_required = 1;
    olcf->consent_gpc = 1;
    olcf->consent_dnt = 0;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "cookie=", 7) == 0) {
            name.data = value[i].data + 7;
            name.len = value[i].len - 7;

            colon = ngx_strlchr(name.data, name.data + name.len, ':');

            if (colon) {
                olcf->consent_value.data = colon + 1;
                olcf->consent_value.len = name.data + name.len - colon - 1;
                name.len = colon - name.data;

                if (olcf->consent_value.len == 0) {
                    goto invalid;
                }
            }

            if (ngx_http_omni_valid_token(&name) != NGX_OK) {
                goto invalid;
            }

            olcf->consent_cookie = name;
            continue;
        }

        if (ngx_strcmp(value[i].data, "gpc=on") == 0) {
            olcf->consent_gpc = 1;
            continue;
        }

        if (ngx_strcmp(value[i].data, "gpc=off") == 0) {
            olcf->consent_gpc = 0;
            continue;
        }

        if (ngx_strcmp(value[i].data, "dnt=on") == 0) {
            olcf->consent_dnt = 1;
            continue;
        }

        if (ngx_strcmp(value[i].data, "dnt=off") == 0) {
            olcf->consent_dnt = 0;
            continue;
        }

        goto invalid;
    }

    if (olcf->consent_cookie.data == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"omni_consent\" needs a \"cookie=NAME\" parameter");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\"", &value[i]);

    return NGX_CONF_ERROR;
}


/* RFC 6265 cookie-name: an RFC 7230 token */

static ngx_int_t
ngx_http_omni_valid_token(ngx_str_t *s)
{
    u_char      c;
    ngx_uint_t  i;

    if (s->len == 0) {
        return NGX_ERROR;
    }

    for (i = 0; i < s->len; i++) {
        c = s->data[i];

        if (c <= 0x20 || c >= 0x7f
            || ngx_strlchr((u_char *) "()<>@,;:\\\"/[]?={}",
                           (u_char *) "()<>@,;:\\\"/[]?={}" + 17, c))
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static void
ngx_http_omni_exit_process(ngx_cycle_t *cycle)
{
    if (ngx_http_cycle_get_module_main_conf(cycle, ngx_http_omni_module)
        == NULL)
    {
        return;
    }

    /* queued events go to the store before it closes */
    ngx_http_omni_flush_exit_process(cycle);

    ngx_http_omni_store_exit_process(cycle);
}
