/*
 * The store's private parts, shared by omni_store.c (open, check, reads),
 * omni_store_batch.c (activity writes) and omni_store_writer.c (new
 * profiles files).
 */

#ifndef OMNI_STORE_INT_H_INCLUDED
#define OMNI_STORE_INT_H_INCLUDED


#include <limits.h>
#include <pthread.h>
#include <sys/types.h>

#include <lmdb.h>

#include <omni/store.h>


#define OMNI_STORE_ERR_LEN        OMNI_STORE_ERR_MAX
#define OMNI_STORE_DIR_MAX        (PATH_MAX - 64)
#define OMNI_STORE_PROFILES_DB    "profiles"
#define OMNI_STORE_VISITORS_DB    "visitors"
#define OMNI_STORE_CUSTOMERS_DB   "customers"
#define OMNI_STORE_CUSTOMERS_FLAGS  (MDB_DUPSORT|MDB_DUPFIXED)
#define OMNI_STORE_FILE_MODE      0644
#define OMNI_STORE_ACTIVITY_MODE  0640


/* which file an open profiles environment maps */
typedef struct {
    dev_t        dev;
    ino_t        ino;
    off_t        size;
    long         mtime_sec;
    long         mtime_nsec;
} omni_file_id_t;


struct omni_store_batch_s {
    omni_store_t      *store;
    MDB_txn           *txn;
    char               err[OMNI_STORE_ERR_LEN];
    uint8_t            buf[OMNI_ACTIVITY_RECORD_MAX];
};


struct omni_store_s {
    omni_store_conf_t  conf;

    char               dir[OMNI_STORE_DIR_MAX];
    char               profiles_dir[PATH_MAX];
    char               profiles_path[PATH_MAX];     /* .../data.mdb */
    char               activity_dir[PATH_MAX];

    /* profiles: MDB_NOLOCK over one immutable file */
    MDB_env           *penv;
    MDB_txn           *ptxn;                        /* reset between reads */
    MDB_dbi            pdbi;
    omni_file_id_t     popen;
    omni_file_id_t     prejected;
    unsigned           has_rejected:1;
    char               perr[OMNI_STORE_ERR_LEN];

    /* activity: LMDB locking, batches possibly on other threads */
    MDB_env           *aenv;
    MDB_txn           *atxn;                        /* reset between reads */
    MDB_dbi            visitors;
    MDB_dbi            customers;
    char               aerr[OMNI_STORE_ERR_LEN];

    /*
     * write_lock is held by a batch from begin to commit; read_lock by a
     * lookup.  Resizing the map (MDB_MAP_RESIZED) needs both, so that no
     * transaction of this process is active: a lookup only ever tries
     * the locks, and gives up (OMNI_AGAIN) rather than wait.
     */
    pthread_mutex_t    write_lock;
    pthread_mutex_t    read_lock;

    omni_store_batch_t batch;
};


int omni_store_open_profiles_env(const char *path, unsigned flags,
    MDB_env **penv, MDB_dbi *dbi, omni_file_id_t *id, char *err);
void omni_store_err(char *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
int omni_store_mkdir(const char *path, mode_t mode, int chown_to_parent);
void omni_store_chown_like(const char *path, const char *dir);
int omni_store_fsync_dir(const char *dir);
/* owner: a directory whose owner the copy is given to (as root), or NULL */
int omni_store_copy_compact(MDB_env *env, const char *dest,
    const char *owner, char *err);


#endif /* OMNI_STORE_INT_H_INCLUDED */
