
/*
 * ngx_http_omni_module: counting KPI events from the configuration.
 *
 * omni_count EVENT [offer=V] [variant=V] [channel=V] [segments=V]
 *     [value=V];
 *
 * Counts EVENT (visit, view, impression, click, cart, purchase, abandon,
 * recover) once per request served by the location with a status below
 * 400, after the response (log phase).  Values may hold variables;
 * segments is a comma-separated list; value is a purchase value in the
 * shop's currency ("49.99").  For pages the module does not see otherwise:
 * a thank-you page that knows the order total, an email landing page.
 */


#include "ngx_http_omni_module.h"


#define NGX_HTTP_OMNI_COUNT_SEGMENTS  16


typedef struct {
    omni_kpi_event_e             event;
    ngx_http_complex_value_t    *offer;
    ngx_http_complex_value_t    *variant;
    ngx_http_complex_value_t    *channel;
    ngx_http_complex_value_t    *segments;
    ngx_http_complex_value_t    *value;
} ngx_http_omni_count_t;


static ngx_int_t ngx_http_omni_count_value(ngx_str_t *s, int64_t *cents);
static ngx_int_t ngx_http_omni_count_eval(ngx_http_request_t *r,
    ngx_http_complex_value_t *cv, omni_str_t *out);


char *
ngx_http_omni_count(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_omni_loc_conf_t *olcf = conf;

    ngx_str_t                         *value, v;
    ngx_uint_t                         i, n;
    omni_kpi_event_e                   event;
    ngx_http_omni_count_t             *c;
    ngx_http_complex_value_t         **slot;
    ngx_http_omni_main_conf_t         *omcf;
    ngx_http_omni_kpi_loc_conf_t      *klcf;
    ngx_http_compile_complex_value_t   ccv;

    static const char  *keys[] = {
        "offer=", "variant=", "channel=", "segments=", "value="
    };

    value = cf->args->elts;

    event = omni_kpi_event_by_name((char *) value[1].data, value[1].len);

    if (event == OMNI_KPI_NEVENTS) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "unknown event \"%V\" (visit, view, impression, "
                           "click, cart, purchase, abandon, recover)",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    klcf = ngx_http_omni_kpi_loc_conf(cf, &olcf->kpi);
    if (klcf == NULL) {
        return NGX_CONF_ERROR;
    }

    if (klcf->counts == NULL) {
        klcf->counts = ngx_array_create(cf->pool, 2,
                                        sizeof(ngx_http_omni_count_t));
        if (klcf->counts == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    c = ngx_array_push(klcf->counts);
    if (c == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(c, sizeof(ngx_http_omni_count_t));
    c->event = event;

    for (i = 2; i < cf->args->nelts; i++) {

        for (n = 0; n < sizeof(keys) / sizeof(keys[0]); n++) {
            if (ngx_strncmp(value[i].data, keys[n], ngx_strlen(keys[n]))
                == 0)
            {
                break;
            }
        }

        switch (n) {
        case 0:
            slot = &c->offer;
            break;
        case 1:
            slot = &c->variant;
            break;
        case 2:
            slot = &c->channel;
            break;
        case 3:
            slot = &c->segments;
            break;
        case 4:
            slot = &c->value;
            break;
        default:
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }

        if (*slot != NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate parameter \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }

        v.data = value[i].data + ngx_strlen(keys[n]);
        v.len = value[i].len - ngx_strlen(keys[n]);

        *slot = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
        if (*slot == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

        ccv.cf = cf;
        ccv.value = &v;
        ccv.complex_value = *slot;

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    if (c->variant && c->offer == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"variant=\" needs \"offer=\"");
        return NGX_CONF_ERROR;
    }

    if (c->value && event != OMNI_KPI_PURCHASE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"value=\" is for purchases only");
        return NGX_CONF_ERROR;
    }

    omcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_omni_module);
    omcf->kpi->count_used = 1;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_omni_count_handler(ngx_http_request_t *r)
{
    u_char                        *p, *last, *start;
    int64_t                        cents;
    ngx_str_t                      s;
    ngx_uint_t                     i, n;
    omni_str_t                     segments[NGX_HTTP_OMNI_COUNT_SEGMENTS];
    omni_str_t                     list;
    omni_kpi_keys_t                keys;
    ngx_http_omni_count_t         *c;
    ngx_http_omni_loc_conf_t      *olcf;

    if (r->headers_out.status >= NGX_HTTP_BAD_REQUEST) {
        return NGX_DECLINED;
    }

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_omni_module);

    if (olcf->kpi == NULL || olcf->kpi->counts == NULL) {
        return NGX_DECLINED;
    }

    c = olcf->kpi->counts->elts;

    for (i = 0; i < olcf->kpi->counts->nelts; i++) {

        ngx_memzero(&keys, sizeof(omni_kpi_keys_t));

        if (ngx_http_omni_count_eval(r, c[i].offer, &keys.offer) != NGX_OK
            || ngx_http_omni_count_eval(r, c[i].variant, &keys.variant)
               != NGX_OK
            || ngx_http_omni_count_eval(r, c[i].channel, &keys.channel)
               != NGX_OK
            || ngx_http_omni_count_eval(r, c[i].segments, &list) != NGX_OK)
        {
            return NGX_ERROR;
        }

        n = 0;
        p = (u_char *) list.data;
        last = p + list.len;

        while (p < last && n < NGX_HTTP_OMNI_COUNT_SEGMENTS) {
            start = p;

            while (p < last && *p != ',') {
                p++;
            }

            if (p > start) {
                segments[n].data = (char *) start;
                segments[n].len = p - start;
                n++;
            }

            p++;
        }

        keys.segments = segments;
        keys.nsegments = n;

        cents = 0;

        if (c[i].value) {
            if (ngx_http_complex_value(r, c[i].value, &s) != NGX_OK) {
                return NGX_ERROR;
            }

            if (ngx_http_omni_count_value(&s, &cents) != NGX_OK) {
                ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                              "omni_count: invalid purchase value \"%V\", "
                              "not counted", &s);
                continue;
            }
        }

        if (ngx_http_omni_kpi_count(r, c[i].event, &keys, cents)
            == NGX_ERROR)
        {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "omni_count: %s counted in part: a key is "
                          "invalid or the zone is full",
                          omni_kpi_event_name(c[i].event));
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_omni_count_eval(ngx_http_request_t *r, ngx_http_complex_value_t *cv,
    omni_str_t *out)
{
    ngx_str_t  s;

    out->data = NULL;
    out->len = 0;

    if (cv == NULL) {
        return NGX_OK;
    }

    if (ngx_http_complex_value(r, cv, &s) != NGX_OK) {
        return NGX_ERROR;
    }

    out->data = (char *) s.data;
    out->len = s.len;

    return NGX_OK;
}


/* "49", "49.9", "49.99": a non-negative amount, at most two decimals */

static ngx_int_t
ngx_http_omni_count_value(ngx_str_t *s, int64_t *cents)
{
    u_char      *p, *last;
    int64_t      v;
    ngx_uint_t   digits, decimals;

    p = s->data;
    last = p + s->len;
    v = 0;
    digits = 0;

    for ( /* void */ ; p < last && *p >= '0' && *p <= '9'; p++) {
        if (v > (INT64_MAX / 100 - 9) / 10) {
            return NGX_ERROR;
        }

        v = v * 10 + (*p - '0');
        digits++;
    }

    decimals = 0;

    if (p < last && *p == '.') {
        for (p++; p < last && *p >= '0' && *p <= '9' && decimals < 2; p++) {
            v = v * 10 + (*p - '0');
            decimals++;
            digits++;
        }
    }

    if (p != last || digits == 0) {
        return NGX_ERROR;
    }

    while (decimals++ < 2) {
        v *= 10;
    }

    *cents = v;

    return NGX_OK;
}
