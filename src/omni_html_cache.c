/*
 * Anchor offsets of file regions: the marker that records them while the
 * scanner runs over a file, and a small direct-mapped cache by file
 * identity.
 */

#include <stdlib.h>
#include <string.h>

#include <omni/html_cache.h>


struct omni_html_cache_s {
    size_t                    mask;
    omni_html_cache_stats_t   stats;
    omni_html_entry_t        *slots[1];
};


static void omni_html_marker_add(omni_html_marker_t *m,
    const omni_html_mark_t *mark);
static int omni_html_marker_relevant(omni_html_marker_t *m,
    const omni_html_mark_t *mark, int first);
static size_t omni_html_cache_slot(const omni_html_cache_t *cache,
    const omni_html_file_key_t *key);


void
omni_html_marker_init(omni_html_marker_t *m, const omni_html_t *state,
    omni_html_mark_t *marks, size_t max, omni_str_t keep)
{
    memset(m, 0, sizeof(omni_html_marker_t));

    m->scan = *state;
    m->marks = marks;
    m->max = max;
    m->keep = keep;

    /* what the scanner holds from before the region comes back first */
    m->before = state->held;
    memcpy(m->held, state->tag, state->held);
}


void
omni_html_marker_feed(omni_html_marker_t *m, const void *data, size_t len,
    int last)
{
    size_t            pre;
    omni_html_mark_t  mark;
    omni_html_step_t  s;

    omni_html_feed(&m->scan, data, len, last);

    while (omni_html_next(&m->scan, &s) == OMNI_OK) {

        switch (s.op) {

        case OMNI_HTML_PASS:
            m->passed += s.len;
            break;

        case OMNI_HTML_HELD:
            pre = (s.len < m->before) ? s.len : m->before;

            if (pre) {
                memset(&mark, 0, sizeof(omni_html_mark_t));
                mark.offset = m->passed;
                mark.type = OMNI_HTML_MARK_GIVE_BACK;
                mark.len = (unsigned char) pre;

                omni_html_marker_add(m, &mark);
                m->before -= pre;
            }

            /* the rest were bytes of the region, plain file bytes */
            m->passed += s.len - pre;
            break;

        default: /* OMNI_HTML_INSERT */
            memset(&mark, 0, sizeof(omni_html_mark_t));
            mark.offset = m->passed;
            mark.type = OMNI_HTML_MARK_INSERT;
            mark.anchor = (unsigned char) s.anchor;
            mark.len = (unsigned char) s.name.len;

            if (s.name.len) {
                memcpy(mark.name, s.name.data, s.name.len);
            }

            omni_html_marker_add(m, &mark);
            break;
        }
    }
}


const char *
omni_html_marker_held(const omni_html_marker_t *m)
{
    return m->held;
}


static void
omni_html_marker_add(omni_html_marker_t *m, const omni_html_mark_t *mark)
{
    size_t  i, n;
    int     first;

    first = 1;

    if (m->nmarks == m->max) {

        if (!m->overflow) {
            /* keep what this caller needs, drop the other slots */
            m->overflow = 1;
            m->kept = 0;
            n = 0;

            for (i = 0; i < m->nmarks; i++) {
                if (omni_html_marker_relevant(m, &m->marks[i], !m->kept)) {
                    m->marks[n++] = m->marks[i];
                }
            }

            m->nmarks = n;
        }

        if (m->nmarks == m->max) {
            return;
        }
    }

    if (m->overflow) {
        first = !m->kept;

        if (!omni_html_marker_relevant(m, mark, first)) {
            return;
        }
    }

    m->marks[m->nmarks++] = *mark;

    if (mark->type == OMNI_HTML_MARK_INSERT
        && mark->anchor == OMNI_HTML_SLOT
        && mark->len == m->keep.len
        && memcmp(mark->name, m->keep.data, m->keep.len) == 0)
    {
        m->kept = 1;
    }
}


static int
omni_html_marker_relevant(omni_html_marker_t *m, const omni_html_mark_t *mark,
    int first)
{
    int  keep;

    if (mark->type != OMNI_HTML_MARK_INSERT
        || mark->anchor != OMNI_HTML_SLOT)
    {
        return 1;
    }

    keep = first && mark->len == m->keep.len && m->keep.len > 0
           && memcmp(mark->name, m->keep.data, m->keep.len) == 0;

    if (keep) {
        m->kept = 1;
    }

    return keep;
}


omni_html_cache_t *
omni_html_cache_new(size_t entries)
{
    size_t              n;
    omni_html_cache_t  *cache;

    n = 1;

    while (n < entries && n < ((size_t) 1 << 24)) {
        n <<= 1;
    }

    cache = calloc(1, sizeof(omni_html_cache_t)
                      + (n - 1) * sizeof(omni_html_entry_t *));
    if (cache == NULL) {
        return NULL;
    }

    cache->mask = n - 1;

    return cache;
}


void
omni_html_cache_free(omni_html_cache_t *cache)
{
    size_t  i;

    if (cache == NULL) {
        return;
    }

    for (i = 0; i <= cache->mask; i++) {
        free(cache->slots[i]);
    }

    free(cache);
}


const omni_html_entry_t *
omni_html_cache_get(omni_html_cache_t *cache, const omni_html_file_key_t *key)
{
    omni_html_entry_t  *e;

    e = cache->slots[omni_html_cache_slot(cache, key)];

    if (e == NULL || memcmp(&e->key, key, sizeof(omni_html_file_key_t)) != 0)
    {
        cache->stats.misses++;
        return NULL;
    }

    cache->stats.hits++;

    return e;
}


int
omni_html_cache_put(omni_html_cache_t *cache, const omni_html_file_key_t *key,
    const omni_html_marker_t *m, int fresh)
{
    size_t              slot, n;
    omni_html_entry_t  *e;

    if (!fresh || m->overflow) {
        return OMNI_EINVAL;
    }

    n = (m->nmarks > 0) ? m->nmarks : 1;

    e = malloc(sizeof(omni_html_entry_t) + (n - 1) * sizeof(omni_html_mark_t));
    if (e == NULL) {
        return OMNI_ERROR;
    }

    e->key = *key;
    e->end = m->scan;
    e->passed = m->passed;
    e->nmarks = m->nmarks;

    if (m->nmarks) {
        memcpy(e->marks, m->marks, m->nmarks * sizeof(omni_html_mark_t));
    }

    /* the region's bytes are gone; only the state is kept */
    e->end.chunk = NULL;
    e->end.len = 0;
    e->end.pos = 0;
    e->end.pass = 0;

    slot = omni_html_cache_slot(cache, key);

    if (cache->slots[slot]) {
        cache->stats.replaced++;
        free(cache->slots[slot]);
    }

    cache->slots[slot] = e;
    cache->stats.stores++;

    return OMNI_OK;
}


void
omni_html_cache_stats(const omni_html_cache_t *cache,
    omni_html_cache_stats_t *stats)
{
    *stats = cache->stats;
}


static size_t
omni_html_cache_slot(const omni_html_cache_t *cache,
    const omni_html_file_key_t *key)
{
    uint64_t  h;

    h = key->ino * 0x9e3779b97f4a7c15ULL;
    h ^= key->dev + (h << 6) + (h >> 2);
    h ^= key->size * 0xc2b2ae3d27d4eb4fULL;
    h ^= (uint64_t) key->mtime_sec * 0x165667b19e3779f9ULL;
    h ^= (uint64_t) key->mtime_nsec + key->start * 31 + key->end * 131;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;

    return (size_t) (h & cache->mask);
}
