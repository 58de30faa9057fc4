/*
 * KPI status renderers: JSON (jansson) and the Prometheus text format.
 */

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <omni/kpi_status.h>
#include <omni/stats.h>


typedef struct {
    omni_kpi_op_e   op;
    const char     *group;          /* JSON: operations.<group> */
    const char     *name;           /* JSON key; Prometheus label value */
    const char     *metric;         /* Prometheus family */
    const char     *label;          /* Prometheus label name, or NULL */
    const char     *help;
} omni_kpi_op_desc_t;


/*
 * In Prometheus order: the samples of one family must be adjacent, so the
 * rows of a labelled family follow each other.
 */
static const omni_kpi_op_desc_t  omni_kpi_ops[] = {
    { OMNI_KPI_OP_LOOKUPS, "store", "lookups",
      "omni_store_lookups_total", NULL,
      "Visitor profile and activity lookups." },
    { OMNI_KPI_OP_STORE_MISSES, "store", "misses",
      "omni_store_misses_total", NULL,
      "Lookups that found no record." },
    { OMNI_KPI_OP_DECODE_ERRORS, "store", "decode_errors",
      "omni_store_decode_errors_total", NULL,
      "Records that could not be decoded." },
    { OMNI_KPI_OP_SNAPSHOT_RELOADS, "store", "snapshot_reloads",
      "omni_store_snapshot_reloads_total", NULL,
      "Profile snapshots reopened after a change on disk." },
    { OMNI_KPI_OP_EVENTS_QUEUED, "events", "queued",
      "omni_events_queued_total", NULL,
      "Tracking events queued for the store." },
    { OMNI_KPI_OP_EVENTS_FLUSHED, "events", "flushed",
      "omni_events_flushed_total", NULL,
      "Tracking events written to the store." },
    { OMNI_KPI_OP_EVENTS_DROPPED, "events", "dropped",
      "omni_events_dropped_total", NULL,
      "Tracking events lost (queue full or write failed)." },
    { OMNI_KPI_OP_PAGES_REWRITTEN, "pages", "rewritten",
      "omni_pages_rewritten_total", NULL,
      "HTML pages personalized on the way out." },
    { OMNI_KPI_OP_SKIP_NOT_HTML, "pages.skipped", "not_html",
      "omni_pages_skipped_total", "reason",
      "Responses passed through unchanged, by reason." },
    { OMNI_KPI_OP_SKIP_STATUS, "pages.skipped", "status",
      "omni_pages_skipped_total", "reason", NULL },
    { OMNI_KPI_OP_SKIP_HEADER_ONLY, "pages.skipped", "header_only",
      "omni_pages_skipped_total", "reason", NULL },
    { OMNI_KPI_OP_SKIP_ENCODED, "pages.skipped", "encoded",
      "omni_pages_skipped_total", "reason", NULL },
    { OMNI_KPI_OP_SKIP_SUBREQUEST, "pages.skipped", "subrequest",
      "omni_pages_skipped_total", "reason", NULL },
    { OMNI_KPI_OP_SKIP_NO_CONSENT, "pages.skipped", "no_consent",
      "omni_pages_skipped_total", "reason", NULL },
    { OMNI_KPI_OP_SKIP_ERROR, "pages.skipped", "error",
      "omni_pages_skipped_total", "reason", NULL },
    { OMNI_KPI_OP_KPI_OVERFLOW, "kpi", "overflow",
      "omni_kpi_dropped_total", "reason",
      "KPI increments lost: the zone was full, or the key invalid." },
    { OMNI_KPI_OP_KPI_REJECTED, "kpi", "rejected",
      "omni_kpi_dropped_total", "reason", NULL },
    { OMNI_KPI_OP_PERSIST_WRITES, "kpi", "persist_writes",
      "omni_kpi_persist_writes_total", NULL,
      "KPI snapshots written to the persist file." },
    { OMNI_KPI_OP_PERSIST_ERRORS, "kpi", "persist_errors",
      "omni_kpi_persist_errors_total", NULL,
      "KPI snapshots that could not be written." },
};


/* Prometheus label values of omni_kpi_dropped_total */
static const char  *omni_kpi_drop_reasons[] = { "table_full", "invalid_key" };


static const char  *omni_kpi_prom_metrics[OMNI_KPI_NMETRICS] = {
    "visits", "product_views", "impressions", "clicks", "add_to_carts",
    "purchases", "revenue", "abandoned_carts", "recovered_carts"
};

static const char  *omni_kpi_prom_help[OMNI_KPI_NMETRICS] = {
    "Visits (sessions started)",
    "Product page views",
    "Offer impressions (holdout exposures included)",
    "Offer clicks",
    "Add-to-cart events",
    "Purchases",
    "Purchase value in the shop's currency",
    "Carts found abandoned",
    "Purchases that recovered an abandoned cart"
};

/*
 * What the status lists: offers (the sum of an offer's rows, without its
 * holdout), experiment variants (offer rows with a variant), segments and
 * channels.
 */
typedef enum {
    OMNI_KPI_LIST_OFFERS = 0,
    OMNI_KPI_LIST_VARIANTS,
    OMNI_KPI_LIST_SEGMENTS,
    OMNI_KPI_LIST_CHANNELS,
    OMNI_KPI_NLISTS
} omni_kpi_list_e;


static const char  *omni_kpi_lists[OMNI_KPI_NLISTS] = {
    "offers", "variants", "segments", "channels"
};

/* the JSON key and the Prometheus label of each list's name */
static const char  *omni_kpi_list_keys[OMNI_KPI_NLISTS] = {
    "offer", "offer", "segment", "channel"
};

/* Prometheus families: omni_<list>_<metric>_total */
static const char  *omni_kpi_list_prom[OMNI_KPI_NLISTS] = {
    "offer", "variant", "segment", "channel"
};

static const char  *omni_kpi_list_by[OMNI_KPI_NLISTS] = {
    "offer (holdout excluded)", "experiment variant", "segment", "channel"
};


static json_t *omni_kpi_json_metrics(json_t *o, const uint64_t *v);
static json_t *omni_kpi_json_experiments(const omni_kpi_view_t *view);
static json_t *omni_kpi_json_arm(const omni_kpi_row_t *row);
static json_t *omni_kpi_json_ci(int has, double lo, double hi);
static json_t *omni_kpi_json_real(int has, double v);
static json_t *omni_kpi_json_operations(const omni_kpi_view_t *view);
static json_t *omni_kpi_json_series(const omni_kpi_view_t *view);
static int omni_kpi_set(json_t *o, const char *key, json_t *v);
static int omni_kpi_holdout(const omni_kpi_row_t *row);
static int omni_kpi_next(const omni_kpi_view_t *view, omni_kpi_list_e list,
    size_t *i, omni_kpi_row_t *out);


int
omni_kpi_status_json(const omni_kpi_view_t *view,
    const omni_kpi_info_t *info, char **out, size_t *len)
{
    int              rc;
    char            *buf;
    size_t           i, n;
    json_t          *root, *zone, *array, *row;
    omni_kpi_row_t   r;
    omni_kpi_list_e  l;

    root = json_object();
    if (root == NULL) {
        return OMNI_ERROR;
    }

    zone = json_object();

    rc = omni_kpi_set(root, "schema", json_integer(OMNI_KPI_STATUS_SCHEMA))
         | omni_kpi_set(root, "generator", json_string(info->generator))
         | omni_kpi_set(root, "now", json_integer(view->now))
         | omni_kpi_set(root, "since", json_integer(view->since))
         | omni_kpi_set(root, "persisted",
                        view->persisted ? json_integer(view->persisted)
                                        : json_null())
         | omni_kpi_set(root, "attribution_window",
                        json_integer(info->attribution_window))
         | omni_kpi_set(zone, "name", json_string(info->zone))
         | omni_kpi_set(zone, "size", json_integer((json_int_t)
                                                   info->zone_size))
         | omni_kpi_set(zone, "capacity", json_integer(view->capacity))
         | omni_kpi_set(zone, "used", json_integer(view->used))
         | omni_kpi_set(root, "zone", zone)
         | omni_kpi_set(root, "totals",
                        omni_kpi_json_metrics(json_object(), view->total));

    for (l = 0; l < OMNI_KPI_NLISTS && rc == 0; l++) {
        array = json_array();
        rc |= omni_kpi_set(root, omni_kpi_lists[l], array);

        i = 0;

        while (rc == 0 && omni_kpi_next(view, l, &i, &r)) {
            row = json_object();

            rc |= omni_kpi_set(row, omni_kpi_list_keys[l],
                               json_stringn(r.name.data, r.name.len));

            if (l == OMNI_KPI_LIST_VARIANTS) {
                rc |= omni_kpi_set(row, "variant",
                                   json_stringn(r.variant.data,
                                                r.variant.len));
            }

            row = omni_kpi_json_metrics(row, r.v);

            if (row == NULL || json_array_append_new(array, row) != 0) {
                rc = -1;
            }
        }
    }

    rc |= omni_kpi_set(root, "experiments", omni_kpi_json_experiments(view))
          | omni_kpi_set(root, "series", omni_kpi_json_series(view))
          | omni_kpi_set(root, "operations", omni_kpi_json_operations(view));

    if (rc != 0) {
        json_decref(root);
        return OMNI_ERROR;
    }

    n = json_dumpb(root, NULL, 0, JSON_COMPACT);

    buf = (n == 0) ? NULL : malloc(n);

    if (buf == NULL || json_dumpb(root, buf, n, JSON_COMPACT) != n) {
        free(buf);
        json_decref(root);
        return OMNI_ERROR;
    }

    json_decref(root);

    *out = buf;
    *len = n;

    return OMNI_OK;
}


/* json_object_set_new() that also accepts a failed constructor */

static int
omni_kpi_set(json_t *o, const char *key, json_t *v)
{
    if (o == NULL || v == NULL) {
        json_decref(v);
        return -1;
    }

    return json_object_set_new(o, key, v) == 0 ? 0 : -1;
}


static json_t *
omni_kpi_json_metrics(json_t *o, const uint64_t *v)
{
    int  k, rc;

    rc = 0;

    for (k = 0; k < OMNI_KPI_NMETRICS; k++) {
        rc |= omni_kpi_set(o, omni_kpi_metric_name(k),
                           json_integer((json_int_t) v[k]));
    }

    if (rc != 0) {
        json_decref(o);
        return NULL;
    }

    return o;
}


static int
omni_kpi_holdout(const omni_kpi_row_t *row)
{
    return row->variant.len == sizeof(OMNI_KPI_HOLDOUT) - 1
           && memcmp(row->variant.data, OMNI_KPI_HOLDOUT,
                     sizeof(OMNI_KPI_HOLDOUT) - 1) == 0;
}


/* the next entry of a list at or after row *i */

static int
omni_kpi_next(const omni_kpi_view_t *view, omni_kpi_list_e list, size_t *i,
    omni_kpi_row_t *out)
{
    int                    k;
    size_t                 j;
    const omni_kpi_row_t  *r;

    for (j = *i; j < view->nrows; j++) {
        r = &view->rows[j];

        switch (list) {

        case OMNI_KPI_LIST_OFFERS:
            if (r->dim != OMNI_KPI_DIM_OFFER) {
                continue;
            }

            *out = *r;
            out->variant.len = 0;
            memset(out->v, 0, sizeof(out->v));

            /* rows are sorted: an offer's rows follow each other */

            for ( /* void */ ;
                 j < view->nrows
                 && view->rows[j].dim == OMNI_KPI_DIM_OFFER
                 && view->rows[j].name.len == r->name.len
                 && memcmp(view->rows[j].name.data, r->name.data,
                           r->name.len) == 0;
                 j++)
            {
                if (omni_kpi_holdout(&view->rows[j])) {
                    continue;
                }

                for (k = 0; k < OMNI_KPI_NMETRICS; k++) {
                    out->v[k] += view->rows[j].v[k];
                }
            }

            *i = j;
            return 1;

        case OMNI_KPI_LIST_VARIANTS:
            if (r->dim != OMNI_KPI_DIM_OFFER || r->variant.len == 0) {
                continue;
            }

            break;

        case OMNI_KPI_LIST_SEGMENTS:
            if (r->dim != OMNI_KPI_DIM_SEGMENT) {
                continue;
            }

            break;

        default: /* OMNI_KPI_LIST_CHANNELS */
            if (r->dim != OMNI_KPI_DIM_CHANNEL) {
                continue;
            }

            break;
        }

        *out = *r;
        *i = j + 1;
        return 1;
    }

    *i = j;
    return 0;
}


/*
 * An experiment is an offer with a holdout variant.  Exposures are
 * impressions; conversions are the purchases attributed to the variant,
 * at most one per exposure.
 */

static json_t *
omni_kpi_json_experiments(const omni_kpi_view_t *view)
{
    int                    rc;
    size_t                 i, j, end;
    json_t                *list, *exp, *arms, *arm;
    uint64_t               n1, x1, n2, x2;
    omni_ab_t              ab;
    const omni_kpi_row_t  *rows, *control;

    list = json_array();
    if (list == NULL) {
        return NULL;
    }

    rows = view->rows;

    for (i = 0; i < view->nrows; i = end) {

        end = i + 1;

        if (rows[i].dim != OMNI_KPI_DIM_OFFER) {
            continue;
        }

        control = omni_kpi_holdout(&rows[i]) ? &rows[i] : NULL;

        while (end < view->nrows
               && rows[end].dim == OMNI_KPI_DIM_OFFER
               && rows[end].name.len == rows[i].name.len
               && memcmp(rows[end].name.data, rows[i].name.data,
                         rows[i].name.len) == 0)
        {
            if (omni_kpi_holdout(&rows[end])) {
                control = &rows[end];
            }

            end++;
        }

        if (control == NULL) {
            continue;
        }

        n2 = control->v[OMNI_KPI_IMPRESSIONS];
        x2 = control->v[OMNI_KPI_PURCHASES];
        x2 = (x2 > n2) ? n2 : x2;

        exp = json_object();
        arms = json_array();

        rc = omni_kpi_set(exp, "offer", json_stringn(rows[i].name.data,
                                                     rows[i].name.len))
             | omni_kpi_set(exp, "control", omni_kpi_json_arm(control))
             | omni_kpi_set(exp, "variants", arms)
             | json_array_append_new(list, exp);

        if (rc != 0) {
            json_decref(list);
            return NULL;
        }

        for (j = i; j < end; j++) {
            if (&rows[j] == control || rows[j].variant.len == 0) {
                continue;
            }

            n1 = rows[j].v[OMNI_KPI_IMPRESSIONS];
            x1 = rows[j].v[OMNI_KPI_PURCHASES];
            x1 = (x1 > n1) ? n1 : x1;

            (void) omni_stats_ab(x1, n1, x2, n2, &ab);

            arm = omni_kpi_json_arm(&rows[j]);

            rc = omni_kpi_set(arm, "diff", omni_kpi_json_real(1, ab.diff))
                 | omni_kpi_set(arm, "diff_ci",
                                omni_kpi_json_ci(ab.has_diff_ci, ab.diff_lo,
                                                 ab.diff_hi))
                 | omni_kpi_set(arm, "lift",
                                omni_kpi_json_real(ab.has_lift, ab.lift))
                 | omni_kpi_set(arm, "lift_ci",
                                omni_kpi_json_ci(ab.has_lift_ci, ab.lift_lo,
                                                 ab.lift_hi))
                 | omni_kpi_set(arm, "z", omni_kpi_json_real(ab.has_test,
                                                             ab.z))
                 | omni_kpi_set(arm, "p_value", json_real(ab.p_value))
                 | omni_kpi_set(arm, "significant",
                                json_boolean(ab.significant))
                 | omni_kpi_set(arm, "small_sample",
                                json_boolean(ab.small_sample));

            if (rc != 0 || json_array_append_new(arms, arm) != 0) {
                json_decref(list);
                return NULL;
            }
        }
    }

    return list;
}


static json_t *
omni_kpi_json_arm(const omni_kpi_row_t *row)
{
    json_t    *o;
    uint64_t   n, x;

    n = row->v[OMNI_KPI_IMPRESSIONS];
    x = row->v[OMNI_KPI_PURCHASES];
    x = (x > n) ? n : x;

    o = json_object();

    if (omni_kpi_set(o, "variant", json_stringn(row->variant.data,
                                                row->variant.len))
        | omni_kpi_set(o, "exposures", json_integer((json_int_t) n))
        | omni_kpi_set(o, "conversions", json_integer((json_int_t) x))
        | omni_kpi_set(o, "rate", json_real(omni_stats_rate(x, n)))
        | omni_kpi_set(o, "revenue_cents",
                       json_integer((json_int_t) row->v[OMNI_KPI_REVENUE])))
    {
        json_decref(o);
        return NULL;
    }

    return o;
}


static json_t *
omni_kpi_json_real(int has, double v)
{
    return has ? json_real(v) : json_null();
}


static json_t *
omni_kpi_json_ci(int has, double lo, double hi)
{
    json_t  *a;

    if (!has) {
        return json_null();
    }

    a = json_array();

    if (a == NULL
        || json_array_append_new(a, json_real(lo)) != 0
        || json_array_append_new(a, json_real(hi)) != 0)
    {
        json_decref(a);
        return NULL;
    }

    return a;
}


static json_t *
omni_kpi_json_series(const omni_kpi_view_t *view)
{
    int      rc, k, i;
    json_t  *o, *a;

    o = json_object();

    rc = omni_kpi_set(o, "step", json_integer(3600))
         | omni_kpi_set(o, "end", json_integer(view->series_end))
         | omni_kpi_set(o, "hours", json_integer(OMNI_KPI_HOURS));

    for (k = 0; k < OMNI_KPI_NSERIES && rc == 0; k++) {
        a = json_array();
        rc |= omni_kpi_set(o, omni_kpi_series_name(k), a);

        for (i = 0; i < OMNI_KPI_HOURS && rc == 0; i++) {
            rc |= json_array_append_new(a, json_integer((json_int_t)
                                                        view->series[k][i]));
        }
    }

    if (rc != 0) {
        json_decref(o);
        return NULL;
    }

    return o;
}


static json_t *
omni_kpi_json_operations(const omni_kpi_view_t *view)
{
    int      rc;
    size_t   i;
    json_t  *o, *group, *pages;

    o = json_object();
    rc = 0;

    for (i = 0; i < sizeof(omni_kpi_ops) / sizeof(omni_kpi_ops[0]); i++) {
        const omni_kpi_op_desc_t  *d = &omni_kpi_ops[i];

        if (strcmp(d->group, "pages.skipped") == 0) {
            pages = json_object_get(o, "pages");
            group = pages ? json_object_get(pages, "skipped") : NULL;

            if (pages != NULL && group == NULL) {
                group = json_object();
                rc |= omni_kpi_set(pages, "skipped", group);
            }

        } else {
            group = json_object_get(o, d->group);

            if (group == NULL) {
                group = json_object();
                rc |= omni_kpi_set(o, d->group, group);
            }
        }

        rc |= omni_kpi_set(group, d->name,
                           json_integer((json_int_t) view->ops[d->op]));

        if (rc != 0) {
            break;
        }
    }

    if (rc != 0) {
        json_decref(o);
        return NULL;
    }

    return o;
}


int
omni_kpi_status_prometheus(const omni_kpi_view_t *view,
    const omni_kpi_info_t *info, omni_prom_t *w)
{
    int                 k, nl;
    char                name[64], help[160];
    size_t              i, j;
    omni_kpi_row_t      r;
    omni_kpi_list_e     l;
    omni_prom_label_t   labels[2];

    labels[0].name = "zone";
    labels[0].value.data = info->zone;
    labels[0].value.len = strlen(info->zone);
    labels[1].name = "generator";
    labels[1].value.data = info->generator;
    labels[1].value.len = strlen(info->generator);

    omni_prom_family(w, "omni_kpi_info", OMNI_PROM_GAUGE,
                     "The KPI zone and the module that counts in it.");
    omni_prom_sample_uint(w, "omni_kpi_info", labels, 2, 1);

    /* totals */

    for (k = 0; k < OMNI_KPI_NMETRICS; k++) {
        snprintf(name, sizeof(name), "omni_%s_total",
                 omni_kpi_prom_metrics[k]);
        snprintf(help, sizeof(help), "%s.", omni_kpi_prom_help[k]);

        omni_prom_family(w, name, OMNI_PROM_COUNTER, help);

        if (k == OMNI_KPI_REVENUE) {
            omni_prom_sample_cents(w, name, NULL, 0,
                                   (int64_t) view->total[k]);

        } else {
            omni_prom_sample_uint(w, name, NULL, 0, view->total[k]);
        }
    }

    /* per offer, variant, segment and channel */

    for (l = 0; l < OMNI_KPI_NLISTS; l++) {

        for (k = 0; k < OMNI_KPI_NMETRICS; k++) {
            snprintf(name, sizeof(name), "omni_%s_%s_total",
                     omni_kpi_list_prom[l], omni_kpi_prom_metrics[k]);
            snprintf(help, sizeof(help), "%s, by %s.",
                     omni_kpi_prom_help[k], omni_kpi_list_by[l]);

            omni_prom_family(w, name, OMNI_PROM_COUNTER, help);

            i = 0;

            while (omni_kpi_next(view, l, &i, &r)) {
                labels[0].name = omni_kpi_list_keys[l];
                labels[0].value = r.name;
                nl = 1;

                if (l == OMNI_KPI_LIST_VARIANTS) {
                    labels[1].name = "variant";
                    labels[1].value = r.variant;
                    nl = 2;
                }

                if (k == OMNI_KPI_REVENUE) {
                    omni_prom_sample_cents(w, name, labels, nl,
                                           (int64_t) r.v[k]);

                } else {
                    omni_prom_sample_uint(w, name, labels, nl, r.v[k]);
                }
            }
        }
    }

    /* operational counters: consecutive descriptors share a family */

    for (i = 0; i < sizeof(omni_kpi_ops) / sizeof(omni_kpi_ops[0]); i++) {
        const omni_kpi_op_desc_t  *op = &omni_kpi_ops[i];

        if (i == 0 || strcmp(op->metric, omni_kpi_ops[i - 1].metric) != 0) {
            omni_prom_family(w, op->metric, OMNI_PROM_COUNTER, op->help);
            j = 0;

        } else {
            j++;
        }

        if (op->label == NULL) {
            omni_prom_sample_uint(w, op->metric, NULL, 0, view->ops[op->op]);
            continue;
        }

        labels[0].name = op->label;

        if (strcmp(op->metric, "omni_kpi_dropped_total") == 0) {
            labels[0].value.data = omni_kpi_drop_reasons[j];
            labels[0].value.len = strlen(omni_kpi_drop_reasons[j]);

        } else {
            labels[0].value.data = op->name;
            labels[0].value.len = strlen(op->name);
        }

        omni_prom_sample_uint(w, op->metric, labels, 1, view->ops[op->op]);
    }

    /* the zone */

    omni_prom_family(w, "omni_kpi_rows", OMNI_PROM_GAUGE,
                     "Counter rows of the KPI zone, by state.");

    labels[0].name = "state";
    labels[0].value.data = "used";
    labels[0].value.len = 4;
    omni_prom_sample_uint(w, "omni_kpi_rows", labels, 1, view->used);

    labels[0].value.data = "capacity";
    labels[0].value.len = 8;
    omni_prom_sample_uint(w, "omni_kpi_rows", labels, 1, view->capacity);

    omni_prom_family(w, "omni_kpi_zone_size_bytes", OMNI_PROM_GAUGE,
                     "Size of the KPI shared memory zone.");
    omni_prom_sample_uint(w, "omni_kpi_zone_size_bytes", NULL, 0,
                          info->zone_size);

    omni_prom_family(w, "omni_attribution_window_seconds", OMNI_PROM_GAUGE,
                     "How long after an impression a conversion is "
                     "attributed to the offer.");
    omni_prom_sample_uint(w, "omni_attribution_window_seconds", NULL, 0,
                          info->attribution_window > 0
                          ? (uint64_t) info->attribution_window : 0);

    omni_prom_family(w, "omni_kpi_since_timestamp_seconds", OMNI_PROM_GAUGE,
                     "When counting started or was last reset.");
    omni_prom_sample_uint(w, "omni_kpi_since_timestamp_seconds", NULL, 0,
                          view->since > 0 ? (uint64_t) view->since : 0);

    omni_prom_family(w, "omni_kpi_persisted_timestamp_seconds",
                     OMNI_PROM_GAUGE,
                     "When the counters were last saved (0: never).");
    omni_prom_sample_uint(w, "omni_kpi_persisted_timestamp_seconds",
                          NULL, 0, view->persisted > 0 ? (uint64_t) view->persisted
                                              : 0);

    return omni_prom_finish(w);
}
