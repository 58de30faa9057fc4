/*
 * The store: two LMDB environments under one directory.
 *
 *   DIR/profiles/data.mdb   customer profiles, keyed by customer id (the
 *                           named database "profiles").  Read-only to
 *                           nginx.  The file is never changed in place:
 *                           every change (omnictl import, delete) builds a
 *                           new file next to it and renames it over
 *                           data.mdb, and a snapshot shipped from another
 *                           machine is installed the same way.  Readers
 *                           therefore open it without a lock file
 *                           (MDB_NOLOCK): each open maps one immutable
 *                           inode, and an old map stays valid, whatever
 *                           happens to the path, until it is closed.
 *
 *   DIR/activity/           what the edge learns, written in place by
 *                           nginx (tracking) and omnictl, with LMDB's own
 *                           locking.  Named databases: "visitors" (16-byte
 *                           visitor id -> activity record) and "customers"
 *                           (customer id -> visitor ids, sorted duplicates;
 *                           kept in step with the records' customer_id).
 *
 * Lookups copy the record out of the map into memory from the caller's
 * allocator, reset the transaction, and decode from the copy: no
 * transaction stays open between lookups, so a profiles file can be
 * swapped (omni_store_check) at any time between two of them.  The read
 * functions share one transaction per environment: call them from one
 * thread at a time.  Activity batches may run in other threads.
 */

#ifndef OMNI_STORE_H_INCLUDED
#define OMNI_STORE_H_INCLUDED


#include <omni/omni.h>
#include <omni/cookie.h>
#include <omni/profile.h>
#include <omni/activity.h>


#define OMNI_STORE_PROFILES          0x01   /* open profiles for reading */
#define OMNI_STORE_ACTIVITY          0x02   /* open activity, creating it */
#define OMNI_STORE_ACTIVITY_NOCREATE 0x04   /* with ACTIVITY: only if it
                                               exists already */
#define OMNI_STORE_CHOWN             0x08   /* files created in a directory
                                               owned by another user are
                                               given to that user (when
                                               run as root) */
#define OMNI_STORE_RANDOM            0x10   /* lookups only: no readahead
                                               (MDB_NORDAHEAD), so that
                                               memory holds the pages
                                               read and no others */

#define OMNI_STORE_MAP_SIZE          ((size_t) 1 << 30)
#define OMNI_STORE_WRITER_MAP_SIZE   ((size_t) 1 << 33)
#define OMNI_STORE_MAX_READERS       1024
#define OMNI_STORE_BATCH_LINES       10000


typedef struct omni_store_s          omni_store_t;
typedef struct omni_store_batch_s    omni_store_batch_t;
typedef struct omni_store_writer_s   omni_store_writer_t;


typedef struct {
    unsigned     flags;               /* OMNI_STORE_* */
    size_t       map_size;            /* activity map; 0: the default,
                                         or the existing file's */
    unsigned     max_readers;         /* 0: OMNI_STORE_MAX_READERS */
} omni_store_conf_t;


typedef enum {
    OMNI_STORE_UNCHANGED = 0,
    OMNI_STORE_OPENED,                /* profiles appeared or were replaced */
    OMNI_STORE_REMOVED,               /* the profiles file is gone: closed */
    OMNI_STORE_REJECTED               /* a new file is unusable: the old one
                                         stays, see omni_store_error() */
} omni_store_event_e;


typedef enum {
    OMNI_STORE_ENV_PROFILES = 0,
    OMNI_STORE_ENV_ACTIVITY
} omni_store_env_e;


typedef struct {
    int          ready;
    uint64_t     entries;             /* profiles, or visitors */
    uint64_t     links;               /* visitor-customer links */
    uint64_t     file_size;
    uint64_t     map_size;
    uint64_t     used;                /* bytes of the map in use */
    unsigned     page_size;
    unsigned     max_readers;         /* activity only */
    unsigned     readers;             /* reader slots in use, activity */
    uint64_t     txnid;
    int64_t      mtime;
} omni_store_stat_t;


/* the allocator a lookup copies the record into */
typedef void *(*omni_alloc_pt)(void *data, size_t size);

typedef int (*omni_store_profile_pt)(void *data, const omni_profile_t *p);
typedef int (*omni_store_activity_pt)(void *data, const omni_id_t *visitor,
    const omni_activity_t *a);
typedef int (*omni_store_visitor_pt)(void *data, const omni_id_t *visitor);


/*
 * Opens what conf->flags asks for.  An environment that cannot be opened
 * does not fail the call: omni_store_ready() says which are open and
 * omni_store_error() why one is not.  OMNI_ERROR only when out of memory
 * or the path is too long.
 */
int omni_store_open(omni_store_t **store, const char *dir,
    const omni_store_conf_t *conf);
void omni_store_close(omni_store_t *s);

int omni_store_ready(const omni_store_t *s, omni_store_env_e env);
const char *omni_store_error(const omni_store_t *s, omni_store_env_e env);
const char *omni_store_dir(const omni_store_t *s);

/*
 * Compares the profiles file on disk (inode, size, mtime) with the one
 * open, and opens a new one, replacing the old only once the new one is
 * known good.  A file rejected once is not retried until it changes.
 */
int omni_store_check(omni_store_t *s, omni_store_event_e *event);

/*
 * Tries again to open the activity environment when it is not open (its
 * directory may have been created or given to the right user since):
 * OMNI_OK once it is open.  Not while another thread may use the store.
 */
int omni_store_retry_activity(omni_store_t *s);

/*
 * Unmaps from this process the pages its lookups touched (MADV_DONTNEED;
 * they stay in the page cache and are mapped again by the next read), so
 * that the RSS of a process reading a large store is what it read since
 * the last trim, not everything it ever read.  Safe at any time.
 */
int omni_store_trim(omni_store_t *s);

/* frees the reader slots of dead processes (activity); *dead: how many */
int omni_store_reader_check(omni_store_t *s, int *dead);


/*
 * Lookups.  OMNI_OK; OMNI_ENOTFOUND (also when the environment is not
 * open); OMNI_EINVAL, OMNI_EVERSION, OMNI_ETOOBIG for a record that does
 * not decode; OMNI_AGAIN when an activity batch of this process holds the
 * map and the lookup would have to wait; OMNI_ERROR for an LMDB failure
 * (omni_store_error() tells which).
 */
int omni_store_get_profile(omni_store_t *s, const char *id, size_t len,
    omni_alloc_pt alloc, void *data, omni_profile_t *p);
int omni_store_get_activity(omni_store_t *s, const omni_id_t *visitor,
    omni_alloc_pt alloc, void *data, omni_activity_t *a);

/* the visitors linked to a customer, in id order */
int omni_store_customer_visitors(omni_store_t *s, const char *id,
    size_t len, omni_store_visitor_pt cb, void *data);

/*
 * Every record, in key order, decoded in place (valid during the call
 * only).  A callback's non-zero return stops the walk and is returned.
 * Records that do not decode are skipped and counted in *bad.
 */
int omni_store_profiles_each(omni_store_t *s, omni_store_profile_pt cb,
    void *data, uint64_t *bad);
int omni_store_activity_each(omni_store_t *s, omni_store_activity_pt cb,
    void *data, uint64_t *bad);

int omni_store_stat(omni_store_t *s, omni_store_env_e env,
    omni_store_stat_t *st);

/*
 * A compact, consistent copy of an environment's data file, written to a
 * temporary file beside dest and renamed over it: exactly what is shipped
 * to another edge as DIR/profiles/data.mdb.
 */
int omni_store_snapshot(omni_store_t *s, omni_store_env_e env,
    const char *dest);


/*
 * Activity writes: one write transaction per batch.  A batch may run on
 * another thread than the lookups (one batch at a time per store).
 *
 * get() returns the visitor's record as of the batch; its strings point
 * into the map and stay valid until the next write in the batch
 * (OMNI_ENOTFOUND: none; a decode error: the record is unreadable, start
 * from omni_activity_init()).  put()
 * encodes and stores a view (which may point into the map) and keeps the
 * customers index in step with its customer_id.  link() sets a visitor's
 * customer, creating the record if needed.  After a failed write the
 * batch can only be aborted.
 */
int omni_store_activity_begin(omni_store_t *s, omni_store_batch_t **b);
int omni_store_activity_get(omni_store_batch_t *b, const omni_id_t *visitor,
    omni_activity_t *a);
int omni_store_activity_put(omni_store_batch_t *b, const omni_id_t *visitor,
    const omni_activity_t *a);
int omni_store_activity_link(omni_store_batch_t *b,
    const omni_id_t *visitor, const char *customer, size_t len);
int omni_store_activity_delete(omni_store_batch_t *b,
    const omni_id_t *visitor);
/* deletes every visitor linked to the customer; cb sees each first */
int omni_store_activity_erase_customer(omni_store_batch_t *b,
    const char *id, size_t len, omni_store_visitor_pt cb, void *data,
    size_t *n);
int omni_store_activity_commit(omni_store_batch_t *b);
void omni_store_activity_abort(omni_store_batch_t *b);
const char *omni_store_batch_error(const omni_store_batch_t *b);
/* why the last batch of this store failed, begin() included */
const char *omni_store_activity_error(const omni_store_t *s);

/*
 * Durability of activity writes.  With nosync on, a commit hands its pages
 * to the operating system without waiting for the disk (LMDB's
 * MDB_NOSYNC): a process that dies loses nothing committed, a machine that
 * crashes loses what was committed since the last omni_store_sync().  Set
 * it before the first batch.  omni_store_sync() waits for the disk: call
 * it from the thread that writes batches, never from an event loop.
 */
int omni_store_activity_nosync(omni_store_t *s, int on);
int omni_store_sync(omni_store_t *s);


/*
 * Profile writes build a new profiles file: begin() takes the writers'
 * lock (DIR/profiles/writer.lock; OMNI_AGAIN if it is held and wait is
 * 0), copies the current file compacted to a temporary one, and opens a
 * write transaction on it; flush() commits a batch and starts the next;
 * publish() commits, syncs and renames the file over data.mdb, and
 * releases the writer.  abort() releases it and leaves the published file
 * as it was.  After a failure (of begin() too, which sets *w unless out
 * of memory) omni_store_writer_error() says why; then call abort().  A
 * failed put or delete leaves the transaction unusable: abort.
 */
int omni_store_profiles_begin(omni_store_t *s, size_t map_size, int wait,
    omni_store_writer_t **w);
int omni_store_profile_put(omni_store_writer_t *w, const omni_profile_t *p);
/* a record already encoded (and valid) under its customer id */
int omni_store_profile_put_record(omni_store_writer_t *w, const char *id,
    size_t len, const void *rec, size_t size);
/* OMNI_ENOTFOUND when there is no such profile */
int omni_store_profile_delete(omni_store_writer_t *w, const char *id,
    size_t len);
int omni_store_profiles_flush(omni_store_writer_t *w);
int omni_store_profiles_publish(omni_store_writer_t *w);
void omni_store_profiles_abort(omni_store_writer_t *w);
const char *omni_store_writer_error(const omni_store_writer_t *w);


/*
 * Erasure, the privacy-law path: every visitor linked to the customer is
 * deleted from activity (cb sees each first), then a new profiles file
 * without the customer is published (compacted, so that the profile's
 * bytes are not left in free pages of the published file).  *profile is
 * 1 when a profile was removed, *visitors the number of visitors.  On
 * failure err (OMNI_STORE_ERR_MAX bytes) says why.
 */
#define OMNI_STORE_ERR_MAX  256

int omni_store_erase_customer(omni_store_t *s, const char *id, size_t len,
    omni_store_visitor_pt cb, void *data, int *profile, size_t *visitors,
    char *err);


#endif /* OMNI_STORE_H_INCLUDED */
