/*
 * KPI counters: the lock-free table.
 *
 * Concurrency: many processes (nginx workers) and threads share the
 * table.  A slot goes EMPTY -> BUSY (one CAS: the winner owns it) -> READY
 * (release store after the key is written), and never back.  A reader
 * compares keys only in READY slots (acquire load), so it never sees a
 * half-written key.  A slot left BUSY by a process that died mid-claim is
 * skipped after a bounded wait; so is one whose writer is merely slow,
 * which may then leave two rows with the same key: the readers sum them.
 * Counters are relaxed atomic additions: each is exact, and a reader sees
 * every counter at some recent value.
 */

#include <stdlib.h>
#include <string.h>

#include "omni_kpi_int.h"


#define OMNI_KPI_BUSY_SPINS  1024


_Static_assert(sizeof(omni_kpi_slot_t) == 192, "slot layout");
_Static_assert(sizeof(struct omni_kpi_s) % OMNI_KPI_ALIGN == 0, "layout");


static inline uint64_t omni_kpi_mix(uint64_t h, uint64_t w);
static inline uint64_t omni_kpi_hash_part(uint64_t h, const uint8_t *p,
    size_t len);
static uint32_t omni_kpi_hash(omni_kpi_dim_e dim, omni_str_t name,
    omni_str_t variant);
static inline int omni_kpi_equal(const char *a, const char *b, size_t len);
static int omni_kpi_key_fits(omni_kpi_dim_e dim, omni_str_t name,
    omni_str_t variant);
static int omni_kpi_slot_match(const omni_kpi_slot_t *s, uint32_t hash,
    omni_kpi_dim_e dim, omni_str_t name, omni_str_t variant);
static uint32_t omni_kpi_wait_ready(omni_kpi_slot_t *s);
static inline omni_kpi_slot_t *omni_kpi_lookup(omni_kpi_t *t,
    omni_kpi_dim_e dim, omni_str_t name, omni_str_t variant, int *rc);
static int omni_kpi_row_cmp(const void *a, const void *b);


static const omni_kpi_metric_e  omni_kpi_event_metric[OMNI_KPI_NEVENTS] = {
    OMNI_KPI_VISITS,
    OMNI_KPI_VIEWS,
    OMNI_KPI_IMPRESSIONS,
    OMNI_KPI_CLICKS,
    OMNI_KPI_CARTS,
    OMNI_KPI_PURCHASES,
    OMNI_KPI_ABANDONED,
    OMNI_KPI_RECOVERED
};


static const int  omni_kpi_event_series[OMNI_KPI_NEVENTS] = {
    -1,
    -1,
    -1,
    -1,
    OMNI_KPI_SERIES_CARTS,
    OMNI_KPI_SERIES_PURCHASES,
    OMNI_KPI_SERIES_ABANDONED,
    OMNI_KPI_SERIES_RECOVERED
};


static const char  *omni_kpi_dim_names[OMNI_KPI_DIM_MAX] = {
    NULL, "offer", "segment", "channel"
};

static const char  *omni_kpi_metric_names[OMNI_KPI_NMETRICS] = {
    "visits", "views", "impressions", "clicks", "carts", "purchases",
    "revenue_cents", "abandoned", "recovered"
};

static const char  *omni_kpi_event_names[OMNI_KPI_NEVENTS] = {
    "visit", "view", "impression", "click", "cart", "purchase", "abandon",
    "recover"
};

static const char  *omni_kpi_series_names[OMNI_KPI_NSERIES] = {
    "carts", "purchases", "abandoned", "recovered"
};


size_t
omni_kpi_size(uint32_t nrows)
{
    return sizeof(struct omni_kpi_s) + (size_t) nrows * sizeof(omni_kpi_slot_t);
}


uint32_t
omni_kpi_rows_for(size_t size)
{
    size_t  n;

    if (size < sizeof(struct omni_kpi_s)) {
        return 0;
    }

    n = (size - sizeof(struct omni_kpi_s)) / sizeof(omni_kpi_slot_t);

    return (n > UINT32_MAX) ? UINT32_MAX : (uint32_t) n;
}


int
omni_kpi_init(void *mem, size_t size, int64_t now, omni_kpi_t **tp)
{
    uint32_t     nrows;
    omni_kpi_t  *t;

    if (mem == NULL || ((uintptr_t) mem & (OMNI_KPI_ALIGN - 1)) != 0) {
        return OMNI_EINVAL;
    }

    nrows = omni_kpi_rows_for(size);
    if (nrows == 0) {
        return OMNI_ETOOBIG;
    }

    size = omni_kpi_size(nrows);
    memset(mem, 0, size);

    t = mem;
    t->magic = OMNI_KPI_MAGIC;
    t->version = OMNI_KPI_VERSION;
    t->nrows = nrows;
    t->slot_size = sizeof(omni_kpi_slot_t);
    t->size = size;
    t->since = now;

    *tp = t;

    return OMNI_OK;
}


int
omni_kpi_compatible(const void *mem, size_t size)
{
    const omni_kpi_t  *t = mem;

    return mem != NULL
           && size >= sizeof(struct omni_kpi_s)
           && t->magic == OMNI_KPI_MAGIC
           && t->version == OMNI_KPI_VERSION
           && t->slot_size == sizeof(omni_kpi_slot_t)
           && t->size <= size
           && t->size == omni_kpi_size(t->nrows);
}


uint32_t
omni_kpi_capacity(const omni_kpi_t *t)
{
    return t->nrows;
}


uint32_t
omni_kpi_used(const omni_kpi_t *t)
{
    return __atomic_load_n(&t->used, __ATOMIC_RELAXED);
}


/*
 * A multiply-xorshift over 8-byte words: keys are short, and this costs
 * a few nanoseconds where a byte-at-a-time hash costs tens.  A tail of 1
 * to 7 bytes is read as two overlapping loads (wyhash's trick), since a
 * variable-length memcpy() is a call.
 */

static inline uint64_t
omni_kpi_mix(uint64_t h, uint64_t w)
{
    h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;

    return h ^ (h >> 31);
}


static inline uint64_t
omni_kpi_hash_part(uint64_t h, const uint8_t *p, size_t len)
{
    size_t    i;
    uint32_t  a, b;
    uint64_t  w;

    for (i = 0; i + 8 <= len; i += 8) {
        memcpy(&w, p + i, 8);
        h = omni_kpi_mix(h, w);
    }

    len -= i;
    p += i;

    if (len >= 4) {
        memcpy(&a, p, 4);
        memcpy(&b, p + len - 4, 4);
        h = omni_kpi_mix(h, (uint64_t) a << 32 | b);

    } else if (len > 0) {
        h = omni_kpi_mix(h, (uint64_t) p[0] << 16 | (uint64_t) p[len >> 1] << 8
                            | p[len - 1]);
    }

    return h;
}


static uint32_t
omni_kpi_hash(omni_kpi_dim_e dim, omni_str_t name, omni_str_t variant)
{
    uint64_t  h;

    h = 0x9e3779b97f4a7c15ULL * ((uint64_t) dim + 1);
    h = omni_kpi_hash_part(h, (const uint8_t *) name.data, name.len);

    if (variant.len) {
        h = omni_kpi_hash_part(h ^ 0xff, (const uint8_t *) variant.data,
                               variant.len);
    }

    h = (h ^ (name.len << 8 | variant.len)) * 0x94d049bb133111ebULL;

    return (uint32_t) ((h ^ (h >> 29)) >> 32);
}


/* short keys: overlapping loads beat a call to memcmp() */

static inline int
omni_kpi_equal(const char *a, const char *b, size_t len)
{
    size_t    i;
    uint32_t  x4, y4, u4, v4;
    uint64_t  x, y;

    if (len >= 8) {
        for (i = 0; i + 8 < len; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);

            if (x != y) {
                return 0;
            }
        }

        memcpy(&x, a + len - 8, 8);
        memcpy(&y, b + len - 8, 8);

        return x == y;
    }

    if (len >= 4) {
        memcpy(&x4, a, 4);
        memcpy(&y4, b, 4);
        memcpy(&u4, a + len - 4, 4);
        memcpy(&v4, b + len - 4, 4);

        return ((x4 ^ y4) | (u4 ^ v4)) == 0;
    }

    if (len > 0) {
        return a[0] == b[0] && a[len >> 1] == b[len >> 1]
               && a[len - 1] == b[len - 1];
    }

    return 1;
}


/*
 * Printable UTF-8: no control characters and nothing a renderer would
 * have to repair.  Checked once, when a key is first inserted.
 */

int
omni_kpi_key_valid(const char *s, size_t len, size_t max)
{
    size_t               i, n, k;
    const unsigned char  *p = (const unsigned char *) s;

    if (len == 0 || len > max) {
        return 0;
    }

    for (i = 0; i < len; i += n) {

        if (p[i] < 0x80) {
            if (p[i] < 0x20 || p[i] == 0x7f) {
                return 0;
            }

            n = 1;
            continue;
        }

        if (p[i] >= 0xc2 && p[i] <= 0xdf) {
            n = 2;

        } else if (p[i] >= 0xe0 && p[i] <= 0xef) {
            n = 3;

        } else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
            n = 4;

        } else {
            return 0;
        }

        if (len - i < n) {
            return 0;
        }

        for (k = 1; k < n; k++) {
            if ((p[i + k] & 0xc0) != 0x80) {
                return 0;
            }
        }

        /* overlong forms, surrogates, above U+10FFFF */
        if ((p[i] == 0xe0 && p[i + 1] < 0xa0)
            || (p[i] == 0xed && p[i + 1] > 0x9f)
            || (p[i] == 0xf0 && p[i + 1] < 0x90)
            || (p[i] == 0xf4 && p[i + 1] > 0x8f))
        {
            return 0;
        }
    }

    return 1;
}


static int
omni_kpi_key_fits(omni_kpi_dim_e dim, omni_str_t name, omni_str_t variant)
{
    switch (dim) {

    case OMNI_KPI_DIM_OFFER:
        return omni_kpi_key_valid(name.data, name.len, OMNI_KPI_NAME_MAX)
               && (variant.len == 0
                   || omni_kpi_key_valid(variant.data, variant.len,
                                         OMNI_KPI_SHORT_MAX));

    case OMNI_KPI_DIM_SEGMENT:
        return variant.len == 0
               && omni_kpi_key_valid(name.data, name.len, OMNI_KPI_NAME_MAX);

    case OMNI_KPI_DIM_CHANNEL:
        return variant.len == 0
               && omni_kpi_key_valid(name.data, name.len,
                                     OMNI_KPI_SHORT_MAX);

    default:
        return 0;
    }
}


static int
omni_kpi_slot_match(const omni_kpi_slot_t *s, uint32_t hash,
    omni_kpi_dim_e dim, omni_str_t name, omni_str_t variant)
{
    return s->hash == hash
           && s->dim == dim
           && s->name_len == name.len
           && s->variant_len == variant.len
           && omni_kpi_equal(s->key, name.data, name.len)
           && omni_kpi_equal(s->key + name.len, variant.data, variant.len);
}


static uint32_t
omni_kpi_wait_ready(omni_kpi_slot_t *s)
{
    int       i;
    uint32_t  st;

    for (i = 0; i < OMNI_KPI_BUSY_SPINS; i++) {
        st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);

        if (st != OMNI_KPI_ROW_BUSY) {
            return st;
        }

#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }

    return OMNI_KPI_ROW_BUSY;
}


/*
 * Finds the row of a key, claiming an empty slot for it if there is none
 * yet.  Keys are validated only when inserted: a key that matches a
 * stored one was valid.
 */

omni_kpi_slot_t *
omni_kpi_find(omni_kpi_t *t, omni_kpi_dim_e dim, omni_str_t name,
    omni_str_t variant, int *rc)
{
    return omni_kpi_lookup(t, dim, name, variant, rc);
}


/*
 * Static and inline: in a shared object (the nginx module) a call to an
 * exported function goes through the PLT and cannot be inlined.
 */

static inline omni_kpi_slot_t *
omni_kpi_lookup(omni_kpi_t *t, omni_kpi_dim_e dim, omni_str_t name,
    omni_str_t variant, int *rc)
{
    int               i;
    uint32_t          hash, pos, st, expected;
    omni_kpi_slot_t  *s;

    if (name.len > OMNI_KPI_NAME_MAX || variant.len > OMNI_KPI_SHORT_MAX) {
        *rc = OMNI_EINVAL;
        return NULL;
    }

    hash = omni_kpi_hash(dim, name, variant);
    pos = (uint32_t) (((uint64_t) hash * t->nrows) >> 32);

    for (i = 0; i < OMNI_KPI_MAX_PROBES; i++) {
        s = &t->rows[pos];
        st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);

        if (st == OMNI_KPI_ROW_EMPTY) {

            if (!omni_kpi_key_fits(dim, name, variant)) {
                *rc = OMNI_EINVAL;
                return NULL;
            }

            expected = OMNI_KPI_ROW_EMPTY;

            if (__atomic_compare_exchange_n(&s->state, &expected,
                                            OMNI_KPI_ROW_BUSY, 0,
                                            __ATOMIC_ACQUIRE,
                                            __ATOMIC_ACQUIRE))
            {
                s->hash = hash;
                s->dim = (uint8_t) dim;
                s->name_len = (uint8_t) name.len;
                s->variant_len = (uint8_t) variant.len;
                memcpy(s->key, name.data, name.len);

                if (variant.len) {
                    memcpy(s->key + name.len, variant.data, variant.len);
                }

                __atomic_store_n(&s->state, OMNI_KPI_ROW_READY,
                                 __ATOMIC_RELEASE);
                __atomic_fetch_add(&t->used, 1, __ATOMIC_RELAXED);

                *rc = OMNI_OK;
                return s;
            }

            st = expected;
        }

        if (st == OMNI_KPI_ROW_BUSY) {
            st = omni_kpi_wait_ready(s);
        }

        if (st == OMNI_KPI_ROW_READY
            && omni_kpi_slot_match(s, hash, dim, name, variant))
        {
            *rc = OMNI_OK;
            return s;
        }

        if (++pos == t->nrows) {
            pos = 0;
        }
    }

    *rc = OMNI_EFULL;
    return NULL;
}


void
omni_kpi_series_add(omni_kpi_t *t, omni_kpi_series_e series, int64_t hour,
    uint64_t n)
{
    uint32_t   stamp, old;
    uint64_t  *p, w, nw;

    if (hour < 0) {
        return;
    }

    p = &t->series[hour % OMNI_KPI_HOURS][series];
    stamp = (uint32_t) hour & OMNI_KPI_STAMP_MASK;

    w = __atomic_load_n(p, __ATOMIC_RELAXED);

    for ( ;; ) {
        old = (uint32_t) (w >> OMNI_KPI_STAMP_SHIFT);

        if (old == stamp) {
            nw = w + (n & OMNI_KPI_COUNT_MASK);

            if ((nw >> OMNI_KPI_STAMP_SHIFT) != stamp) {
                /* the count is full: keep it there */
                nw = ((uint64_t) stamp << OMNI_KPI_STAMP_SHIFT)
                     | OMNI_KPI_COUNT_MASK;
            }

        } else if (((stamp - old) & OMNI_KPI_STAMP_MASK)
                   < (OMNI_KPI_STAMP_MASK >> 1))
        {
            /* the bucket is from an older hour: start this one */
            nw = ((uint64_t) stamp << OMNI_KPI_STAMP_SHIFT)
                 | (n & OMNI_KPI_COUNT_MASK);

        } else {
            /* a late event for an hour already recycled */
            return;
        }

        if (__atomic_compare_exchange_n(p, &w, nw, 1, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED))
        {
            return;
        }
    }
}


int
omni_kpi_count(omni_kpi_t *t, omni_kpi_event_e event,
    const omni_kpi_keys_t *keys, int64_t value, int64_t now)
{
    int                rc, first;
    size_t             i;
    omni_str_t         none = omni_null_string;
    omni_kpi_slot_t   *s;
    omni_kpi_metric_e  m;

    if ((unsigned) event >= OMNI_KPI_NEVENTS) {
        return OMNI_EINVAL;
    }

    if (event == OMNI_KPI_PURCHASE && value < 0) {
        omni_kpi_add64(&t->ops[OMNI_KPI_OP_KPI_REJECTED], 1);
        return OMNI_EINVAL;
    }

    m = omni_kpi_event_metric[event];

    omni_kpi_add64(&t->total[m], 1);

    if (event == OMNI_KPI_PURCHASE) {
        omni_kpi_add64(&t->total[OMNI_KPI_REVENUE], (uint64_t) value);
    }

    if (omni_kpi_event_series[event] >= 0) {
        omni_kpi_series_add(t, omni_kpi_event_series[event], now / 3600, 1);
    }

    if (keys == NULL) {
        return OMNI_OK;
    }

    first = OMNI_OK;

    /* the offer (and variant), the channel, then each segment */

    for (i = 0; i < 2 + keys->nsegments; i++) {

        switch (i) {

        case 0:
            if (keys->offer.len == 0) {
                continue;
            }

            s = omni_kpi_lookup(t, OMNI_KPI_DIM_OFFER, keys->offer,
                                keys->variant, &rc);
            break;

        case 1:
            if (keys->channel.len == 0) {
                continue;
            }

            s = omni_kpi_lookup(t, OMNI_KPI_DIM_CHANNEL, keys->channel,
                                none, &rc);
            break;

        default:
            if (keys->segments[i - 2].len == 0) {
                continue;
            }

            s = omni_kpi_lookup(t, OMNI_KPI_DIM_SEGMENT,
                                keys->segments[i - 2], none, &rc);
            break;
        }

        if (s == NULL) {
            omni_kpi_add64(&t->ops[rc == OMNI_EFULL ? OMNI_KPI_OP_KPI_OVERFLOW
                                                    : OMNI_KPI_OP_KPI_REJECTED],
                           1);

            if (first == OMNI_OK) {
                first = rc;
            }

            continue;
        }

        omni_kpi_add64(&s->v[m], 1);

        if (event == OMNI_KPI_PURCHASE) {
            omni_kpi_add64(&s->v[OMNI_KPI_REVENUE], (uint64_t) value);
        }
    }

    return first;
}


void
omni_kpi_op(omni_kpi_t *t, omni_kpi_op_e op, uint64_t n)
{
    if ((unsigned) op < OMNI_KPI_NOPS) {
        omni_kpi_add64(&t->ops[op], n);
    }
}


int
omni_kpi_attribute(omni_kpi_keys_t *keys, const omni_activity_t *a,
    int64_t now, int64_t window)
{
    if (a == NULL
        || a->last_offer.len == 0
        || a->last_offer_at > now
        || now - a->last_offer_at > window)
    {
        return 0;
    }

    keys->offer = a->last_offer;
    keys->variant = a->last_variant;

    return 1;
}


int
omni_kpi_add(omni_kpi_t *t, omni_kpi_dim_e dim, omni_str_t name,
    omni_str_t variant, omni_kpi_metric_e metric, uint64_t n)
{
    int               rc;
    omni_kpi_slot_t  *s;

    if ((unsigned) metric >= OMNI_KPI_NMETRICS) {
        return OMNI_EINVAL;
    }

    s = omni_kpi_find(t, dim, name, variant, &rc);

    if (s == NULL) {
        omni_kpi_add64(&t->ops[rc == OMNI_EFULL ? OMNI_KPI_OP_KPI_OVERFLOW
                                                : OMNI_KPI_OP_KPI_REJECTED],
                       1);
        return rc;
    }

    omni_kpi_add64(&s->v[metric], n);

    return OMNI_OK;
}


void
omni_kpi_reset(omni_kpi_t *t, int64_t now)
{
    uint32_t  i, k;

    for (i = 0; i < t->nrows; i++) {
        for (k = 0; k < OMNI_KPI_NMETRICS; k++) {
            __atomic_store_n(&t->rows[i].v[k], 0, __ATOMIC_RELAXED);
        }
    }

    for (k = 0; k < OMNI_KPI_NMETRICS; k++) {
        __atomic_store_n(&t->total[k], 0, __ATOMIC_RELAXED);
    }

    for (k = 0; k < OMNI_KPI_NOPS; k++) {
        __atomic_store_n(&t->ops[k], 0, __ATOMIC_RELAXED);
    }

    for (i = 0; i < OMNI_KPI_HOURS; i++) {
        for (k = 0; k < OMNI_KPI_NSERIES; k++) {
            __atomic_store_n(&t->series[i][k], 0, __ATOMIC_RELAXED);
        }
    }

    __atomic_store_n(&t->since, now, __ATOMIC_RELAXED);
}


void
omni_kpi_merge(omni_kpi_t *dst, const omni_kpi_t *src)
{
    int                     rc;
    uint32_t                i, k, stamp;
    uint64_t                w;
    omni_str_t              name, variant;
    omni_kpi_slot_t        *d;
    const omni_kpi_slot_t  *s;

    for (k = 0; k < OMNI_KPI_NMETRICS; k++) {
        omni_kpi_add64(&dst->total[k], omni_kpi_load64(&src->total[k]));
    }

    for (k = 0; k < OMNI_KPI_NOPS; k++) {
        omni_kpi_add64(&dst->ops[k], omni_kpi_load64(&src->ops[k]));
    }

    for (i = 0; i < OMNI_KPI_HOURS; i++) {
        for (k = 0; k < OMNI_KPI_NSERIES; k++) {
            w = omni_kpi_load64(&src->series[i][k]);
            stamp = (uint32_t) (w >> OMNI_KPI_STAMP_SHIFT);

            if ((w & OMNI_KPI_COUNT_MASK) == 0) {
                continue;
            }

            /* the bucket index gives the hour mod 48, the stamp the rest */
            omni_kpi_series_add(dst, k, stamp, w & OMNI_KPI_COUNT_MASK);
        }
    }

    for (i = 0; i < src->nrows; i++) {
        s = &src->rows[i];

        if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE)
            != OMNI_KPI_ROW_READY)
        {
            continue;
        }

        name.data = s->key;
        name.len = s->name_len;
        variant.data = s->key + s->name_len;
        variant.len = s->variant_len;

        d = omni_kpi_find(dst, s->dim, name, variant, &rc);

        if (d == NULL) {
            omni_kpi_add64(&dst->ops[rc == OMNI_EFULL
                                     ? OMNI_KPI_OP_KPI_OVERFLOW
                                     : OMNI_KPI_OP_KPI_REJECTED], 1);
            continue;
        }

        for (k = 0; k < OMNI_KPI_NMETRICS; k++) {
            omni_kpi_add64(&d->v[k], omni_kpi_load64(&s->v[k]));
        }
    }

    if (src->since < dst->since) {
        dst->since = src->since;
    }

    if (src->persisted > dst->persisted) {
        dst->persisted = src->persisted;
    }
}


void
omni_kpi_set_persisted(omni_kpi_t *t, int64_t when)
{
    __atomic_store_n(&t->persisted, when, __ATOMIC_RELAXED);
}


void
omni_kpi_view(const omni_kpi_t *t, int64_t now, omni_kpi_row_t *rows,
    size_t nrows, omni_kpi_view_t *view)
{
    size_t                  n, i, j;
    uint32_t                k;
    int64_t                 hour, h;
    uint64_t                w;
    omni_kpi_row_t         *r;
    const omni_kpi_slot_t  *s;

    memset(view, 0, sizeof(omni_kpi_view_t));

    view->now = now;
    view->since = __atomic_load_n(&t->since, __ATOMIC_RELAXED);
    view->persisted = __atomic_load_n(&t->persisted, __ATOMIC_RELAXED);
    view->capacity = t->nrows;
    view->used = omni_kpi_used(t);

    for (k = 0; k < OMNI_KPI_NMETRICS; k++) {
        view->total[k] = omni_kpi_load64(&t->total[k]);
    }

    for (k = 0; k < OMNI_KPI_NOPS; k++) {
        view->ops[k] = omni_kpi_load64(&t->ops[k]);
    }

    hour = (now < 0) ? 0 : now / 3600;
    view->series_end = hour * 3600;

    for (i = 0; i < OMNI_KPI_HOURS; i++) {
        h = hour - (OMNI_KPI_HOURS - 1) + (int64_t) i;

        if (h < 0) {
            continue;
        }

        for (k = 0; k < OMNI_KPI_NSERIES; k++) {
            w = omni_kpi_load64(&t->series[h % OMNI_KPI_HOURS][k]);

            if ((w >> OMNI_KPI_STAMP_SHIFT)
                == ((uint64_t) h & OMNI_KPI_STAMP_MASK))
            {
                view->series[k][i] = w & OMNI_KPI_COUNT_MASK;
            }
        }
    }

    n = 0;

    for (i = 0; i < t->nrows && n < nrows; i++) {
        s = &t->rows[i];

        if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE)
            != OMNI_KPI_ROW_READY)
        {
            continue;
        }

        r = &rows[n++];
        r->dim = s->dim;
        r->name.data = s->key;
        r->name.len = s->name_len;
        r->variant.data = s->key + s->name_len;
        r->variant.len = s->variant_len;

        for (k = 0; k < OMNI_KPI_NMETRICS; k++) {
            r->v[k] = omni_kpi_load64(&s->v[k]);
        }
    }

    if (n > 1) {
        qsort(rows, n, sizeof(omni_kpi_row_t), omni_kpi_row_cmp);
    }

    /* rows claimed twice for one key (see above) are summed */

    for (i = 0, j = 0; i < n; i++) {
        if (j > 0 && omni_kpi_row_cmp(&rows[j - 1], &rows[i]) == 0) {
            for (k = 0; k < OMNI_KPI_NMETRICS; k++) {
                rows[j - 1].v[k] += rows[i].v[k];
            }

            continue;
        }

        rows[j++] = rows[i];
    }

    view->rows = rows;
    view->nrows = j;
}


static int
omni_kpi_row_cmp(const void *a, const void *b)
{
    int                    rc;
    size_t                 n;
    const omni_kpi_row_t  *x = a, *y = b;

    if (x->dim != y->dim) {
        return (x->dim < y->dim) ? -1 : 1;
    }

    n = (x->name.len < y->name.len) ? x->name.len : y->name.len;
    rc = memcmp(x->name.data, y->name.data, n);

    if (rc != 0 || x->name.len != y->name.len) {
        return rc ? rc : (x->name.len < y->name.len ? -1 : 1);
    }

    n = (x->variant.len < y->variant.len) ? x->variant.len : y->variant.len;
    rc = memcmp(x->variant.data, y->variant.data, n);

    if (rc != 0 || x->variant.len != y->variant.len) {
        return rc ? rc : (x->variant.len < y->variant.len ? -1 : 1);
    }

    return 0;
}


const char *
omni_kpi_dim_name(omni_kpi_dim_e dim)
{
    if (dim <= 0 || dim >= OMNI_KPI_DIM_MAX) {
        return NULL;
    }

    return omni_kpi_dim_names[dim];
}


const char *
omni_kpi_metric_name(omni_kpi_metric_e metric)
{
    return ((unsigned) metric < OMNI_KPI_NMETRICS)
           ? omni_kpi_metric_names[metric] : NULL;
}


const char *
omni_kpi_event_name(omni_kpi_event_e event)
{
    return ((unsigned) event < OMNI_KPI_NEVENTS)
           ? omni_kpi_event_names[event] : NULL;
}


omni_kpi_event_e
omni_kpi_event_by_name(const char *name, size_t len)
{
    int  i;

    for (i = 0; i < OMNI_KPI_NEVENTS; i++) {
        if (strlen(omni_kpi_event_names[i]) == len
            && memcmp(omni_kpi_event_names[i], name, len) == 0)
        {
            return i;
        }
    }

    return OMNI_KPI_NEVENTS;
}


const char *
omni_kpi_series_name(omni_kpi_series_e series)
{
    return ((unsigned) series < OMNI_KPI_NSERIES)
           ? omni_kpi_series_names[series] : NULL;
}
