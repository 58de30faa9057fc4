
/*
 * The campaigns file in nginx: "omni_campaigns" loads and checks it at
 * configuration time, "omni_brand" picks a brand, the decision is made
 * once per request when something first needs it (the rewriter, or a
 * variable), and the prepare step turns brand, tags and offer into the
 * markup the rewriter inserts.
 */


#include "ngx_http_omni_rewrite.h"

#include <omni/decide.h>
#include <omni/csp.h>


#define NGX_HTTP_OMNI_LOOKAHEAD    16384

/*
 * Measured (README): a 30 KB page cut into sendfile and writev pieces
 * costs more than reading it and one writev; from about 100 KB on the
 * copies cost more than the pieces.
 */
#define NGX_HTTP_OMNI_SENDFILE_MIN  (128 * 1024)
#define NGX_HTTP_OMNI_RENDER_SIZE  2048


struct ngx_http_omni_campaigns_s {
    omni_campaigns_t         *cs;
    ngx_str_t                 file;
    ngx_int_t                *vars;       /* variable indexes */
    ngx_uint_t                nvars;
    ngx_int_t                 channel;    /* $omni_channel's index */
    omni_decide_conf_t        conf;
};


struct ngx_http_omni_decision_s {
    omni_facts_t              facts;
    omni_decision_t           d;
    ngx_http_omni_campaigns_t  *campaigns;
};


static void ngx_http_omni_campaigns_report(void *data,
    const omni_campaigns_error_t *err);
static void ngx_http_omni_campaigns_cleanup(void *data);
static ngx_http_omni_decision_t *ngx_http_omni_decide(ngx_http_request_t *r,
    ngx_http_omni_ctx_t *ctx);
static omni_device_e ngx_http_omni_device(ngx_str_t *ua);
static ngx_int_t ngx_http_omni_render_offer(ngx_http_request_t *r,
    ngx_http_omni_decision_t *dc, const omni_brand_t *brand, ngx_str_t *out);
static ngx_int_t ngx_http_omni_render_tags(ngx_http_request_t *r,
    ngx_http_omni_ctx_t *ctx, ngx_http_omni_decision_t *dc, ngx_str_t *out);
static ngx_int_t ngx_http_omni_with_nonces(ngx_http_request_t *r,
    ngx_str_t *s, ngx_str_t *script, ngx_str_t *style);
static ngx_int_t ngx_http_omni_decision_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_omni_segments(ngx_http_request_t *r,
    ngx_http_omni_decision_t *dc, omni_str_t *s);
static ngx_int_t ngx_http_omni_rewrite_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


/* segments an impression is counted for, at most */
#define NGX_HTTP_OMNI_KPI_SEGMENTS  16

#define NGX_HTTP_OMNI_VAR_OFFER     0
#define NGX_HTTP_OMNI_VAR_VARIANT   1
#define NGX_HTTP_OMNI_VAR_STAGE     2
#define NGX_HTTP_OMNI_VAR_SEGMENTS  3


static ngx_http_variable_t  ngx_http_omni_rewrite_vars[] = {

    { ngx_string("omni_offer"), NULL, ngx_http_omni_decision_variable,
      NGX_HTTP_OMNI_VAR_OFFER, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("omni_variant"), NULL, ngx_http_omni_decision_variable,
      NGX_HTTP_OMNI_VAR_VARIANT, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("omni_stage"), NULL, ngx_http_omni_decision_variable,
      NGX_HTTP_OMNI_VAR_STAGE, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("omni_segments"), NULL, ngx_http_omni_decision_variable,
      NGX_HTTP_OMNI_VAR_SEGMENTS, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("omni_rewrite"), NULL, ngx_http_omni_rewrite_variable,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_str_t  ngx_http_omni_rewrite_names[] = {
    ngx_null_string,
    ngx_string("skipped"),
    ngx_string("encoded"),
    ngx_string("empty"),
    ngx_string("unchanged"),
    ngx_string("rewritten"),
    ngx_string("failed")
};


static ngx_str_t  ngx_http_omni_sec_gpc = ngx_string("Sec-GPC");


/*
 * The device class of recent User-Agents, per worker: a handful of
 * browsers send most requests, and classifying one takes thousands of
 * instructions (every marker searched for in the whole header).  A
 * direct-mapped table of a pure function's results, so a collision costs
 * only a recomputation.
 */

#define NGX_HTTP_OMNI_UA_CACHE  256

typedef struct {
    uint64_t                  hash;
    uint32_t                  len;
    uint32_t                  device;
} ngx_http_omni_ua_t;

static ngx_http_omni_ua_t  ngx_http_omni_ua_cache[NGX_HTTP_OMNI_UA_CACHE];


void
ngx_http_omni_rewrite_create_conf(ngx_http_omni_loc_conf_t *conf)
{
    /*
     * set by ngx_pcalloc():
     *
     *     conf->types = { NULL };
     *     conf->types_keys = NULL;
     *     conf->brand_name = { 0, NULL };
     *     conf->brand = NULL;
     */

    conf->rewrite = NGX_CONF_UNSET;
    conf->offer_fallback = NGX_CONF_UNSET_UINT;
    conf->gunzip = NGX_CONF_UNSET;
    conf->lookahead = NGX_CONF_UNSET_SIZE;
    conf->sendfile_min = NGX_CONF_UNSET;
    conf->campaigns = NGX_CONF_UNSET_PTR;
}


char *
ngx_http_omni_rewrite_merge_conf(ngx_conf_t *cf,
    ngx_http_omni_loc_conf_t *prev, ngx_http_omni_loc_conf_t *conf)
{
    ngx_http_omni_main_conf_t  *omcf;

    ngx_conf_merge_value(conf->rewrite, prev->rewrite, 1);
    ngx_conf_merge_uint_value(conf->offer_fallback, prev->offer_fallback,
                              NGX_HTTP_OMNI_FALLBACK_BODY_START);
    ngx_conf_merge_value(conf->gunzip, prev->gunzip, 1);
    ngx_conf_merge_size_value(conf->lookahead, prev->lookahead,
                              NGX_HTTP_OMNI_LOOKAHEAD);
    ngx_conf_merge_off_value(conf->sendfile_min, prev->sendfile_min,
                             NGX_HTTP_OMNI_SENDFILE_MIN);
    ngx_conf_merge_ptr_value(conf->campaigns, prev->campaigns, NULL);

    if (conf->campaigns != NULL) {
        /*
         * The decision sees the same visits and abandoned carts as
         * tracking: http-level settings, initialized before any merge.
         */
        omcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_omni_module);

        conf->campaigns->conf.abandon_after = omcf->track.abandon_after;
        conf->campaigns->conf.visit_timeout = omcf->track.visit_timeout;
    }

    if (ngx_http_merge_types(cf, &conf->types_keys, &conf->types,
                             &prev->types_keys, &prev->types,
                             ngx_http_html_default_types)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (conf->brand_name.data == NULL) {
        conf->brand_name = prev->brand_name;
        conf->brand_file = prev->brand_file;
        conf->brand_line = prev->brand_line;
    }

    /* the brand named here, else the campaigns file's default one */

    conf->brand = NULL;

    if (conf->brand_name.len == 3
        && ngx_strncmp(conf->brand_name.data, "off", 3) == 0)
    {
        return NGX_CONF_OK;
    }

    if (conf->campaigns == NULL) {

        if (conf->brand_name.data) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"omni_brand\" needs \"omni_campaigns\" "
                          "in %s:%ui", conf->brand_file, conf->brand_line);
            return NGX_CONF_ERROR;
        }

        return NGX_CONF_OK;
    }

    if (conf->brand_name.data == NULL) {
        conf->brand = omni_campaigns_default_brand(conf->campaigns->cs);
        return NGX_CONF_OK;
    }

    conf->brand = omni_campaigns_brand_by_name(conf->campaigns->cs,
                                               (char *) conf->brand_name.data,
                                               conf->brand_name.len);

    if (conf->brand == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "unknown brand \"%V\", \"%V\" has no such brand, "
                      "in %s:%ui", &conf->brand_name,
                      &conf->campaigns->file, conf->brand_file,
                      conf->brand_line);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_omni_rewrite_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_omni_rewrite_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


/*
 * omni_campaigns FILE: read, parsed and checked here, so that any error
 * in it fails "nginx -t" with its line and column.
 */

char *
ngx_http_omni_campaigns(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_omni_loc_conf_t *olcf = conf;

    u_char                     *json, *file;
    size_t                      len;
    ssize_t                     n;
    ngx_fd_t                    fd;
    ngx_str_t                  *value, name;
    ngx_uint_t                  i;
    omni_str_t                  var;
    ngx_file_info_t             fi;
    ngx_pool_cleanup_t         *cln;
    omni_campaigns_error_t      err;
    ngx_http_omni_campaigns_t  *cmp;

    if (olcf->campaigns != NGX_CONF_UNSET_PTR) {
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
                           "cannot open campaigns file \"%V\"", &name);
        return NGX_CONF_ERROR;
    }

    json = NULL;
    n = -1;
    len = 0;

    if (ngx_fd_info(fd, &fi) != NGX_FILE_ERROR
        && ngx_file_size(&fi) <= OMNI_CAMPAIGNS_FILE_MAX)
    {
        len = (size_t) ngx_file_size(&fi);
        json = ngx_pnalloc(cf->temp_pool, len + 1);

        if (json != NULL) {
            n = ngx_read_fd(fd, json, len);
        }
    }

    ngx_close_file(fd);

    if (json == NULL || n != (ssize_t) len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "cannot read campaigns file \"%V\" (it must be a "
                           "regular file of at most %d bytes)",
                           &name, OMNI_CAMPAIGNS_FILE_MAX);
        return NGX_CONF_ERROR;
    }

    cmp = ngx_pcalloc(cf->pool, sizeof(ngx_http_omni_campaigns_t));
    if (cmp == NULL) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    cmp->file = name;
    file = name.data;

    if (omni_campaigns_load((char *) json, len, (char *) file,
                            ngx_http_omni_campaigns_report, cf, &cmp->cs,
                            &err)
        != OMNI_OK)
    {
        /* each error was reported already */
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid campaigns file \"%V\"", &name);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_omni_campaigns_cleanup;
    cln->data = cmp->cs;

    omni_decide_conf_init(&cmp->conf);

    /* the variables its rules and templates read, resolved once */

    cmp->nvars = omni_campaigns_nvars(cmp->cs);

    if (cmp->nvars) {
        cmp->vars = ngx_palloc(cf->pool, cmp->nvars * sizeof(ngx_int_t));
        if (cmp->vars == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    for (i = 0; i < cmp->nvars; i++) {
        var = omni_campaigns_var(cmp->cs, i);

        name.data = (u_char *) var.data;
        name.len = var.len;

        cmp->vars[i] = ngx_http_get_variable_index(cf, &name);

        if (cmp->vars[i] == NGX_ERROR) {
            return NGX_CONF_ERROR;
        }
    }

    /* the channel of the visit, as tracking classifies it */

    ngx_str_set(&name, "omni_channel");

    cmp->channel = ngx_http_get_variable_index(cf, &name);

    if (cmp->channel == NGX_ERROR) {
        return NGX_CONF_ERROR;
    }

    olcf->campaigns = cmp;

    return NGX_CONF_OK;
}


static void
ngx_http_omni_campaigns_report(void *data, const omni_campaigns_error_t *err)
{
    ngx_conf_t  *cf = data;

    if (err->line) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s:%ud:%ud: %s",
                           err->file, err->line, err->column, err->text);

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s: %s", err->file,
                           err->text);
    }
}


static void
ngx_http_omni_campaigns_cleanup(void *data)
{
    omni_campaigns_free(data);
}


/* omni_sendfile_min_length SIZE | off */

char *
ngx_http_omni_sendfile_min(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_omni_loc_conf_t *olcf = conf;

    ngx_str_t  *value;

    if (olcf->sendfile_min != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        olcf->sendfile_min = NGX_MAX_OFF_T_VALUE;
        return NGX_CONF_OK;
    }

    olcf->sendfile_min = ngx_parse_offset(&value[1]);

    if (olcf->sendfile_min == (off_t) NGX_ERROR) {
        return "invalid value";
    }

    return NGX_CONF_OK;
}


/*
 * omni_brand NAME | off: checked against the campaigns file once the
 * configuration is complete (the file may be named after the brand).
 */

char *
ngx_http_omni_brand(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_omni_loc_conf_t *olcf = conf;

    ngx_str_t  *value;

    if (olcf->brand_name.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0) {
        return "invalid value";
    }

    olcf->brand_name = value[1];
    olcf->brand_file = cf->conf_file->file.name.data;
    olcf->brand_line = cf->conf_file->line;

    return NGX_CONF_OK;
}


/*
 * What goes into this page: the brand block and the tags before </head>,
 * the offer in its slot; CSP nonces on every script and style.
 */

ngx_int_t
ngx_http_omni_prepare(ngx_http_request_t *r, ngx_http_omni_ctx_t *ctx,
    ngx_str_t *script_nonce, ngx_str_t *style_nonce,
    ngx_http_omni_content_t *content)
{
    u_char                    *p;
    ngx_str_t                  brand, tags;
    ngx_table_elt_t           *gpc;
    const omni_offer_t        *offer;
    ngx_http_omni_decision_t  *dc;
    ngx_http_omni_loc_conf_t  *olcf;

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_omni_module);

    if (olcf->campaigns == NULL) {
        return NGX_OK;
    }

    ngx_str_null(&brand);
    ngx_str_null(&tags);

    if (olcf->brand) {
        brand.data = (u_char *) olcf->brand->head.data;
        brand.len = olcf->brand->head.len;

        if (ngx_http_omni_with_nonces(r, &brand, script_nonce, style_nonce)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    /* a brand alone needs no decision, and no lookup */

    dc = NULL;

    if (omni_campaigns_noffers(olcf->campaigns->cs)
        || omni_campaigns_ntags(olcf->campaigns->cs))
    {
        dc = ngx_http_omni_decide(r, ctx);

        if (dc == NULL) {
            return NGX_ERROR;
        }
    }

    /* retargeting never follows a visitor who sent Global Privacy Control */

    gpc = ngx_http_omni_find_header(r, &ngx_http_omni_sec_gpc);

    if ((gpc == NULL || gpc->value.len != 1 || gpc->value.data[0] != '1')
        && omni_campaigns_ntags(olcf->campaigns->cs))
    {
        if (ngx_http_omni_render_tags(r, ctx, dc, &tags) != NGX_OK) {
            return NGX_ERROR;
        }

        if (ngx_http_omni_with_nonces(r, &tags, script_nonce, style_nonce)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (tags.len) {
            content->personal = 1;
        }
    }

    if (brand.len && tags.len) {
        p = ngx_pnalloc(r->pool, brand.len + tags.len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        content->head.data = p;
        p = ngx_cpymem(p, brand.data, brand.len);
        ngx_memcpy(p, tags.data, tags.len);
        content->head.len = brand.len + tags.len;

    } else {
        content->head = brand.len ? brand : tags;
    }

    offer = dc ? dc->d.offer : NULL;

    if (offer == NULL && dc != NULL && dc->d.held != NULL) {
        /* the control group's exposure: a page that would have had it */
        ngx_http_omni_impression(r);
    }

    if (offer == NULL
        || (content->fallback == NGX_HTTP_OMNI_FALLBACK_NONE
            && offer->slot.len == 0))
    {
        return NGX_OK;
    }

    if (ngx_http_omni_render_offer(r, dc, olcf->brand, &content->offer)
        != NGX_OK)
    {
        /* a page without its offer is still the page */
        ngx_str_null(&content->offer);
        return NGX_OK;
    }

    if (ngx_http_omni_with_nonces(r, &content->offer, script_nonce,
                                  style_nonce)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    content->slot.data = (u_char *) offer->slot.data;
    content->slot.len = offer->slot.len;
    content->personal = 1;

    return NGX_OK;
}


/* the decision, made once per request, with what the request tells */

static ngx_http_omni_decision_t *
ngx_http_omni_decide(ngx_http_request_t *r, ngx_http_omni_ctx_t *ctx)
{
    ngx_str_t                   arg;
    ngx_uint_t                  i;
    omni_str_t                 *vars;
    ngx_http_variable_value_t  *vv;
    ngx_http_omni_decision_t   *dc;
    ngx_http_omni_campaigns_t  *cmp;
    ngx_http_omni_loc_conf_t   *olcf;

    if (ctx->decision) {
        return ctx->decision;
    }

    /* what the store knows of the visitor, read at most once */
    if (ngx_http_omni_lookup(r) == NULL) {
        return NULL;
    }

    r = r->main;

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_omni_module);
    cmp = olcf->campaigns;

    dc = ngx_pcalloc(r->pool, sizeof(ngx_http_omni_decision_t));
    if (dc == NULL) {
        return NULL;
    }

    dc->campaigns = cmp;

    omni_facts_init(&dc->facts);

    dc->facts.profile = ctx->profile;
    dc->facts.activity = ctx->activity;
    dc->facts.visitor = ctx->known ? &ctx->id : NULL;
    dc->facts.new_visitor = ctx->new_visitor;
    dc->facts.now = ngx_time();
    dc->facts.path.data = (char *) r->uri.data;
    dc->facts.path.len = r->uri.len;

    if (r->headers_in.user_agent) {
        dc->facts.device =
                     ngx_http_omni_device(&r->headers_in.user_agent->value);
    }

    if (ngx_http_arg(r, (u_char *) "utm_source", 10, &arg) == NGX_OK) {
        dc->facts.utm_source.data = (char *) arg.data;
        dc->facts.utm_source.len = arg.len;
    }

    if (ngx_http_arg(r, (u_char *) "utm_medium", 10, &arg) == NGX_OK) {
        dc->facts.utm_medium.data = (char *) arg.data;
        dc->facts.utm_medium.len = arg.len;
    }

    if (ngx_http_arg(r, (u_char *) "utm_campaign", 12, &arg) == NGX_OK) {
        dc->facts.utm_campaign.data = (char *) arg.data;
        dc->facts.utm_campaign.len = arg.len;
    }

    vv = ngx_http_get_indexed_variable(r, cmp->channel);

    if (vv && !vv->not_found && vv->len) {
        dc->facts.channel = omni_channel_by_name((char *) vv->data, vv->len);
    }

    if (cmp->nvars) {
        vars = ngx_pcalloc(r->pool, cmp->nvars * sizeof(omni_str_t));
        if (vars == NULL) {
            return NULL;
        }

        for (i = 0; i < cmp->nvars; i++) {
            vv = ngx_http_get_indexed_variable(r, cmp->vars[i]);

            if (vv && !vv->not_found) {
                vars[i].data = (char *) vv->data;
                vars[i].len = vv->len;
            }
        }

        dc->facts.vars = vars;
    }

    if (omni_decide(cmp->cs, &cmp->conf, &dc->facts, &dc->d, NULL)
        != OMNI_OK)
    {
        return NULL;
    }

    ctx->decision = dc;

    return dc;
}


static omni_device_e
ngx_http_omni_device(ngx_str_t *ua)
{
    u_char              *p, *last;
    uint64_t             h;
    ngx_http_omni_ua_t  *e;

    /* FNV-1a */
    h = 0xcbf29ce484222325ULL;

    for (p = ua->data, last = p + ua->len; p < last; p++) {
        h = (h ^ *p) * 0x100000001b3ULL;
    }

    e = &ngx_http_omni_ua_cache[h % NGX_HTTP_OMNI_UA_CACHE];

    if (e->hash != h || e->len != ua->len || e->len == 0) {
        e->hash = h;
        e->len = (uint32_t) ua->len;
        e->device = omni_device_classify((char *) ua->data, ua->len);
    }

    return (omni_device_e) e->device;
}


static ngx_int_t
ngx_http_omni_render_offer(ngx_http_request_t *r,
    ngx_http_omni_decision_t *dc, const omni_brand_t *brand, ngx_str_t *out)
{
    int      rc;
    u_char  *buf;
    size_t   size, len;

    size = NGX_HTTP_OMNI_RENDER_SIZE;

    for ( ;; ) {
        buf = ngx_pnalloc(r->pool, size);
        if (buf == NULL) {
            return NGX_ERROR;
        }

        rc = omni_offer_render(dc->campaigns->cs, &dc->campaigns->conf,
                               &dc->facts, &dc->d, brand, (char *) buf, size,
                               &len);

        if (rc == OMNI_OK) {
            out->data = buf;
            out->len = len;
            return NGX_OK;
        }

        if (rc != OMNI_ETOOBIG || len <= size) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "omni: could not render offer \"%*s\": %s",
                          dc->d.offer->id.len, dc->d.offer->id.data,
                          omni_strerror(rc));
            return NGX_ERROR;
        }

        ngx_pfree(r->pool, buf);
        size = len;
    }
}


static ngx_int_t
ngx_http_omni_render_tags(ngx_http_request_t *r, ngx_http_omni_ctx_t *ctx,
    ngx_http_omni_decision_t *dc, ngx_str_t *out)
{
    int        rc;
    u_char    *buf;
    size_t     size, len;
    uint32_t   consent;

    /*
     * Tags of the categories the visitor accepted; without consent (or
     * with GPC) only those of the "necessary" category remain.
     */
    consent = ctx->consent ? ctx->consent_categories : 0;

    /* tracking consumed the response's events before this runs */
    dc->facts.event = (omni_tag_event_e) ctx->tag_event;
    dc->facts.event_item.data = (char *) ctx->tag_item.data;
    dc->facts.event_item.len = ctx->tag_item.len;
    dc->facts.event_order.data = (char *) ctx->tag_order.data;
    dc->facts.event_order.len = ctx->tag_order.len;
    dc->facts.event_items.data = (char *) ctx->tag_items.data;
    dc->facts.event_items.len = ctx->tag_items.len;
    dc->facts.event_value = ctx->tag_value;

    size = NGX_HTTP_OMNI_RENDER_SIZE;

    for ( ;; ) {
        buf = ngx_pnalloc(r->pool, size);
        if (buf == NULL) {
            return NGX_ERROR;
        }

        rc = omni_tags_render(dc->campaigns->cs, consent, &dc->facts,
                              (char *) buf, size, &len);

        if (rc == OMNI_OK) {
            out->data = buf;
            out->len = len;
            return NGX_OK;
        }

        if (rc != OMNI_ETOOBIG || len <= size) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "omni: could not render the tags: %s",
                          omni_strerror(rc));
            return NGX_ERROR;
        }

        ngx_pfree(r->pool, buf);
        size = len;
    }
}


/* s again, with the nonces on its scripts and styles, if there are any */

static ngx_int_t
ngx_http_omni_with_nonces(ngx_http_request_t *r, ngx_str_t *s,
    ngx_str_t *script, ngx_str_t *style)
{
    u_char      *buf;
    size_t       len;
    omni_str_t   sn, tn;

    if (s->len == 0 || (script->len == 0 && style->len == 0)) {
        return NGX_OK;
    }

    sn.data = (char *) script->data;
    sn.len = script->len;
    tn.data = (char *) style->data;
    tn.len = style->len;

    (void) omni_csp_add_nonce((char *) s->data, s->len, sn, tn, NULL, 0,
                              &len);

    if (len == s->len) {
        /* no script or style in it */
        return NGX_OK;
    }

    buf = ngx_pnalloc(r->pool, len);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    if (omni_csp_add_nonce((char *) s->data, s->len, sn, tn, (char *) buf,
                           len, &len)
        != OMNI_OK)
    {
        return NGX_ERROR;
    }

    s->data = buf;
    s->len = len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_omni_decision_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    omni_str_t                 s;
    ngx_http_omni_ctx_t       *ctx;
    ngx_http_omni_decision_t  *dc;
    ngx_http_omni_loc_conf_t  *olcf;

    olcf = ngx_http_get_module_loc_conf(r->main, ngx_http_omni_module);

    if (!olcf->enable || olcf->campaigns == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    ctx = ngx_http_omni_identify(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    dc = ngx_http_omni_decide(r, ctx);
    if (dc == NULL) {
        return NGX_ERROR;
    }

    switch (data) {

    case NGX_HTTP_OMNI_VAR_OFFER:
        if (dc->d.offer == NULL) {
            v->not_found = 1;
            return NGX_OK;
        }

        s = dc->d.offer->id;
        break;

    case NGX_HTTP_OMNI_VAR_VARIANT:
        s = dc->d.variant_id;

        if (s.len == 0) {
            v->not_found = 1;
            return NGX_OK;
        }

        break;

    case NGX_HTTP_OMNI_VAR_STAGE:
        s.data = omni_stage_name(dc->d.stage);
        s.len = ngx_strlen(s.data);
        break;

    default: /* NGX_HTTP_OMNI_VAR_SEGMENTS */
        if (ngx_http_omni_segments(r, dc, &s) != NGX_OK) {
            return NGX_ERROR;
        }

        break;
    }

    v->len = s.len;
    v->data = (u_char *) s.data;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


/* the matched segments' names, comma-separated, in file order */

static ngx_int_t
ngx_http_omni_segments(ngx_http_request_t *r, ngx_http_omni_decision_t *dc,
    omni_str_t *s)
{
    int      rc;
    char    *buf;
    size_t   size, len;

    size = 256;

    for ( ;; ) {
        buf = ngx_pnalloc(r->pool, size);
        if (buf == NULL) {
            return NGX_ERROR;
        }

        rc = omni_decision_segments(dc->campaigns->cs, &dc->d, buf, size,
                                    &len);

        if (rc == OMNI_OK) {
            s->data = buf;
            s->len = len;
            return NGX_OK;
        }

        if (rc != OMNI_ETOOBIG || len <= size) {
            return NGX_ERROR;
        }

        size = len;
    }
}


static ngx_int_t
ngx_http_omni_rewrite_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_omni_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_omni_module);

    if (ctx == NULL || ctx->rewrite_status == NGX_HTTP_OMNI_RW_UNSET) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = ngx_http_omni_rewrite_names[ctx->rewrite_status].len;
    v->data = ngx_http_omni_rewrite_names[ctx->rewrite_status].data;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


/*
 * An offer went into the page (or, for an experiment's holdout, would
 * have): the KPI zone counts it for the offer, the variant, the
 * visitor's segments and channel, and the visitor's record keeps it, for
 * frequency caps and for attributing what they buy next.
 */

void
ngx_http_omni_impression(ngx_http_request_t *r)
{
    size_t                     i, n;
    omni_str_t                 segments[NGX_HTTP_OMNI_KPI_SEGMENTS];
    omni_event_t               ev;
    omni_kpi_keys_t            keys;
    const omni_offer_t        *offer;
    ngx_http_omni_ctx_t       *ctx;
    ngx_http_variable_value_t *vv;
    ngx_http_omni_decision_t  *dc;
    ngx_http_omni_campaigns_t *cmp;

    ctx = ngx_http_omni_get_ctx(r);

    if (ctx == NULL || ctx->decision == NULL || ctx->impression_counted) {
        return;
    }

    ctx->impression_counted = 1;

    dc = ctx->decision;
    cmp = dc->campaigns;
    offer = dc->d.offer ? dc->d.offer : dc->d.held;

    if (offer == NULL) {
        return;
    }

    ngx_memzero(&keys, sizeof(omni_kpi_keys_t));
    keys.offer = offer->id;
    keys.variant = dc->d.variant_id;

    vv = ngx_http_get_indexed_variable(r->main, cmp->channel);

    if (vv && !vv->not_found && vv->len) {
        keys.channel.data = (char *) vv->data;
        keys.channel.len = vv->len;
    }

    n = 0;

    for (i = 0; i < omni_campaigns_nsegments(cmp->cs)
                && n < NGX_HTTP_OMNI_KPI_SEGMENTS; i++)
    {
        if (omni_decision_in_segment(&dc->d, i)) {
            segments[n++] = omni_campaigns_segment(cmp->cs, i);
        }
    }

    keys.segments = segments;
    keys.nsegments = n;

    (void) ngx_http_omni_kpi_count(r, NGX_HTTP_OMNI_KPI_IMPRESSION, &keys,
                                   0);

    if (!ctx->consent || !ctx->known) {
        return;
    }

    omni_event_init(&ev, OMNI_EVENT_IMPRESSION, (int64_t) ngx_time());
    ev.offer = offer->id;
    ev.variant = dc->d.variant_id;

    (void) ngx_http_omni_track_push(r, ctx, &ev);
}


/*
 * The impression a page being rewritten is about to make, as an event
 * (NGX_DECLINED when it shows no offer, or the impression was made): a
 * new visitor's first-response cookie (ngx_http_omni_first.c) goes out
 * with the header, before the offer reaches the page, and carries it.
 */

ngx_int_t
ngx_http_omni_impression_ahead(ngx_http_request_t *r, omni_event_t *ev)
{
    ngx_http_omni_ctx_t       *ctx;
    ngx_http_omni_decision_t  *dc;

    ctx = ngx_http_omni_get_ctx(r);

    if (ctx == NULL || ctx->rewrite == NULL || ctx->decision == NULL
        || ctx->impression_counted || ctx->decision->d.offer == NULL)
    {
        return NGX_DECLINED;
    }

    dc = ctx->decision;

    omni_event_init(ev, OMNI_EVENT_IMPRESSION, (int64_t) ngx_time());
    ev->offer = dc->d.offer->id;
    ev->variant = dc->d.variant_id;

    return NGX_OK;
}
