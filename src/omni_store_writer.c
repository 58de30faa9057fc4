/*
 * Profile writes: a new profiles file is built beside the published one
 * and renamed over it, so that readers (which map the file without a lock
 * file) only ever see complete, immutable files.
 *
 *     DIR/profiles/writer.lock           flock()ed by the one writer
 *     DIR/profiles/.data.mdb.PID.tmp     the file being built
 *     DIR/profiles/data.mdb              the published file
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "omni_store_int.h"


struct omni_store_writer_s {
    omni_store_t   *store;
    int             lock_fd;
    char            tmp[PATH_MAX + 32];
    MDB_env        *env;
    MDB_txn        *txn;
    MDB_dbi         dbi;
    size_t          map_size;
    char            err[OMNI_STORE_ERR_LEN];
    uint8_t         buf[OMNI_PROFILE_RECORD_MAX];
};


static int omni_store_writer_lock(omni_store_writer_t *w, int wait);
static void omni_store_writer_sweep(omni_store_writer_t *w);
static int omni_store_writer_copy(omni_store_writer_t *w);
static int omni_store_writer_open(omni_store_writer_t *w);
static int omni_store_writer_fail(omni_store_writer_t *w, const char *what,
    int rc);


int
omni_store_profiles_begin(omni_store_t *s, size_t map_size, int wait,
    omni_store_writer_t **wp)
{
    int                   rc;
    omni_store_writer_t  *w;

    *wp = NULL;

    w = calloc(1, sizeof(omni_store_writer_t));
    if (w == NULL) {
        return OMNI_ERROR;
    }

    w->store = s;
    w->lock_fd = -1;
    w->map_size = map_size ? map_size : OMNI_STORE_WRITER_MAP_SIZE;

    *wp = w;

    if (omni_store_mkdir(s->dir, 0755, 0) != OMNI_OK
        || omni_store_mkdir(s->profiles_dir, 0755,
                            s->conf.flags & OMNI_STORE_CHOWN)
           != OMNI_OK)
    {
        omni_store_err(w->err, "cannot create \"%s\": %s", s->profiles_dir,
                       strerror(errno));
        return OMNI_ERROR;
    }

    rc = omni_store_writer_lock(w, wait);
    if (rc != OMNI_OK) {
        return rc;
    }

    omni_store_writer_sweep(w);

    snprintf(w->tmp, sizeof(w->tmp), "%s/.data.mdb.%ld.tmp",
             s->profiles_dir, (long) getpid());

    rc = omni_store_writer_copy(w);
    if (rc != OMNI_OK) {
        return rc;
    }

    return omni_store_writer_open(w);
}


static int
omni_store_writer_lock(omni_store_writer_t *w, int wait)
{
    char  path[PATH_MAX + 16];

    snprintf(path, sizeof(path), "%s/writer.lock", w->store->profiles_dir);

    /* read-only is enough for flock(), and works for any user */
    w->lock_fd = open(path, O_RDONLY|O_CREAT|O_CLOEXEC, OMNI_STORE_FILE_MODE);
    if (w->lock_fd == -1) {
        omni_store_err(w->err, "cannot open \"%s\": %s", path,
                       strerror(errno));
        return OMNI_ERROR;
    }

    if (flock(w->lock_fd, LOCK_EX|LOCK_NB) == 0) {
        return OMNI_OK;
    }

    if (errno != EWOULDBLOCK) {
        omni_store_err(w->err, "cannot lock \"%s\": %s", path,
                       strerror(errno));
        return OMNI_ERROR;
    }

    omni_store_err(w->err, "another process is writing the profiles store "
                   "(it holds \"%s\")", path);

    if (!wait) {
        return OMNI_AGAIN;
    }

    while (flock(w->lock_fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            omni_store_err(w->err, "cannot lock \"%s\": %s", path,
                           strerror(errno));
            return OMNI_ERROR;
        }
    }

    w->err[0] = '\0';

    return OMNI_OK;
}


/* files left by a writer that died: the lock says nobody else writes */

static void
omni_store_writer_sweep(omni_store_writer_t *w)
{
    DIR            *dir;
    char            path[PATH_MAX + 256];
    size_t          len;
    struct dirent  *de;

    dir = opendir(w->store->profiles_dir);
    if (dir == NULL) {
        return;
    }

    while ((de = readdir(dir)) != NULL) {
        len = strlen(de->d_name);

        if (len > sizeof(".data.mdb..tmp") - 1
            && strncmp(de->d_name, ".data.mdb.", 10) == 0
            && strcmp(de->d_name + len - 4, ".tmp") == 0)
        {
            snprintf(path, sizeof(path), "%s/%s", w->store->profiles_dir,
                     de->d_name);
            (void) unlink(path);
        }
    }

    closedir(dir);
}


/* the published file, compacted, is where the new one starts from */

static int
omni_store_writer_copy(omni_store_writer_t *w)
{
    int       fd, rc;
    MDB_dbi   dbi;
    MDB_env  *env;

    fd = open(w->tmp, O_RDWR|O_CREAT|O_EXCL|O_CLOEXEC, OMNI_STORE_FILE_MODE);
    if (fd == -1) {
        omni_store_err(w->err, "cannot create \"%s\": %s", w->tmp,
                       strerror(errno));
        w->tmp[0] = '\0';
        return OMNI_ERROR;
    }

    rc = omni_store_open_profiles_env(w->store->profiles_path, 0, &env, &dbi,
                                      NULL, w->err);

    if (rc == OMNI_ENOTFOUND) {
        close(fd);
        w->err[0] = '\0';
        return OMNI_OK;
    }

    if (rc != OMNI_OK) {
        close(fd);
        return rc;
    }

    rc = mdb_env_copyfd2(env, fd, MDB_CP_COMPACT);

    mdb_env_close(env);

    if (rc != 0) {
        close(fd);
        omni_store_err(w->err, "cannot copy \"%s\": %s",
                       w->store->profiles_path, mdb_strerror(rc));
        return OMNI_ERROR;
    }

    if (close(fd) != 0) {
        omni_store_err(w->err, "cannot write \"%s\": %s", w->tmp,
                       strerror(errno));
        return OMNI_ERROR;
    }

    return OMNI_OK;
}


/*
 * Nothing reads the new file until it is renamed, so it needs no lock
 * file and no sync per transaction: one sync before the rename covers it.
 * Pages are written in the map (MDB_WRITEMAP): a transaction costs no
 * heap memory however many pages it changes, and a commit no write().
 * (LMDB sizes such a file to the whole map, sparse: it is never the one
 * published.)
 */

static int
omni_store_writer_open(omni_store_writer_t *w)
{
    int  rc;

    rc = mdb_env_create(&w->env);
    if (rc != 0) {
        w->env = NULL;
        return omni_store_writer_fail(w, "mdb_env_create()", rc);
    }

    rc = mdb_env_set_maxdbs(w->env, 2);

    if (rc == 0) {
        rc = mdb_env_set_mapsize(w->env, w->map_size);
    }

    if (rc == 0) {
        rc = mdb_env_open(w->env, w->tmp, MDB_NOSUBDIR|MDB_NOLOCK|MDB_NOSYNC
                                          |MDB_WRITEMAP|MDB_NOTLS,
                          OMNI_STORE_FILE_MODE);
    }

    if (rc != 0) {
        return omni_store_writer_fail(w, "mdb_env_open()", rc);
    }

    rc = mdb_txn_begin(w->env, NULL, 0, &w->txn);
    if (rc != 0) {
        w->txn = NULL;
        return omni_store_writer_fail(w, "mdb_txn_begin()", rc);
    }

    rc = mdb_dbi_open(w->txn, OMNI_STORE_PROFILES_DB, MDB_CREATE, &w->dbi);
    if (rc != 0) {
        return omni_store_writer_fail(w, "mdb_dbi_open()", rc);
    }

    return OMNI_OK;
}


int
omni_store_profile_put(omni_store_writer_t *w, const omni_profile_t *p)
{
    int     rc;
    size_t  len;

    rc = omni_profile_encode(p, w->buf, sizeof(w->buf), &len);
    if (rc != OMNI_OK) {
        omni_store_err(w->err, "cannot encode the profile: %s",
                       omni_strerror(rc));
        return rc;
    }

    return omni_store_profile_put_record(w, p->customer_id.data,
                                         p->customer_id.len, w->buf, len);
}


int
omni_store_profile_put_record(omni_store_writer_t *w, const char *id,
    size_t len, const void *rec, size_t size)
{
    int      rc;
    MDB_val  key, val;

    if (w->txn == NULL) {
        omni_store_err(w->err, "no write transaction");
        return OMNI_ERROR;
    }

    key.mv_data = (void *) id;
    key.mv_size = len;
    val.mv_data = (void *) rec;
    val.mv_size = size;

    rc = mdb_put(w->txn, w->dbi, &key, &val, 0);
    if (rc != 0) {
        return omni_store_writer_fail(w, "mdb_put()", rc);
    }

    return OMNI_OK;
}


int
omni_store_profile_delete(omni_store_writer_t *w, const char *id,
    size_t len)
{
    int      rc;
    MDB_val  key;

    if (w->txn == NULL) {
        omni_store_err(w->err, "no write transaction");
        return OMNI_ERROR;
    }

    if (len == 0 || len > OMNI_KEY_MAX) {
        return OMNI_ENOTFOUND;
    }

    key.mv_data = (void *) id;
    key.mv_size = len;

    rc = mdb_del(w->txn, w->dbi, &key, NULL);

    if (rc == MDB_NOTFOUND) {
        return OMNI_ENOTFOUND;
    }

    if (rc != 0) {
        return omni_store_writer_fail(w, "mdb_del()", rc);
    }

    return OMNI_OK;
}


int
omni_store_profiles_flush(omni_store_writer_t *w)
{
    int  rc;

    if (w->txn == NULL) {
        omni_store_err(w->err, "no write transaction");
        return OMNI_ERROR;
    }

    rc = mdb_txn_commit(w->txn);
    w->txn = NULL;

    if (rc != 0) {
        return omni_store_writer_fail(w, "mdb_txn_commit()", rc);
    }

    rc = mdb_txn_begin(w->env, NULL, 0, &w->txn);
    if (rc != 0) {
        w->txn = NULL;
        return omni_store_writer_fail(w, "mdb_txn_begin()", rc);
    }

    return OMNI_OK;
}


/*
 * The file is published as a compacted copy of the one built: free pages
 * (of records replaced or deleted, and of the pages every batch copied)
 * are left out, which makes the file smaller and means that a deleted
 * profile's bytes are not in it.
 */

int
omni_store_profiles_publish(omni_store_writer_t *w)
{
    int            rc;
    omni_store_t  *s;

    s = w->store;

    if (w->txn == NULL) {
        omni_store_err(w->err, "no write transaction");
        return OMNI_ERROR;
    }

    rc = mdb_txn_commit(w->txn);
    w->txn = NULL;

    if (rc != 0) {
        return omni_store_writer_fail(w, "mdb_txn_commit()", rc);
    }

    rc = omni_store_copy_compact(w->env, s->profiles_path,
                                 (s->conf.flags & OMNI_STORE_CHOWN)
                                 ? s->profiles_dir : NULL,
                                 w->err);
    if (rc != OMNI_OK) {
        return rc;
    }

    omni_store_profiles_abort(w);

    return OMNI_OK;
}


/* releases the writer; the published file stays as it was */

void
omni_store_profiles_abort(omni_store_writer_t *w)
{
    if (w == NULL) {
        return;
    }

    if (w->txn) {
        mdb_txn_abort(w->txn);
    }

    if (w->env) {
        mdb_env_close(w->env);
    }

    if (w->tmp[0]) {
        (void) unlink(w->tmp);
    }

    if (w->lock_fd != -1) {
        close(w->lock_fd);
    }

    free(w);
}


const char *
omni_store_writer_error(const omni_store_writer_t *w)
{
    return w->err;
}


static int
omni_store_writer_fail(omni_store_writer_t *w, const char *what, int rc)
{
    if (rc == MDB_MAP_FULL) {
        omni_store_err(w->err, "the new profiles file reached its map size "
                       "(%zu bytes): give a larger one", w->map_size);
        return OMNI_EFULL;
    }

    omni_store_err(w->err, "%s: %s", what, mdb_strerror(rc));

    return OMNI_ERROR;
}
