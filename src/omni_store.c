/*
 * The store: opening both environments, noticing a new profiles file,
 * lookups, walks, statistics and snapshots.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "omni_store_int.h"


static int omni_store_open_activity(omni_store_t *s);
static void omni_store_close_profiles(omni_store_t *s);
static void omni_store_close_activity(omni_store_t *s);
static int omni_store_activity_whole(MDB_env *env, const char *path,
    char *err);
static int omni_store_renew(omni_store_t *s, MDB_env *env, MDB_txn *txn,
    int activity);
static int omni_store_copy_out(MDB_val *val, omni_alloc_pt alloc,
    void *data, void **copy);
static void omni_file_id(const struct stat *st, omni_file_id_t *id);
static int omni_file_id_eq(const omni_file_id_t *a,
    const omni_file_id_t *b);
static int omni_store_count_reader(const char *msg, void *ctx);
static int omni_store_unmap(dev_t dev, ino_t ino);


int
omni_store_open(omni_store_t **store, const char *dir,
    const omni_store_conf_t *conf)
{
    int            n;
    omni_store_t  *s;

    *store = NULL;

    s = calloc(1, sizeof(omni_store_t));
    if (s == NULL) {
        return OMNI_ERROR;
    }

    if (conf) {
        s->conf = *conf;
    }

    if (s->conf.max_readers == 0) {
        s->conf.max_readers = OMNI_STORE_MAX_READERS;
    }

    n = snprintf(s->dir, sizeof(s->dir), "%s", dir);

    if (n <= 0 || (size_t) n >= sizeof(s->dir)) {
        free(s);
        return OMNI_ERROR;
    }

    /* "DIR/" and "DIR" are one store */
    while (n > 1 && s->dir[n - 1] == '/') {
        s->dir[--n] = '\0';
    }

    snprintf(s->profiles_dir, PATH_MAX, "%s/profiles", s->dir);
    snprintf(s->profiles_path, PATH_MAX, "%s/profiles/data.mdb", s->dir);
    snprintf(s->activity_dir, PATH_MAX, "%s/activity", s->dir);

    if (pthread_mutex_init(&s->write_lock, NULL) != 0) {
        free(s);
        return OMNI_ERROR;
    }

    if (pthread_mutex_init(&s->read_lock, NULL) != 0) {
        pthread_mutex_destroy(&s->write_lock);
        free(s);
        return OMNI_ERROR;
    }

    s->batch.store = s;

    omni_store_err(s->perr, "profiles store not opened");
    omni_store_err(s->aerr, "activity store not opened");

    if (s->conf.flags & OMNI_STORE_PROFILES) {
        (void) omni_store_check(s, NULL);
    }

    if (s->conf.flags & OMNI_STORE_ACTIVITY) {
        (void) omni_store_open_activity(s);
    }

    *store = s;

    return OMNI_OK;
}


void
omni_store_close(omni_store_t *s)
{
    if (s == NULL) {
        return;
    }

    omni_store_close_profiles(s);
    omni_store_close_activity(s);

    pthread_mutex_destroy(&s->read_lock);
    pthread_mutex_destroy(&s->write_lock);

    free(s);
}


int
omni_store_ready(const omni_store_t *s, omni_store_env_e env)
{
    return env == OMNI_STORE_ENV_PROFILES ? s->penv != NULL
                                          : s->aenv != NULL;
}


const char *
omni_store_error(const omni_store_t *s, omni_store_env_e env)
{
    return env == OMNI_STORE_ENV_PROFILES ? s->perr : s->aerr;
}


const char *
omni_store_dir(const omni_store_t *s)
{
    return s->dir;
}


void
omni_store_err(char *err, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    vsnprintf(err, OMNI_STORE_ERR_LEN, fmt, args);
    va_end(args);
}


/*
 * A profiles file is opened without a lock file: nothing writes to it in
 * place, and a lock file shared by the old and the new file of a swap
 * would hand the new map the old file's last transaction id (LMDB reads
 * the meta page that id selects).  The map covers the file exactly, and
 * a file shorter than its own meta page says (a copy cut short) is
 * refused rather than mapped: reading past its end would kill the process
 * with SIGBUS.
 */

int
omni_store_open_profiles_env(const char *path, unsigned flags,
    MDB_env **penv, MDB_dbi *dbi, omni_file_id_t *id, char *err)
{
    int          rc, fd, e;
    size_t       need, map_size;
    MDB_txn     *txn;
    MDB_env     *env;
    MDB_stat     ms;
    struct stat  st;
    MDB_envinfo  info;

    *penv = NULL;

    if (stat(path, &st) != 0) {
        e = errno;
        omni_store_err(err, "cannot open \"%s\": %s", path, strerror(e));
        return e == ENOENT ? OMNI_ENOTFOUND : OMNI_ERROR;
    }

    rc = mdb_env_create(&env);
    if (rc != 0) {
        omni_store_err(err, "mdb_env_create(): %s", mdb_strerror(rc));
        return OMNI_ERROR;
    }

    map_size = ((size_t) st.st_size + 4095) & ~(size_t) 4095;

    if (map_size == 0) {
        map_size = 4096;
    }

    rc = mdb_env_set_maxdbs(env, 2);
    if (rc == 0) {
        rc = mdb_env_set_mapsize(env, map_size);
    }

    if (rc == 0) {
        rc = mdb_env_open(env, path, MDB_RDONLY|MDB_NOLOCK|MDB_NOSUBDIR
                                     |MDB_NOTLS
                                     |((flags & OMNI_STORE_RANDOM)
                                       ? MDB_NORDAHEAD : 0), 0);
    }

    if (rc != 0) {
        omni_store_err(err, "cannot open \"%s\": %s", path,
                       rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH
                       ? "not an LMDB file of this version"
                       : mdb_strerror(rc));
        goto failed;
    }

    rc = mdb_env_get_fd(env, &fd);
    if (rc != 0 || fstat(fd, &st) != 0) {
        omni_store_err(err, "cannot stat \"%s\": %s", path, strerror(errno));
        goto failed;
    }

    if (mdb_env_info(env, &info) != 0 || mdb_env_stat(env, &ms) != 0) {
        omni_store_err(err, "cannot read \"%s\"", path);
        goto failed;
    }

    need = (info.me_last_pgno + 1) * (size_t) ms.ms_psize;

    if ((size_t) st.st_size < need) {
        omni_store_err(err, "\"%s\" is truncated: %lld bytes, its pages "
                       "need %zu", path, (long long) st.st_size, need);
        goto failed;
    }

    rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    if (rc != 0) {
        omni_store_err(err, "cannot read \"%s\": %s", path, mdb_strerror(rc));
        goto failed;
    }

    rc = mdb_dbi_open(txn, OMNI_STORE_PROFILES_DB, 0, dbi);
    if (rc != 0) {
        mdb_txn_abort(txn);
        omni_store_err(err, "\"%s\" is not a profiles store (%s)", path,
                       mdb_strerror(rc));
        goto failed;
    }

    /* a committed read transaction makes the handle the environment's */
    rc = mdb_txn_commit(txn);
    if (rc != 0) {
        omni_store_err(err, "cannot read \"%s\": %s", path, mdb_strerror(rc));
        goto failed;
    }

    if (id) {
        omni_file_id(&st, id);
    }

    *penv = env;

    return OMNI_OK;

failed:

    mdb_env_close(env);

    return OMNI_ERROR;
}


int
omni_store_check(omni_store_t *s, omni_store_event_e *event)
{
    int             rc;
    char            err[OMNI_STORE_ERR_LEN];
    MDB_env        *env;
    MDB_txn        *txn;
    MDB_dbi         dbi;
    struct stat     st;
    omni_file_id_t  id;

    if (event) {
        *event = OMNI_STORE_UNCHANGED;
    }

    if (!(s->conf.flags & OMNI_STORE_PROFILES)) {
        return OMNI_OK;
    }

    if (stat(s->profiles_path, &st) != 0) {

        if (errno != ENOENT) {
            omni_store_err(s->perr, "cannot stat \"%s\": %s",
                           s->profiles_path, strerror(errno));
            return OMNI_ERROR;
        }

        omni_store_err(s->perr, "no profiles store \"%s\"", s->profiles_path);
        s->has_rejected = 0;

        if (s->penv == NULL) {
            return OMNI_OK;
        }

        /* removing the file withdraws the data it held */
        omni_store_close_profiles(s);

        if (event) {
            *event = OMNI_STORE_REMOVED;
        }

        return OMNI_OK;
    }

    omni_file_id(&st, &id);

    if ((s->penv && omni_file_id_eq(&id, &s->popen))
        || (s->has_rejected && omni_file_id_eq(&id, &s->prejected)))
    {
        return OMNI_OK;
    }

    rc = omni_store_open_profiles_env(s->profiles_path, s->conf.flags, &env,
                                      &dbi, &id, err);
    if (rc == OMNI_OK) {
        rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);

        if (rc != 0) {
            omni_store_err(err, "cannot read \"%s\": %s", s->profiles_path,
                           mdb_strerror(rc));
            mdb_env_close(env);
            rc = OMNI_ERROR;

        } else {
            mdb_txn_reset(txn);
        }
    }

    if (rc != OMNI_OK) {
        memcpy(s->perr, err, sizeof(err));

        /* the identity stat() saw: the same file is not tried again */
        omni_file_id(&st, &s->prejected);
        s->has_rejected = 1;

        if (event) {
            *event = OMNI_STORE_REJECTED;
        }

        return OMNI_ERROR;
    }

    /*
     * No transaction of the old map is open between two lookups, and the
     * new one has been read: the old one can go.
     */
    omni_store_close_profiles(s);

    s->penv = env;
    s->ptxn = txn;
    s->pdbi = dbi;
    s->popen = id;
    s->has_rejected = 0;
    s->perr[0] = '\0';

    if (event) {
        *event = OMNI_STORE_OPENED;
    }

    return OMNI_OK;
}


static void
omni_store_close_profiles(omni_store_t *s)
{
    if (s->ptxn) {
        mdb_txn_abort(s->ptxn);
        s->ptxn = NULL;
    }

    if (s->penv) {
        mdb_env_close(s->penv);
        s->penv = NULL;
    }
}


static int
omni_store_open_activity(omni_store_t *s)
{
    int          rc, dead;
    char         path[PATH_MAX + 16];
    MDB_txn     *txn;
    MDB_env     *env;
    struct stat  st;

    if (stat(s->activity_dir, &st) != 0) {

        if (errno != ENOENT || (s->conf.flags & OMNI_STORE_ACTIVITY_NOCREATE))
        {
            omni_store_err(s->aerr, "no activity store \"%s\": %s",
                           s->activity_dir, strerror(errno));
            return OMNI_ENOTFOUND;
        }

        if (omni_store_mkdir(s->activity_dir, 0750,
                             s->conf.flags & OMNI_STORE_CHOWN)
            != OMNI_OK)
        {
            omni_store_err(s->aerr, "cannot create \"%s\": %s (the store "
                           "directory must be writable by the user nginx "
                           "workers run as)", s->activity_dir,
                           strerror(errno));
            return OMNI_ERROR;
        }
    }

    rc = mdb_env_create(&env);
    if (rc != 0) {
        omni_store_err(s->aerr, "mdb_env_create(): %s", mdb_strerror(rc));
        return OMNI_ERROR;
    }

    snprintf(path, sizeof(path), "%s/data.mdb", s->activity_dir);

    rc = mdb_env_set_maxreaders(env, s->conf.max_readers);

    if (rc == 0) {
        rc = mdb_env_set_maxdbs(env, 4);
    }

    if (rc == 0 && s->conf.map_size) {
        rc = mdb_env_set_mapsize(env, s->conf.map_size);

    } else if (rc == 0 && stat(path, &st) != 0) {
        rc = mdb_env_set_mapsize(env, OMNI_STORE_MAP_SIZE);
    }

    if (rc == 0) {
        rc = mdb_env_open(env, s->activity_dir,
                          MDB_NOTLS|((s->conf.flags & OMNI_STORE_RANDOM)
                                     ? MDB_NORDAHEAD : 0),
                          OMNI_STORE_ACTIVITY_MODE);
    }

    if (rc != 0) {
        omni_store_err(s->aerr, "cannot open the activity store \"%s\": %s%s",
                       s->activity_dir, mdb_strerror(rc),
                       rc == EACCES ? " (its directory and files must "
                       "belong to the user nginx workers run as)" : "");
        mdb_env_close(env);
        return OMNI_ERROR;
    }

    /*
     * A file shorter than its own meta page says (a copy cut short, a
     * disk that filled at the wrong time) is refused: the first read past
     * its end would kill the process with SIGBUS, and every new worker
     * after it.  The operator moves it away; tracking starts afresh.
     */
    if (omni_store_activity_whole(env, path, s->aerr) != OMNI_OK) {
        mdb_env_close(env);
        return OMNI_ERROR;
    }

    if (s->conf.flags & OMNI_STORE_CHOWN) {
        omni_store_chown_like(path, s->activity_dir);
        snprintf(path, sizeof(path), "%s/lock.mdb", s->activity_dir);
        omni_store_chown_like(path, s->activity_dir);
    }

    /* slots left by processes that died without closing */
    (void) mdb_reader_check(env, &dead);

    /*
     * The databases are opened in a read transaction when they exist, so
     * that a process that only reads never waits for the writer's lock.
     */
    rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    if (rc == 0) {
        rc = mdb_dbi_open(txn, OMNI_STORE_VISITORS_DB, 0, &s->visitors);

        if (rc == 0) {
            rc = mdb_dbi_open(txn, OMNI_STORE_CUSTOMERS_DB,
                              OMNI_STORE_CUSTOMERS_FLAGS, &s->customers);
        }

        if (rc == 0) {
            rc = mdb_txn_commit(txn);

        } else {
            mdb_txn_abort(txn);
        }
    }

    if (rc == MDB_NOTFOUND) {
        rc = mdb_txn_begin(env, NULL, 0, &txn);

        if (rc == 0) {
            rc = mdb_dbi_open(txn, OMNI_STORE_VISITORS_DB, MDB_CREATE,
                              &s->visitors);

            if (rc == 0) {
                rc = mdb_dbi_open(txn, OMNI_STORE_CUSTOMERS_DB,
                                  MDB_CREATE|OMNI_STORE_CUSTOMERS_FLAGS,
                                  &s->customers);
            }

            if (rc == 0) {
                rc = mdb_txn_commit(txn);

            } else {
                mdb_txn_abort(txn);
            }
        }
    }

    if (rc == 0) {
        rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &s->atxn);
    }

    if (rc != 0) {
        omni_store_err(s->aerr, "cannot open the activity databases in "
                       "\"%s\": %s", s->activity_dir, mdb_strerror(rc));
        s->atxn = NULL;
        mdb_env_close(env);
        return OMNI_ERROR;
    }

    mdb_txn_reset(s->atxn);

    s->aenv = env;
    s->aerr[0] = '\0';

    return OMNI_OK;
}


static int
omni_store_activity_whole(MDB_env *env, const char *path, char *err)
{
    int          fd;
    size_t       need;
    MDB_stat     ms;
    struct stat  st;
    MDB_envinfo  info;

    if (mdb_env_get_fd(env, &fd) != 0 || fstat(fd, &st) != 0) {
        omni_store_err(err, "cannot stat \"%s\": %s", path, strerror(errno));
        return OMNI_ERROR;
    }

    if (mdb_env_info(env, &info) != 0 || mdb_env_stat(env, &ms) != 0) {
        omni_store_err(err, "cannot read \"%s\"", path);
        return OMNI_ERROR;
    }

    need = (info.me_last_pgno + 1) * (size_t) ms.ms_psize;

    if ((size_t) st.st_size < need) {
        omni_store_err(err, "the activity store \"%s\" is damaged: %lld "
                       "bytes, its pages need %zu (move it away to start "
                       "afresh)", path, (long long) st.st_size, need);
        return OMNI_ERROR;
    }

    /*
     * The file is extended to the whole map, sparse (no disk is used;
     * LMDB does the same with MDB_WRITEMAP): a damaged page whose offsets
     * point past the data then reads zeros, which LMDB reports as
     * MDB_CORRUPTED or MDB_PAGE_NOTFOUND, instead of a read past the end
     * of the file, which is SIGBUS.  Only ever grown, so any number of
     * processes may do it at once.
     */
    if ((size_t) st.st_size < info.me_mapsize
        && ftruncate(fd, (off_t) info.me_mapsize) != 0)
    {
        omni_store_err(err, "cannot extend \"%s\" to its map size: %s",
                       path, strerror(errno));
        return OMNI_ERROR;
    }

    return OMNI_OK;
}


static void
omni_store_close_activity(omni_store_t *s)
{
    if (s->atxn) {
        mdb_txn_abort(s->atxn);
        s->atxn = NULL;
    }

    if (s->aenv) {
        mdb_env_close(s->aenv);
        s->aenv = NULL;
    }
}


int
omni_store_retry_activity(omni_store_t *s)
{
    if (s->aenv) {
        return OMNI_OK;
    }

    if (!(s->conf.flags & OMNI_STORE_ACTIVITY)) {
        return OMNI_ENOTFOUND;
    }

    return omni_store_open_activity(s);
}


/*
 * LMDB does not tell where it mapped a file (mdb_env_info() reports the
 * address of MDB_FIXEDMAP, not the map's), so the map is found in
 * /proc/self/maps by the file's device and inode.
 */

int
omni_store_trim(omni_store_t *s)
{
    int           rc;
    char          path[PATH_MAX + 16];
    struct stat   st;

    rc = OMNI_OK;

    if (s->penv
        && omni_store_unmap(s->popen.dev, s->popen.ino) != OMNI_OK)
    {
        rc = OMNI_ERROR;
    }

    snprintf(path, sizeof(path), "%s/data.mdb", s->activity_dir);

    if (s->aenv && stat(path, &st) == 0
        && omni_store_unmap(st.st_dev, st.st_ino) != OMNI_OK)
    {
        rc = OMNI_ERROR;
    }

    return rc;
}


static int
omni_store_unmap(dev_t dev, ino_t ino)
{
#if defined(__linux__) && defined(MADV_DONTNEED)
    int                  rc;
    FILE                *f;
    char                 line[PATH_MAX + 128];
    unsigned             maj, mnr;
    unsigned long        start, end, inode;
    unsigned long long   off;

    f = fopen("/proc/self/maps", "re");
    if (f == NULL) {
        return OMNI_ERROR;
    }

    rc = OMNI_OK;

    while (fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "%lx-%lx %*s %llx %x:%x %lu", &start, &end, &off,
                   &maj, &mnr, &inode) != 6)
        {
            continue;
        }

        if (inode != (unsigned long) ino || maj != major(dev)
            || mnr != minor(dev))
        {
            continue;
        }

        /* a shared file mapping: the pages stay in the page cache */
        if (madvise((void *) start, end - start, MADV_DONTNEED) != 0) {
            rc = OMNI_ERROR;
        }
    }

    fclose(f);

    return rc;

#else

    (void) dev;
    (void) ino;

    return OMNI_OK;

#endif
}


int
omni_store_reader_check(omni_store_t *s, int *dead)
{
    int  n, rc;

    n = 0;

    if (s->aenv) {
        rc = mdb_reader_check(s->aenv, &n);
        if (rc != 0) {
            omni_store_err(s->aerr, "mdb_reader_check(): %s",
                           mdb_strerror(rc));
            return OMNI_ERROR;
        }
    }

    if (dead) {
        *dead = n;
    }

    return OMNI_OK;
}


/*
 * The map of the activity environment follows the file when another
 * process has grown it past this process's map size; resizing needs every
 * transaction of the process closed, so it is only done when no batch is
 * running (a lookup never waits for one).
 */

static int
omni_store_renew(omni_store_t *s, MDB_env *env, MDB_txn *txn, int activity)
{
    int  rc;

    rc = mdb_txn_renew(txn);

    if (rc == MDB_MAP_RESIZED && activity) {

        if (pthread_mutex_trylock(&s->write_lock) != 0) {
            return OMNI_AGAIN;
        }

        rc = mdb_env_set_mapsize(env, 0);

        pthread_mutex_unlock(&s->write_lock);

        if (rc == 0) {
            rc = mdb_txn_renew(txn);
        }
    }

    if (rc != 0) {
        omni_store_err(activity ? s->aerr : s->perr, "mdb_txn_renew(): %s",
                       mdb_strerror(rc));
        return OMNI_ERROR;
    }

    return OMNI_OK;
}


static int
omni_store_copy_out(MDB_val *val, omni_alloc_pt alloc, void *data,
    void **copy)
{
    /* a record too large to be valid is not copied at all */
    if (val->mv_size > OMNI_PROFILE_RECORD_MAX
        && val->mv_size > OMNI_ACTIVITY_RECORD_MAX)
    {
        *copy = NULL;
        return OMNI_ETOOBIG;
    }

    *copy = alloc(data, val->mv_size ? val->mv_size : 1);
    if (*copy == NULL) {
        return OMNI_ERROR;
    }

    memcpy(*copy, val->mv_data, val->mv_size);

    return OMNI_OK;
}


int
omni_store_get_profile(omni_store_t *s, const char *id, size_t len,
    omni_alloc_pt alloc, void *data, omni_profile_t *p)
{
    int      rc;
    void    *copy;
    MDB_val  key, val;

    if (s->penv == NULL || len == 0 || len > OMNI_KEY_MAX) {
        return OMNI_ENOTFOUND;
    }

    rc = omni_store_renew(s, s->penv, s->ptxn, 0);
    if (rc != OMNI_OK) {
        return rc;
    }

    key.mv_data = (void *) id;
    key.mv_size = len;

    rc = mdb_get(s->ptxn, s->pdbi, &key, &val);

    if (rc == 0) {
        rc = omni_store_copy_out(&val, alloc, data, &copy);

    } else if (rc == MDB_NOTFOUND) {
        rc = OMNI_ENOTFOUND;

    } else {
        omni_store_err(s->perr, "mdb_get(): %s", mdb_strerror(rc));
        rc = OMNI_ERROR;
    }

    mdb_txn_reset(s->ptxn);

    if (rc != OMNI_OK) {
        return rc;
    }

    return omni_profile_decode(copy, val.mv_size, p);
}


int
omni_store_get_activity(omni_store_t *s, const omni_id_t *visitor,
    omni_alloc_pt alloc, void *data, omni_activity_t *a)
{
    int      rc;
    void    *copy;
    MDB_val  key, val;

    if (s->aenv == NULL) {
        return OMNI_ENOTFOUND;
    }

    if (pthread_mutex_trylock(&s->read_lock) != 0) {
        return OMNI_AGAIN;
    }

    rc = omni_store_renew(s, s->aenv, s->atxn, 1);
    if (rc != OMNI_OK) {
        pthread_mutex_unlock(&s->read_lock);
        return rc;
    }

    key.mv_data = (void *) visitor->bytes;
    key.mv_size = OMNI_ID_SIZE;

    rc = mdb_get(s->atxn, s->visitors, &key, &val);

    if (rc == 0) {
        rc = omni_store_copy_out(&val, alloc, data, &copy);

    } else if (rc == MDB_NOTFOUND) {
        rc = OMNI_ENOTFOUND;

    } else {
        omni_store_err(s->aerr, "mdb_get(): %s", mdb_strerror(rc));
        rc = OMNI_ERROR;
    }

    mdb_txn_reset(s->atxn);
    pthread_mutex_unlock(&s->read_lock);

    if (rc != OMNI_OK) {
        return rc;
    }

    return omni_activity_decode(copy, val.mv_size, a);
}


int
omni_store_customer_visitors(omni_store_t *s, const char *id, size_t len,
    omni_store_visitor_pt cb, void *data)
{
    int          rc, stop;
    MDB_val      key, val;
    omni_id_t    visitor;
    MDB_cursor  *cur;

    if (s->aenv == NULL || len == 0 || len > OMNI_KEY_MAX) {
        return OMNI_ENOTFOUND;
    }

    if (pthread_mutex_trylock(&s->read_lock) != 0) {
        return OMNI_AGAIN;
    }

    rc = omni_store_renew(s, s->aenv, s->atxn, 1);
    if (rc != OMNI_OK) {
        pthread_mutex_unlock(&s->read_lock);
        return rc;
    }

    stop = 0;

    rc = mdb_cursor_open(s->atxn, s->customers, &cur);

    if (rc == 0) {
        key.mv_data = (void *) id;
        key.mv_size = len;

        for (rc = mdb_cursor_get(cur, &key, &val, MDB_SET_KEY);
             rc == 0;
             rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT_DUP))
        {
            if (val.mv_size != OMNI_ID_SIZE) {
                continue;
            }

            memcpy(visitor.bytes, val.mv_data, OMNI_ID_SIZE);

            stop = cb(data, &visitor);
            if (stop != 0) {
                break;
            }
        }

        mdb_cursor_close(cur);
    }

    mdb_txn_reset(s->atxn);
    pthread_mutex_unlock(&s->read_lock);

    if (stop != 0) {
        return stop;
    }

    if (rc != 0 && rc != MDB_NOTFOUND) {
        omni_store_err(s->aerr, "reading links: %s", mdb_strerror(rc));
        return OMNI_ERROR;
    }

    return OMNI_OK;
}


int
omni_store_profiles_each(omni_store_t *s, omni_store_profile_pt cb,
    void *data, uint64_t *bad)
{
    int             rc, stop;
    MDB_val         key, val;
    MDB_cursor     *cur;
    omni_profile_t *p;

    if (bad) {
        *bad = 0;
    }

    if (s->penv == NULL) {
        return OMNI_ENOTFOUND;
    }

    p = malloc(sizeof(omni_profile_t));
    if (p == NULL) {
        return OMNI_ERROR;
    }

    rc = omni_store_renew(s, s->penv, s->ptxn, 0);
    if (rc != OMNI_OK) {
        free(p);
        return rc;
    }

    stop = 0;

    rc = mdb_cursor_open(s->ptxn, s->pdbi, &cur);

    if (rc == 0) {
        for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
             rc == 0;
             rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT))
        {
            if (omni_profile_decode(val.mv_data, val.mv_size, p) != OMNI_OK
                || p->customer_id.len != key.mv_size
                || memcmp(p->customer_id.data, key.mv_data, key.mv_size) != 0)
            {
                if (bad) {
                    (*bad)++;
                }

                continue;
            }

            stop = cb(data, p);
            if (stop != 0) {
                break;
            }
        }

        mdb_cursor_close(cur);
    }

    mdb_txn_reset(s->ptxn);
    free(p);

    if (stop != 0) {
        return stop;
    }

    if (rc != 0 && rc != MDB_NOTFOUND) {
        omni_store_err(s->perr, "reading profiles: %s", mdb_strerror(rc));
        return OMNI_ERROR;
    }

    return OMNI_OK;
}


int
omni_store_activity_each(omni_store_t *s, omni_store_activity_pt cb,
    void *data, uint64_t *bad)
{
    int              rc, stop;
    MDB_val          key, val;
    omni_id_t        visitor;
    MDB_cursor      *cur;
    omni_activity_t *a;

    if (bad) {
        *bad = 0;
    }

    if (s->aenv == NULL) {
        return OMNI_ENOTFOUND;
    }

    a = malloc(sizeof(omni_activity_t));
    if (a == NULL) {
        return OMNI_ERROR;
    }

    if (pthread_mutex_trylock(&s->read_lock) != 0) {
        free(a);
        return OMNI_AGAIN;
    }

    rc = omni_store_renew(s, s->aenv, s->atxn, 1);
    if (rc != OMNI_OK) {
        pthread_mutex_unlock(&s->read_lock);
        free(a);
        return rc;
    }

    stop = 0;

    rc = mdb_cursor_open(s->atxn, s->visitors, &cur);

    if (rc == 0) {
        for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
             rc == 0;
             rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT))
        {
            if (key.mv_size != OMNI_ID_SIZE
                || omni_activity_decode(val.mv_data, val.mv_size, a)
                   != OMNI_OK)
            {
                if (bad) {
                    (*bad)++;
                }

                continue;
            }

            memcpy(visitor.bytes, key.mv_data, OMNI_ID_SIZE);

            stop = cb(data, &visitor, a);
            if (stop != 0) {
                break;
            }
        }

        mdb_cursor_close(cur);
    }

    mdb_txn_reset(s->atxn);
    pthread_mutex_unlock(&s->read_lock);
    free(a);

    if (stop != 0) {
        return stop;
    }

    if (rc != 0 && rc != MDB_NOTFOUND) {
        omni_store_err(s->aerr, "reading activity: %s", mdb_strerror(rc));
        return OMNI_ERROR;
    }

    return OMNI_OK;
}


static int
omni_store_count_reader(const char *msg, void *ctx)
{
    unsigned  *n = ctx;
    long       pid;

    /* one line per slot in use after a header: "pid thread txnid" */
    if (sscanf(msg, "%ld", &pid) == 1) {
        (*n)++;
    }

    return 0;
}


int
omni_store_stat(omni_store_t *s, omni_store_env_e which,
    omni_store_stat_t *st)
{
    int          rc, activity;
    char         path[PATH_MAX + 16];
    MDB_env     *env;
    MDB_txn     *txn;
    MDB_stat     ms;
    struct stat  fst;
    MDB_envinfo  info;

    memset(st, 0, sizeof(omni_store_stat_t));

    activity = (which == OMNI_STORE_ENV_ACTIVITY);
    env = activity ? s->aenv : s->penv;
    txn = activity ? s->atxn : s->ptxn;

    if (env == NULL) {
        return OMNI_ENOTFOUND;
    }

    st->ready = 1;

    if (mdb_env_info(env, &info) != 0 || mdb_env_stat(env, &ms) != 0) {
        return OMNI_ERROR;
    }

    st->map_size = info.me_mapsize;
    st->page_size = ms.ms_psize;
    st->used = (uint64_t) (info.me_last_pgno + 1) * ms.ms_psize;
    st->txnid = info.me_last_txnid;

    if (activity) {
        st->max_readers = info.me_maxreaders;
        (void) mdb_reader_list(env, omni_store_count_reader, &st->readers);
    }

    if (activity) {
        snprintf(path, sizeof(path), "%s/data.mdb", s->activity_dir);

        if (stat(path, &fst) == 0) {
            st->file_size = (uint64_t) fst.st_size;
            st->mtime = (int64_t) fst.st_mtime;
        }

    } else {
        st->file_size = (uint64_t) s->popen.size;
        st->mtime = s->popen.mtime_sec;
    }

    if (activity && pthread_mutex_trylock(&s->read_lock) != 0) {
        return OMNI_AGAIN;
    }

    rc = omni_store_renew(s, env, txn, activity);

    if (rc == OMNI_OK) {
        if (activity) {
            if (mdb_stat(txn, s->visitors, &ms) == 0) {
                st->entries = ms.ms_entries;
            }

            if (mdb_stat(txn, s->customers, &ms) == 0) {
                st->links = ms.ms_entries;
            }

        } else if (mdb_stat(txn, s->pdbi, &ms) == 0) {
            st->entries = ms.ms_entries;
        }

        mdb_txn_reset(txn);
    }

    if (activity) {
        pthread_mutex_unlock(&s->read_lock);
    }

    return rc;
}


int
omni_store_snapshot(omni_store_t *s, omni_store_env_e which,
    const char *dest)
{
    MDB_env  *env;
    char     *err;

    env = (which == OMNI_STORE_ENV_ACTIVITY) ? s->aenv : s->penv;
    err = (which == OMNI_STORE_ENV_ACTIVITY) ? s->aerr : s->perr;

    if (env == NULL) {
        return OMNI_ENOTFOUND;
    }

    return omni_store_copy_compact(env, dest, NULL, err);
}


/*
 * dest, or dest/data.mdb when dest is a directory, is replaced atomically:
 * the copy goes to a temporary file in the same directory (a hidden name
 * that a profiles writer sweeps away if the copy dies half way), is
 * synced, and renamed over it.
 */

int
omni_store_copy_compact(MDB_env *env, const char *dest, const char *owner,
    char *err)
{
    int          fd, rc, n;
    char         path[OMNI_STORE_DIR_MAX], dir[OMNI_STORE_DIR_MAX];
    char         tmp[2 * PATH_MAX];
    char        *slash;
    const char  *base;
    struct stat  st;

    if (stat(dest, &st) == 0 && S_ISDIR(st.st_mode)) {
        n = snprintf(path, sizeof(path), "%s/data.mdb", dest);

    } else {
        n = snprintf(path, sizeof(path), "%s", dest);
    }

    if (n <= 0 || (size_t) n >= sizeof(path)) {
        omni_store_err(err, "path too long: \"%s\"", dest);
        return OMNI_ERROR;
    }

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');

    if (slash == NULL) {
        snprintf(dir, sizeof(dir), ".");
        base = path;

    } else {
        base = path + (slash - dir) + 1;

        if (slash == dir) {
            dir[1] = '\0';

        } else {
            *slash = '\0';
        }
    }

    snprintf(tmp, sizeof(tmp), "%s/.%s.%ld.copy.tmp", dir, base,
             (long) getpid());

    fd = open(tmp, O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, OMNI_STORE_FILE_MODE);
    if (fd == -1) {
        omni_store_err(err, "cannot create \"%s\": %s", tmp, strerror(errno));
        return OMNI_ERROR;
    }

    rc = mdb_env_copyfd2(env, fd, MDB_CP_COMPACT);

    if (rc != 0) {
        omni_store_err(err, "cannot copy to \"%s\": %s", tmp,
                       mdb_strerror(rc));
        goto failed;
    }

    if (fsync(fd) != 0) {
        omni_store_err(err, "cannot sync \"%s\": %s", tmp, strerror(errno));
        goto failed;
    }

    if (close(fd) != 0) {
        fd = -1;
        omni_store_err(err, "cannot write \"%s\": %s", tmp, strerror(errno));
        goto failed;
    }

    fd = -1;

    if (owner) {
        omni_store_chown_like(tmp, owner);
    }

    if (rename(tmp, path) != 0) {
        omni_store_err(err, "cannot rename \"%s\" to \"%s\": %s", tmp, path,
                       strerror(errno));
        goto failed;
    }

    (void) omni_store_fsync_dir(dir);

    return OMNI_OK;

failed:

    if (fd != -1) {
        close(fd);
    }

    unlink(tmp);

    return OMNI_ERROR;
}


int
omni_store_mkdir(const char *path, mode_t mode, int chown_to_parent)
{
    char  parent[PATH_MAX], *slash;

    if (mkdir(path, mode) != 0) {
        return errno == EEXIST ? OMNI_OK : OMNI_ERROR;
    }

    if (chown_to_parent) {
        snprintf(parent, sizeof(parent), "%s", path);
        slash = strrchr(parent, '/');

        if (slash && slash != parent) {
            *slash = '\0';
            omni_store_chown_like(path, parent);
        }
    }

    return OMNI_OK;
}


/*
 * A store directory prepared for the nginx workers' user stays theirs
 * when root (omnictl run by an operator) adds a file to it.
 */

void
omni_store_chown_like(const char *path, const char *dir)
{
    struct stat  dst, fst;

    if (geteuid() != 0 || stat(dir, &dst) != 0 || stat(path, &fst) != 0) {
        return;
    }

    if (fst.st_uid == dst.st_uid && fst.st_gid == dst.st_gid) {
        return;
    }

    (void) chown(path, dst.st_uid, dst.st_gid);
}


int
omni_store_fsync_dir(const char *dir)
{
    int  fd, rc;

    fd = open(dir, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
    if (fd == -1) {
        return OMNI_ERROR;
    }

    rc = fsync(fd);
    close(fd);

    return rc == 0 ? OMNI_OK : OMNI_ERROR;
}


static void
omni_file_id(const struct stat *st, omni_file_id_t *id)
{
    id->dev = st->st_dev;
    id->ino = st->st_ino;
    id->size = st->st_size;
    id->mtime_sec = (long) st->st_mtim.tv_sec;
    id->mtime_nsec = (long) st->st_mtim.tv_nsec;
}


static int
omni_file_id_eq(const omni_file_id_t *a, const omni_file_id_t *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size
           && a->mtime_sec == b->mtime_sec && a->mtime_nsec == b->mtime_nsec;
}
