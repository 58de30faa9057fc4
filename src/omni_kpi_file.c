/*
 * KPI snapshots: the counters of a table as a small binary file, so that
 * they survive a restart.
 *
 *     "OMNIKPI\n"                              8 bytes
 *     version since saved                      varints
 *     nops op...                               what this build counts;
 *     nmetrics total...                        a reader keeps what it
 *     nseries nhours bucket...                 knows and skips the rest
 *     nrows (dim name variant nmetrics v...)...
 *     crc32 of everything before               4 bytes, little-endian
 *
 * Only rows with a non-zero counter are written, so keys left over from
 * before a reset are dropped by the next restart.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include <omni/wire.h>

#include "omni_kpi_int.h"


#define OMNI_KPI_FILE_MAGIC     "OMNIKPI\n"
#define OMNI_KPI_FILE_VERSION   1
#define OMNI_KPI_FILE_MAX       (256 * 1024 * 1024)
#define OMNI_KPI_FILE_COUNT_MAX 1024


static int omni_kpi_decode_pass(omni_kpi_t *t, omni_reader_t *r, int apply);
static int omni_kpi_write_all(int fd, const uint8_t *p, size_t len);
static void omni_kpi_put_u32le(uint8_t *p, uint32_t v);
static uint32_t omni_kpi_get_u32le(const uint8_t *p);


int
omni_kpi_encode(const omni_kpi_t *t, int64_t now, uint8_t **bufp,
    size_t *lenp)
{
    int                     any;
    size_t                  size, len, count_at;
    uint8_t                *buf;
    uint32_t                i, k, nrows;
    uint64_t                v[OMNI_KPI_NMETRICS];
    omni_str_t              name, variant;
    omni_writer_t           w, cw;
    const omni_kpi_slot_t  *s;

    /* a row encodes to less than its slot: the table bounds the file */
    size = omni_kpi_size(t->nrows) + 4096;

    buf = malloc(size);
    if (buf == NULL) {
        return OMNI_ERROR;
    }

    omni_writer_init(&w, buf, size);

    for (i = 0; i < sizeof(OMNI_KPI_FILE_MAGIC) - 1; i++) {
        omni_write_u8(&w, (uint8_t) OMNI_KPI_FILE_MAGIC[i]);
    }

    omni_write_uint(&w, OMNI_KPI_FILE_VERSION);
    omni_write_int(&w, __atomic_load_n(&t->since, __ATOMIC_RELAXED));
    omni_write_int(&w, now);

    omni_write_uint(&w, OMNI_KPI_NOPS);

    for (k = 0; k < OMNI_KPI_NOPS; k++) {
        omni_write_uint(&w, omni_kpi_load64(&t->ops[k]));
    }

    omni_write_uint(&w, OMNI_KPI_NMETRICS);

    for (k = 0; k < OMNI_KPI_NMETRICS; k++) {
        omni_write_uint(&w, omni_kpi_load64(&t->total[k]));
    }

    omni_write_uint(&w, OMNI_KPI_NSERIES);
    omni_write_uint(&w, OMNI_KPI_HOURS);

    for (k = 0; k < OMNI_KPI_NSERIES; k++) {
        for (i = 0; i < OMNI_KPI_HOURS; i++) {
            omni_write_uint(&w, omni_kpi_load64(&t->series[i][k]));
        }
    }

    /* the row count is patched in once known: a fixed 5-byte varint */

    count_at = omni_writer_len(&w, buf);
    for (i = 0; i < 5; i++) {
        omni_write_u8(&w, 0);
    }

    nrows = 0;

    for (i = 0; i < t->nrows; i++) {
        s = &t->rows[i];

        if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE)
            != OMNI_KPI_ROW_READY)
        {
            continue;
        }

        any = 0;

        for (k = 0; k < OMNI_KPI_NMETRICS; k++) {
            v[k] = omni_kpi_load64(&s->v[k]);
            any |= (v[k] != 0);
        }

        if (!any) {
            continue;
        }

        name.data = s->key;
        name.len = s->name_len;
        variant.data = s->key + s->name_len;
        variant.len = s->variant_len;

        omni_write_u8(&w, s->dim);
        omni_write_str(&w, name);
        omni_write_str(&w, variant);
        omni_write_uint(&w, OMNI_KPI_NMETRICS);

        for (k = 0; k < OMNI_KPI_NMETRICS; k++) {
            omni_write_uint(&w, v[k]);
        }

        nrows++;
    }

    len = omni_writer_len(&w, buf);

    if (w.error || size - len < 4) {
        free(buf);
        return OMNI_ERROR;
    }

    omni_writer_init(&cw, buf + count_at, 5);

    for (i = 0; i < 4; i++) {
        omni_write_u8(&cw, (uint8_t) (((nrows >> (7 * i)) & 0x7f) | 0x80));
    }

    omni_write_u8(&cw, (uint8_t) (nrows >> 28));

    omni_kpi_put_u32le(buf + len, (uint32_t) crc32(0L, buf, (uInt) len));

    *bufp = buf;
    *lenp = len + 4;

    return OMNI_OK;
}


int
omni_kpi_decode(omni_kpi_t *t, const void *data, size_t len)
{
    int            rc;
    omni_reader_t  r;

    if (len < sizeof(OMNI_KPI_FILE_MAGIC) - 1 + 4
        || memcmp(data, OMNI_KPI_FILE_MAGIC,
                  sizeof(OMNI_KPI_FILE_MAGIC) - 1) != 0)
    {
        return OMNI_EINVAL;
    }

    if (len > OMNI_KPI_FILE_MAX
        || crc32(0L, data, (uInt) (len - 4))
           != omni_kpi_get_u32le((const uint8_t *) data + len - 4))
    {
        return OMNI_EINVAL;
    }

    /* check everything first, so that a bad file changes nothing */

    omni_reader_init(&r, data, len - 4);
    rc = omni_kpi_decode_pass(t, &r, 0);

    if (rc != OMNI_OK) {
        return rc;
    }

    omni_reader_init(&r, data, len - 4);

    return omni_kpi_decode_pass(t, &r, 1);
}


static int
omni_kpi_decode_pass(omni_kpi_t *t, omni_reader_t *r, int apply)
{
    int         rc;
    uint8_t     dim;
    int64_t     since, saved;
    uint64_t    n, m, i, k, v, nseries, nhours, stamp;
    omni_str_t  name, variant;

    r->pos += sizeof(OMNI_KPI_FILE_MAGIC) - 1;

    if (omni_read_uint(r) != OMNI_KPI_FILE_VERSION) {
        return r->error ? OMNI_EINVAL : OMNI_EVERSION;
    }

    since = omni_read_int(r);
    saved = omni_read_int(r);

    n = omni_read_uint(r);
    if (n > OMNI_KPI_FILE_COUNT_MAX) {
        return OMNI_EINVAL;
    }

    for (i = 0; i < n; i++) {
        v = omni_read_uint(r);

        if (apply && i < OMNI_KPI_NOPS) {
            omni_kpi_add64(&t->ops[i], v);
        }
    }

    n = omni_read_uint(r);
    if (n > OMNI_KPI_FILE_COUNT_MAX) {
        return OMNI_EINVAL;
    }

    for (i = 0; i < n; i++) {
        v = omni_read_uint(r);

        if (apply && i < OMNI_KPI_NMETRICS) {
            omni_kpi_add64(&t->total[i], v);
        }
    }

    nseries = omni_read_uint(r);
    nhours = omni_read_uint(r);

    if (nseries > OMNI_KPI_FILE_COUNT_MAX || nhours > OMNI_KPI_FILE_COUNT_MAX) {
        return OMNI_EINVAL;
    }

    for (k = 0; k < nseries; k++) {
        for (i = 0; i < nhours; i++) {
            v = omni_read_uint(r);

            if (apply && k < OMNI_KPI_NSERIES && (v & OMNI_KPI_COUNT_MASK)) {
                stamp = v >> OMNI_KPI_STAMP_SHIFT;
                omni_kpi_series_add(t, k, (int64_t) stamp,
                                    v & OMNI_KPI_COUNT_MASK);
            }
        }
    }

    n = omni_read_uint(r);

    for (i = 0; i < n && !r->error; i++) {
        dim = omni_read_u8(r);
        name = omni_read_str(r, OMNI_KPI_NAME_MAX);
        variant = omni_read_str(r, OMNI_KPI_SHORT_MAX);

        m = omni_read_uint(r);
        if (m > OMNI_KPI_FILE_COUNT_MAX) {
            return OMNI_EINVAL;
        }

        if (dim == 0 || dim >= OMNI_KPI_DIM_MAX) {
            return OMNI_EINVAL;
        }

        for (k = 0; k < m; k++) {
            v = omni_read_uint(r);

            if (apply && k < OMNI_KPI_NMETRICS && v != 0 && !r->error) {
                rc = omni_kpi_add(t, dim, name, variant, k, v);

                if (rc != OMNI_OK) {
                    /* counted as overflow or rejected: go on */
                    continue;
                }
            }
        }
    }

    if (r->error || omni_reader_left(r) != 0) {
        return OMNI_EINVAL;
    }

    if (apply) {
        if (since > 0 && since < t->since) {
            t->since = since;
        }

        if (saved > t->persisted) {
            t->persisted = saved;
        }
    }

    return OMNI_OK;
}


int
omni_kpi_save(const omni_kpi_t *t, const char *path, int64_t now)
{
    int      fd, rc, err;
    char    *tmp, *dir, *slash;
    size_t   len, plen;
    uint8_t *buf;

    rc = omni_kpi_encode(t, now, &buf, &len);
    if (rc != OMNI_OK) {
        return rc;
    }

    plen = strlen(path);

    tmp = malloc(plen + 32);
    if (tmp == NULL) {
        free(buf);
        return OMNI_ERROR;
    }

    snprintf(tmp, plen + 32, "%s.%ld.tmp", path, (long) getpid());

    /*
     * O_EXCL: never write through a file or a link someone else put at
     * the temporary name; one left by a process of the same pid that died
     * is ours to remove.
     */

    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

    if (fd == -1 && errno == EEXIST && unlink(tmp) == 0) {
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    }

    if (fd == -1) {
        err = errno;
        free(tmp);
        free(buf);
        errno = err;
        return OMNI_ERROR;
    }

    rc = omni_kpi_write_all(fd, buf, len);

    if (rc == OMNI_OK && fsync(fd) == -1) {
        rc = OMNI_ERROR;
    }

    err = errno;

    if (close(fd) == -1 && rc == OMNI_OK) {
        rc = OMNI_ERROR;
        err = errno;
    }

    if (rc == OMNI_OK && rename(tmp, path) == -1) {
        rc = OMNI_ERROR;
        err = errno;
    }

    if (rc != OMNI_OK) {
        unlink(tmp);
        free(tmp);
        free(buf);
        errno = err;
        return rc;
    }

    /* make the rename itself durable */

    dir = tmp;
    memcpy(dir, path, plen + 1);
    slash = strrchr(dir, '/');

    if (slash == dir) {
        slash[1] = '\0';

    } else if (slash) {
        *slash = '\0';

    } else {
        dir[0] = '.';
        dir[1] = '\0';
    }

    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd != -1) {
        (void) fsync(fd);
        close(fd);
    }

    free(tmp);
    free(buf);

    return OMNI_OK;
}


int
omni_kpi_load(omni_kpi_t *t, const char *path)
{
    int          fd, rc, err;
    size_t       got;
    ssize_t      n;
    uint8_t     *buf;
    struct stat  st;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        return (errno == ENOENT) ? OMNI_ENOTFOUND : OMNI_ERROR;
    }

    if (fstat(fd, &st) == -1) {
        err = errno;
        close(fd);
        errno = err;
        return OMNI_ERROR;
    }

    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return OMNI_EINVAL;
    }

    if (st.st_size > OMNI_KPI_FILE_MAX) {
        close(fd);
        return OMNI_ETOOBIG;
    }

    buf = malloc((size_t) st.st_size + 1);
    if (buf == NULL) {
        close(fd);
        return OMNI_ERROR;
    }

    got = 0;

    while (got < (size_t) st.st_size) {
        n = read(fd, buf + got, (size_t) st.st_size - got);

        if (n == -1 && errno == EINTR) {
            continue;
        }

        if (n <= 0) {
            break;
        }

        got += (size_t) n;
    }

    err = errno;
    close(fd);

    if (got != (size_t) st.st_size) {
        free(buf);
        errno = err;
        return OMNI_ERROR;
    }

    rc = omni_kpi_decode(t, buf, got);

    free(buf);

    return rc;
}


static int
omni_kpi_write_all(int fd, const uint8_t *p, size_t len)
{
    ssize_t  n;

    while (len) {
        n = write(fd, p, len);

        if (n == -1 && errno == EINTR) {
            continue;
        }

        if (n <= 0) {
            if (n == 0) {
                errno = EIO;
            }

            return OMNI_ERROR;
        }

        p += n;
        len -= (size_t) n;
    }

    return OMNI_OK;
}


static void
omni_kpi_put_u32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) v;
    p[1] = (uint8_t) (v >> 8);
    p[2] = (uint8_t) (v >> 16);
    p[3] = (uint8_t) (v >> 24);
}


static uint32_t
omni_kpi_get_u32le(const uint8_t *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
           | (uint32_t) p[3] << 24;
}
