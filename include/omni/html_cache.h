/*
 * Anchor offsets of files, so that a page served from a file (a static
 * file, a proxy_cache entry) can stay on the sendfile path: the file is
 * scanned once, the places where content goes are remembered by file
 * identity, and later responses only split the file at those offsets.
 *
 * The marker runs the scanner over a region of a file fed in pieces and
 * records every step that is not plain file bytes: an insertion (at a
 * region offset), and bytes held from before the region that are given
 * back.  Region bytes the scanner held and gave back again are plain file
 * bytes for the caller, so only offsets are kept.
 *
 * The cache is a direct-mapped table owned by one thread (an nginx
 * worker): a newer entry for the same slot replaces the older one.
 */

#ifndef OMNI_HTML_CACHE_H_INCLUDED
#define OMNI_HTML_CACHE_H_INCLUDED


#include <omni/html.h>


#define OMNI_HTML_MARKS_MAX  64     /* kept per cached region */


typedef enum {
    OMNI_HTML_MARK_INSERT = 0,
    OMNI_HTML_MARK_GIVE_BACK        /* len bytes held before the region */
} omni_html_mark_e;


typedef struct {
    uint64_t                 offset;    /* region bytes before the mark */
    unsigned char            type;      /* omni_html_mark_e */
    unsigned char            anchor;    /* omni_html_anchor_e */
    unsigned char            len;       /* slot name, or bytes given back */
    char                     name[OMNI_HTML_SLOT_NAME_MAX];
} omni_html_mark_t;


typedef struct {
    omni_html_t              scan;
    uint64_t                 passed;    /* region bytes passed so far */
    size_t                   before;    /* held from before, not yet back */
    char                     held[OMNI_HTML_HOLD_MAX];
    omni_html_mark_t        *marks;
    size_t                   nmarks;
    size_t                   max;
    omni_str_t               keep;      /* the slot kept after an overflow */
    int                      overflow;  /* some slot marks were dropped */
    int                      kept;      /* the kept slot was marked */
} omni_html_marker_t;


/*
 * Starts a marker from a scanner's state (copied; the scanner itself is
 * not touched) with room for max marks.  Past max, marks of slots other
 * than keep are dropped, and so are repeats of keep: the marks stay
 * complete for the anchors and the first marker of keep, and overflow
 * tells that they are not complete for every slot.
 */
void omni_html_marker_init(omni_html_marker_t *m, const omni_html_t *state,
    omni_html_mark_t *marks, size_t max, omni_str_t keep);

/* feeds the next piece of the region; last: the page ends with it */
void omni_html_marker_feed(omni_html_marker_t *m, const void *data,
    size_t len, int last);

/* the bytes a GIVE_BACK mark stands for, in the order of the marks */
const char *omni_html_marker_held(const omni_html_marker_t *m);


typedef struct {
    uint64_t                 dev;
    uint64_t                 ino;
    uint64_t                 size;
    int64_t                  mtime_sec;
    int64_t                  mtime_nsec;
    uint64_t                 start;     /* the region of the file */
    uint64_t                 end;
} omni_html_file_key_t;


/* a region scanned from a fresh scanner: no GIVE_BACK marks */
typedef struct {
    omni_html_file_key_t     key;
    omni_html_t              end;       /* the scanner after the region */
    uint64_t                 passed;    /* region bytes passed; the rest
                                           is held in end */
    size_t                   nmarks;
    omni_html_mark_t         marks[1];
} omni_html_entry_t;


typedef struct omni_html_cache_s  omni_html_cache_t;


typedef struct {
    uint64_t                 hits;
    uint64_t                 misses;
    uint64_t                 stores;
    uint64_t                 replaced;
} omni_html_cache_stats_t;


/* entries is rounded up to a power of two; NULL when out of memory */
omni_html_cache_t *omni_html_cache_new(size_t entries);
void omni_html_cache_free(omni_html_cache_t *cache);

/* NULL on a miss; an entry stays valid until the next put */
const omni_html_entry_t *omni_html_cache_get(omni_html_cache_t *cache,
    const omni_html_file_key_t *key);

/*
 * Stores the marker's result for key.  OMNI_EINVAL when the marker is
 * not cacheable: it started from a scanner that was not fresh, or it
 * overflowed.  OMNI_ERROR when out of memory.
 */
int omni_html_cache_put(omni_html_cache_t *cache,
    const omni_html_file_key_t *key, const omni_html_marker_t *m,
    int fresh);

void omni_html_cache_stats(const omni_html_cache_t *cache,
    omni_html_cache_stats_t *stats);


#endif /* OMNI_HTML_CACHE_H_INCLUDED */
