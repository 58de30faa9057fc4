/*
 * KPI counters: a fixed-size, lock-free table of counter rows in a
 * caller-provided memory block (an nginx shared memory zone, or plain
 * memory in tests and tools).
 *
 * A row is keyed by a dimension and a name: an offer and one of its
 * experiment variants (or no variant), a segment or a channel.  An
 * offer's totals are the sum of its rows, so counting an impression
 * touches one offer row, not two.  Rows are found
 * by open addressing and claimed with one compare-and-swap on the row's
 * state; counters are 64-bit atomic additions.  Nothing allocates, nothing
 * locks, every loop is bounded: when no row can be found within
 * OMNI_KPI_MAX_PROBES slots the increment is dropped and counted in the
 * "kpi_overflow" operational counter instead.  Rows are never removed; a
 * reset zeroes the counters and keeps the keys, so a row's address stays
 * valid for the life of the table.
 *
 * Beside the rows the table holds the totals of every metric, the
 * operational counters of the module, and per-hour buckets of the last
 * OMNI_KPI_HOURS hours for the cart metrics (the dashboard's "abandoned
 * carts over time").
 *
 * Money is counted in cents; times are unix seconds.
 */

#ifndef OMNI_KPI_H_INCLUDED
#define OMNI_KPI_H_INCLUDED


#include <omni/omni.h>
#include <omni/activity.h>


#define OMNI_KPI_VERSION        1

#define OMNI_KPI_NAME_MAX       64      /* offer ids, segment names */
#define OMNI_KPI_SHORT_MAX      32      /* variant ids, channel names */
#define OMNI_KPI_MAX_PROBES     64
#define OMNI_KPI_HOURS          48

/* the variant an experiment's holdout group is counted under */
#define OMNI_KPI_HOLDOUT        "holdout"


typedef enum {
    OMNI_KPI_DIM_OFFER = 1,             /* offer id and variant id */
    OMNI_KPI_DIM_SEGMENT,
    OMNI_KPI_DIM_CHANNEL,
    OMNI_KPI_DIM_MAX
} omni_kpi_dim_e;


/* what each row, and the totals, count */
typedef enum {
    OMNI_KPI_VISITS = 0,
    OMNI_KPI_VIEWS,             /* product views */
    OMNI_KPI_IMPRESSIONS,       /* offer shown, or held out */
    OMNI_KPI_CLICKS,
    OMNI_KPI_CARTS,             /* add-to-cart events */
    OMNI_KPI_PURCHASES,
    OMNI_KPI_REVENUE,           /* cents, from purchase values */
    OMNI_KPI_ABANDONED,         /* carts found abandoned */
    OMNI_KPI_RECOVERED,         /* purchases that closed such a cart */
    OMNI_KPI_NMETRICS
} omni_kpi_metric_e;


/* what the request path reports */
typedef enum {
    OMNI_KPI_VISIT = 0,
    OMNI_KPI_VIEW,
    OMNI_KPI_IMPRESSION,
    OMNI_KPI_CLICK,
    OMNI_KPI_CART,
    OMNI_KPI_PURCHASE,          /* purchases += 1, revenue += value */
    OMNI_KPI_ABANDON,
    OMNI_KPI_RECOVER,
    OMNI_KPI_NEVENTS
} omni_kpi_event_e;


/* the metrics kept per hour */
typedef enum {
    OMNI_KPI_SERIES_CARTS = 0,
    OMNI_KPI_SERIES_PURCHASES,
    OMNI_KPI_SERIES_ABANDONED,
    OMNI_KPI_SERIES_RECOVERED,
    OMNI_KPI_NSERIES
} omni_kpi_series_e;


/* operational counters */
typedef enum {
    OMNI_KPI_OP_LOOKUPS = 0,            /* profile/activity lookups */
    OMNI_KPI_OP_STORE_MISSES,           /* lookups that found nothing */
    OMNI_KPI_OP_DECODE_ERRORS,          /* records that failed to decode */
    OMNI_KPI_OP_SNAPSHOT_RELOADS,       /* profiles snapshot reopened */
    OMNI_KPI_OP_EVENTS_QUEUED,
    OMNI_KPI_OP_EVENTS_FLUSHED,
    OMNI_KPI_OP_EVENTS_DROPPED,
    OMNI_KPI_OP_PAGES_REWRITTEN,
    OMNI_KPI_OP_SKIP_NOT_HTML,          /* pages skipped, by reason */
    OMNI_KPI_OP_SKIP_STATUS,
    OMNI_KPI_OP_SKIP_HEADER_ONLY,
    OMNI_KPI_OP_SKIP_ENCODED,
    OMNI_KPI_OP_SKIP_SUBREQUEST,
    OMNI_KPI_OP_SKIP_NO_CONSENT,
    OMNI_KPI_OP_SKIP_ERROR,
    OMNI_KPI_OP_KPI_OVERFLOW,           /* increments lost: table full */
    OMNI_KPI_OP_KPI_REJECTED,           /* increments lost: invalid key */
    OMNI_KPI_OP_PERSIST_WRITES,
    OMNI_KPI_OP_PERSIST_ERRORS,
    OMNI_KPI_NOPS
} omni_kpi_op_e;


typedef struct omni_kpi_s  omni_kpi_t;


/*
 * Where an event is counted: every non-empty field names a row.  A
 * variant is counted only with its offer; an experiment's holdout group
 * is counted as variant OMNI_KPI_HOLDOUT of the experiment's offer (and
 * left out of the offer's totals: it never saw the offer).  segments may
 * be NULL when nsegments is 0.  The strings are only read during the call.
 */
typedef struct {
    omni_str_t         offer;
    omni_str_t         variant;
    omni_str_t         channel;
    const omni_str_t  *segments;
    size_t             nsegments;
} omni_kpi_keys_t;


/* Sizing and setup */

/* bytes for a table of nrows rows */
size_t omni_kpi_size(uint32_t nrows);
/* the most rows a block of size bytes holds; 0 if not even one */
uint32_t omni_kpi_rows_for(size_t size);

/*
 * Formats a block: mem must be aligned to 64 bytes.  The table fills
 * the block; omni_kpi_init() returns OMNI_ETOOBIG when no row fits.
 */
int omni_kpi_init(void *mem, size_t size, int64_t now, omni_kpi_t **t);

/*
 * Whether a block holds a table of this layout version (a zone kept
 * across a reload may have been formatted by another build).
 */
int omni_kpi_compatible(const void *mem, size_t size);

uint32_t omni_kpi_capacity(const omni_kpi_t *t);
uint32_t omni_kpi_used(const omni_kpi_t *t);


/* The request path: lock-free, no allocation */

/*
 * Counts one event in the totals and in the row of every key given.
 * value is the purchase value in cents for OMNI_KPI_PURCHASE and is
 * ignored otherwise.  Returns OMNI_OK, or the first error met: OMNI_EFULL
 * (no row left; counted as kpi_overflow), OMNI_EINVAL (a key too long or
 * not printable UTF-8, or a negative value; counted as kpi_rejected).
 * Rows that could be counted are counted either way.
 */
int omni_kpi_count(omni_kpi_t *t, omni_kpi_event_e event,
    const omni_kpi_keys_t *keys, int64_t value, int64_t now);

void omni_kpi_op(omni_kpi_t *t, omni_kpi_op_e op, uint64_t n);

/*
 * Fills keys->offer and keys->variant from the offer last shown to the
 * visitor when it was shown at most window seconds before now; returns 1
 * then, 0 otherwise (keys untouched).
 */
int omni_kpi_attribute(omni_kpi_keys_t *keys, const omni_activity_t *a,
    int64_t now, int64_t window);


/* Lower level: one metric of one row */

int omni_kpi_add(omni_kpi_t *t, omni_kpi_dim_e dim, omni_str_t name,
    omni_str_t variant, omni_kpi_metric_e metric, uint64_t n);


/* Maintenance */

/* zeroes every counter, keeps the rows' keys */
void omni_kpi_reset(omni_kpi_t *t, int64_t now);

/*
 * Adds every counter of src to dst (a zone resized across a reload, a
 * snapshot file loaded at startup).  Rows that do not fit are counted as
 * kpi_overflow in dst.
 */
void omni_kpi_merge(omni_kpi_t *dst, const omni_kpi_t *src);

void omni_kpi_set_persisted(omni_kpi_t *t, int64_t when);


/* Reading: a consistent-enough copy for the status renderers */

typedef struct {
    omni_kpi_dim_e     dim;
    omni_str_t         name;            /* offer, segment or channel */
    omni_str_t         variant;         /* offer rows; may be empty */
    uint64_t           v[OMNI_KPI_NMETRICS];
} omni_kpi_row_t;


typedef struct {
    int64_t            now;
    int64_t            since;           /* created or last reset */
    int64_t            persisted;       /* 0: never */
    uint32_t           capacity;
    uint32_t           used;

    uint64_t           total[OMNI_KPI_NMETRICS];
    uint64_t           ops[OMNI_KPI_NOPS];

    int64_t            series_end;      /* start of the newest hour */
    uint64_t           series[OMNI_KPI_NSERIES][OMNI_KPI_HOURS];
                                        /* oldest first */

    size_t             nrows;           /* sorted: dim, name, variant */
    omni_kpi_row_t    *rows;
} omni_kpi_view_t;


/*
 * Copies the table into view, with at most nrows rows from the caller's
 * array (omni_kpi_used() rows always suffice).  Row names point into the
 * table, whose keys never change.
 */
void omni_kpi_view(const omni_kpi_t *t, int64_t now, omni_kpi_row_t *rows,
    size_t nrows, omni_kpi_view_t *view);


/* Persistence: a checksummed binary snapshot of the counters */

/* a malloc()ed snapshot of the table at time now */
int omni_kpi_encode(const omni_kpi_t *t, int64_t now, uint8_t **buf,
    size_t *len);
/* adds the counters of a snapshot to t; OMNI_EINVAL, OMNI_EVERSION */
int omni_kpi_decode(omni_kpi_t *t, const void *data, size_t len);

/*
 * Writes the snapshot to a temporary file beside path, syncs it and
 * renames it over path, so a reader sees the old or the new file, never
 * half of one.  Blocking: call it from a thread or at exit.
 */
int omni_kpi_save(const omni_kpi_t *t, const char *path, int64_t now);
/* OMNI_ENOTFOUND when path does not exist */
int omni_kpi_load(omni_kpi_t *t, const char *path);


/* Names, as used in the status JSON, Prometheus and configuration */

const char *omni_kpi_dim_name(omni_kpi_dim_e dim);
const char *omni_kpi_metric_name(omni_kpi_metric_e metric);
const char *omni_kpi_event_name(omni_kpi_event_e event);
/* OMNI_KPI_NEVENTS when unknown */
omni_kpi_event_e omni_kpi_event_by_name(const char *name, size_t len);
const char *omni_kpi_series_name(omni_kpi_series_e series);


#endif /* OMNI_KPI_H_INCLUDED */
