/*
 * Activity writes: a batch is one LMDB write transaction, begun and
 * committed on the same thread.
 */

#include <stdlib.h>
#include <string.h>

#include "omni_store_int.h"


static int omni_store_batch_fail(omni_store_batch_t *b, const char *what,
    int rc);
static int omni_store_unlink_visitor(omni_store_batch_t *b,
    const omni_id_t *visitor, const char *customer, size_t len);


int
omni_store_activity_begin(omni_store_t *s, omni_store_batch_t **bp)
{
    int                  rc;
    omni_store_batch_t  *b;

    *bp = NULL;

    if (s->aenv == NULL) {
        omni_store_err(s->batch.err, "%s", s->aerr);
        return OMNI_ENOTFOUND;
    }

    pthread_mutex_lock(&s->write_lock);

    b = &s->batch;
    b->err[0] = '\0';

    rc = mdb_txn_begin(s->aenv, NULL, 0, &b->txn);

    if (rc == MDB_MAP_RESIZED) {
        /* another process grew the file: remap, once no lookup runs */
        pthread_mutex_lock(&s->read_lock);
        rc = mdb_env_set_mapsize(s->aenv, 0);
        pthread_mutex_unlock(&s->read_lock);

        if (rc == 0) {
            rc = mdb_txn_begin(s->aenv, NULL, 0, &b->txn);
        }
    }

    if (rc != 0) {
        b->txn = NULL;
        omni_store_err(b->err, "mdb_txn_begin(): %s", mdb_strerror(rc));
        pthread_mutex_unlock(&s->write_lock);
        return OMNI_ERROR;
    }

    *bp = b;

    return OMNI_OK;
}


int
omni_store_activity_get(omni_store_batch_t *b, const omni_id_t *visitor,
    omni_activity_t *a)
{
    int      rc;
    MDB_val  key, val;

    key.mv_data = (void *) visitor->bytes;
    key.mv_size = OMNI_ID_SIZE;

    rc = mdb_get(b->txn, b->store->visitors, &key, &val);

    if (rc == MDB_NOTFOUND) {
        return OMNI_ENOTFOUND;
    }

    if (rc != 0) {
        return omni_store_batch_fail(b, "mdb_get()", rc);
    }

    return omni_activity_decode(val.mv_data, val.mv_size, a);
}


int
omni_store_activity_put(omni_store_batch_t *b, const omni_id_t *visitor,
    const omni_activity_t *a)
{
    int              rc;
    char             newc[OMNI_KEY_MAX], oldc[OMNI_KEY_MAX];
    size_t           len, newlen, oldlen;
    MDB_val          key, val;
    omni_activity_t *old;

    rc = omni_activity_encode(a, b->buf, sizeof(b->buf), &len);
    if (rc != OMNI_OK) {
        omni_store_err(b->err, "cannot encode the activity record: %s",
                       omni_strerror(rc));
        return rc;
    }

    /* the view may point into the map, which the put below changes */
    newlen = a->customer_id.len;
    if (newlen) {
        memcpy(newc, a->customer_id.data, newlen);
    }

    key.mv_data = (void *) visitor->bytes;
    key.mv_size = OMNI_ID_SIZE;

    oldlen = 0;

    rc = mdb_get(b->txn, b->store->visitors, &key, &val);

    if (rc == 0) {
        old = malloc(sizeof(omni_activity_t));
        if (old == NULL) {
            omni_store_err(b->err, "out of memory");
            return OMNI_ERROR;
        }

        if (omni_activity_decode(val.mv_data, val.mv_size, old) == OMNI_OK) {
            oldlen = old->customer_id.len;
            if (oldlen) {
                memcpy(oldc, old->customer_id.data, oldlen);
            }
        }

        free(old);

    } else if (rc != MDB_NOTFOUND) {
        return omni_store_batch_fail(b, "mdb_get()", rc);
    }

    val.mv_data = b->buf;
    val.mv_size = len;

    rc = mdb_put(b->txn, b->store->visitors, &key, &val, 0);
    if (rc != 0) {
        return omni_store_batch_fail(b, "mdb_put()", rc);
    }

    if (oldlen == newlen && memcmp(oldc, newc, newlen) == 0) {
        return OMNI_OK;
    }

    if (oldlen) {
        rc = omni_store_unlink_visitor(b, visitor, oldc, oldlen);
        if (rc != OMNI_OK) {
            return rc;
        }
    }

    if (newlen) {
        key.mv_data = newc;
        key.mv_size = newlen;
        val.mv_data = (void *) visitor->bytes;
        val.mv_size = OMNI_ID_SIZE;

        rc = mdb_put(b->txn, b->store->customers, &key, &val,
                     MDB_NODUPDATA);

        if (rc != 0 && rc != MDB_KEYEXIST) {
            return omni_store_batch_fail(b, "mdb_put()", rc);
        }
    }

    return OMNI_OK;
}


int
omni_store_activity_link(omni_store_batch_t *b, const omni_id_t *visitor,
    const char *customer, size_t len)
{
    int              rc;
    omni_activity_t *a;

    if (len == 0 || len > OMNI_KEY_MAX) {
        omni_store_err(b->err, "a customer id is 1 to %d bytes",
                       OMNI_KEY_MAX);
        return OMNI_EINVAL;
    }

    a = malloc(sizeof(omni_activity_t));
    if (a == NULL) {
        omni_store_err(b->err, "out of memory");
        return OMNI_ERROR;
    }

    rc = omni_store_activity_get(b, visitor, a);

    if (rc == OMNI_ENOTFOUND) {
        omni_activity_init(a);

    } else if (rc != OMNI_OK) {
        /* a record that does not decode is replaced by a fresh one */
        if (rc == OMNI_ERROR) {
            free(a);
            return rc;
        }

        omni_activity_init(a);
    }

    a->customer_id.data = customer;
    a->customer_id.len = len;

    rc = omni_store_activity_put(b, visitor, a);

    free(a);

    return rc;
}


int
omni_store_activity_delete(omni_store_batch_t *b, const omni_id_t *visitor)
{
    int              rc;
    char             cust[OMNI_KEY_MAX];
    size_t           len;
    MDB_val          key, val;
    omni_activity_t *a;

    key.mv_data = (void *) visitor->bytes;
    key.mv_size = OMNI_ID_SIZE;

    rc = mdb_get(b->txn, b->store->visitors, &key, &val);

    if (rc == MDB_NOTFOUND) {
        return OMNI_ENOTFOUND;
    }

    if (rc != 0) {
        return omni_store_batch_fail(b, "mdb_get()", rc);
    }

    a = malloc(sizeof(omni_activity_t));
    if (a == NULL) {
        omni_store_err(b->err, "out of memory");
        return OMNI_ERROR;
    }

    len = 0;

    if (omni_activity_decode(val.mv_data, val.mv_size, a) == OMNI_OK) {
        len = a->customer_id.len;
        if (len) {
            memcpy(cust, a->customer_id.data, len);
        }
    }

    free(a);

    rc = mdb_del(b->txn, b->store->visitors, &key, NULL);
    if (rc != 0) {
        return omni_store_batch_fail(b, "mdb_del()", rc);
    }

    if (len) {
        return omni_store_unlink_visitor(b, visitor, cust, len);
    }

    return OMNI_OK;
}


int
omni_store_activity_erase_customer(omni_store_batch_t *b, const char *id,
    size_t len, omni_store_visitor_pt cb, void *data, size_t *n)
{
    int          rc;
    size_t       i, count, size;
    MDB_val      key, val;
    omni_id_t   *ids, *p;
    MDB_cursor  *cur;

    *n = 0;

    if (len == 0 || len > OMNI_KEY_MAX) {
        return OMNI_ENOTFOUND;
    }

    rc = mdb_cursor_open(b->txn, b->store->customers, &cur);
    if (rc != 0) {
        return omni_store_batch_fail(b, "mdb_cursor_open()", rc);
    }

    ids = NULL;
    count = 0;
    size = 0;

    key.mv_data = (void *) id;
    key.mv_size = len;

    /* the ids are collected first: deleting moves the cursor's pages */

    for (rc = mdb_cursor_get(cur, &key, &val, MDB_SET_KEY);
         rc == 0;
         rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT_DUP))
    {
        if (val.mv_size != OMNI_ID_SIZE) {
            continue;
        }

        if (count == size) {
            size = size ? size * 2 : 16;

            p = realloc(ids, size * sizeof(omni_id_t));
            if (p == NULL) {
                mdb_cursor_close(cur);
                free(ids);
                omni_store_err(b->err, "out of memory");
                return OMNI_ERROR;
            }

            ids = p;
        }

        memcpy(ids[count++].bytes, val.mv_data, OMNI_ID_SIZE);
    }

    mdb_cursor_close(cur);

    if (rc != MDB_NOTFOUND) {
        free(ids);
        return omni_store_batch_fail(b, "mdb_cursor_get()", rc);
    }

    for (i = 0; i < count; i++) {
        if (cb) {
            cb(data, &ids[i]);
        }

        key.mv_data = ids[i].bytes;
        key.mv_size = OMNI_ID_SIZE;

        rc = mdb_del(b->txn, b->store->visitors, &key, NULL);

        if (rc != 0 && rc != MDB_NOTFOUND) {
            free(ids);
            return omni_store_batch_fail(b, "mdb_del()", rc);
        }
    }

    free(ids);

    if (count) {
        key.mv_data = (void *) id;
        key.mv_size = len;

        rc = mdb_del(b->txn, b->store->customers, &key, NULL);

        if (rc != 0 && rc != MDB_NOTFOUND) {
            return omni_store_batch_fail(b, "mdb_del()", rc);
        }
    }

    *n = count;

    return OMNI_OK;
}


int
omni_store_activity_commit(omni_store_batch_t *b)
{
    int            rc;
    omni_store_t  *s;

    s = b->store;

    rc = mdb_txn_commit(b->txn);
    b->txn = NULL;

    pthread_mutex_unlock(&s->write_lock);

    if (rc != 0) {
        omni_store_err(b->err, "mdb_txn_commit(): %s", mdb_strerror(rc));
        return rc == MDB_MAP_FULL ? OMNI_EFULL : OMNI_ERROR;
    }

    return OMNI_OK;
}


void
omni_store_activity_abort(omni_store_batch_t *b)
{
    if (b == NULL) {
        return;
    }

    if (b->txn) {
        mdb_txn_abort(b->txn);
        b->txn = NULL;
    }

    pthread_mutex_unlock(&b->store->write_lock);
}


const char *
omni_store_batch_error(const omni_store_batch_t *b)
{
    return b->err;
}


const char *
omni_store_activity_error(const omni_store_t *s)
{
    return s->batch.err;
}


static int
omni_store_unlink_visitor(omni_store_batch_t *b, const omni_id_t *visitor,
    const char *customer, size_t len)
{
    int      rc;
    MDB_val  key, val;

    key.mv_data = (void *) customer;
    key.mv_size = len;
    val.mv_data = (void *) visitor->bytes;
    val.mv_size = OMNI_ID_SIZE;

    rc = mdb_del(b->txn, b->store->customers, &key, &val);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return omni_store_batch_fail(b, "mdb_del()", rc);
    }

    return OMNI_OK;
}


static int
omni_store_batch_fail(omni_store_batch_t *b, const char *what, int rc)
{
    omni_store_err(b->err, "%s: %s", what, mdb_strerror(rc));

    return rc == MDB_MAP_FULL ? OMNI_EFULL : OMNI_ERROR;
}


int
omni_store_activity_nosync(omni_store_t *s, int on)
{
    int  rc;

    if (s->aenv == NULL) {
        return OMNI_ENOTFOUND;
    }

    rc = mdb_env_set_flags(s->aenv, MDB_NOSYNC, on ? 1 : 0);
    if (rc != 0) {
        omni_store_err(s->aerr, "mdb_env_set_flags(): %s", mdb_strerror(rc));
        return OMNI_ERROR;
    }

    return OMNI_OK;
}


int
omni_store_sync(omni_store_t *s)
{
    int  rc;

    if (s->aenv == NULL) {
        return OMNI_ENOTFOUND;
    }

    rc = mdb_env_sync(s->aenv, 1);
    if (rc != 0) {
        omni_store_err(s->batch.err, "mdb_env_sync(): %s", mdb_strerror(rc));
        return OMNI_ERROR;
    }

    return OMNI_OK;
}
