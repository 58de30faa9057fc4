/*
 * Importing profile JSON lines into a new profiles file.
 */

#include <stdlib.h>
#include <string.h>

#include <omni/import.h>
#include <omni/record_json.h>


typedef struct {
    char             line[OMNI_JSON_LINE_MAX + 2];
    char             strings[OMNI_PROFILE_RECORD_MAX];
    omni_profile_t   profile;
} omni_import_buf_t;


static int omni_import_read(FILE *in, char *buf, size_t size, size_t *len,
    uint64_t *bytes);


int
omni_import_profiles(omni_store_t *s, FILE *in,
    const omni_import_conf_t *conf, omni_import_stats_t *st, char *err,
    size_t errlen)
{
    int                   rc, writing;
    char                  reason[256];
    size_t                len, batch, pending;
    omni_import_buf_t    *b;
    omni_json_error_t     jerr;
    omni_store_writer_t  *w;

    memset(st, 0, sizeof(omni_import_stats_t));
    err[0] = '\0';

    batch = conf->batch ? conf->batch : OMNI_STORE_BATCH_LINES;

    b = malloc(sizeof(omni_import_buf_t));
    if (b == NULL) {
        snprintf(err, errlen, "out of memory");
        return OMNI_ERROR;
    }

    rc = omni_store_profiles_begin(s, conf->map_size, conf->wait, &w);
    if (rc != OMNI_OK) {
        snprintf(err, errlen, "%s", w ? omni_store_writer_error(w)
                                      : "out of memory");
        omni_store_profiles_abort(w);
        free(b);
        return rc;
    }

    writing = 1;
    pending = 0;

    for ( ;; ) {
        rc = omni_import_read(in, b->line, sizeof(b->line), &len, &st->bytes);

        if (rc == OMNI_ENOTFOUND) {
            break;
        }

        st->lines++;

        if (rc == OMNI_ERROR) {
            snprintf(err, errlen, "read error after line %llu",
                     (unsigned long long) st->lines - 1);
            goto failed;
        }

        if (rc == OMNI_ETOOBIG) {
            snprintf(reason, sizeof(reason), "line longer than %d bytes",
                     OMNI_JSON_LINE_MAX);
            goto bad;
        }

        if (len == 0) {
            continue;
        }

        rc = omni_profile_from_json(b->line, len, &b->profile, b->strings,
                                    sizeof(b->strings), &jerr);
        if (rc != OMNI_OK) {
            snprintf(reason, sizeof(reason), "%s", jerr.text);
            goto bad;
        }

        if (!writing) {
            continue;
        }

        rc = omni_store_profile_put(w, &b->profile);

        if (rc == OMNI_EINVAL || rc == OMNI_ETOOBIG) {
            snprintf(reason, sizeof(reason), "%s",
                     omni_store_writer_error(w));
            goto bad;
        }

        if (rc != OMNI_OK) {
            snprintf(err, errlen, "%s", omni_store_writer_error(w));
            goto failed;
        }

        st->imported++;

        if (++pending < batch) {
            continue;
        }

        pending = 0;

        rc = omni_store_profiles_flush(w);
        if (rc != OMNI_OK) {
            snprintf(err, errlen, "%s", omni_store_writer_error(w));
            goto failed;
        }

        if (conf->on_batch) {
            conf->on_batch(conf->data, st);
        }

        continue;

    bad:

        st->bad++;

        if (conf->on_error) {
            conf->on_error(conf->data, st->lines, reason);
        }

        if (conf->strict) {
            writing = 0;
        }
    }

    if (!writing) {
        omni_store_profiles_abort(w);
        free(b);
        return OMNI_EINVAL;
    }

    rc = omni_store_profiles_publish(w);
    if (rc != OMNI_OK) {
        snprintf(err, errlen, "%s", omni_store_writer_error(w));
        goto failed;
    }

    free(b);

    if (conf->on_batch && pending) {
        conf->on_batch(conf->data, st);
    }

    return st->bad ? OMNI_EINVAL : OMNI_OK;

failed:

    omni_store_profiles_abort(w);
    free(b);

    return rc == OMNI_EFULL ? OMNI_EFULL : OMNI_ERROR;
}


/*
 * One line without its end ("\n" or "\r\n") into buf.  A line that does
 * not fit is read to its end and dropped: OMNI_ETOOBIG.  OMNI_ENOTFOUND
 * at the end of the input.
 */

static int
omni_import_read(FILE *in, char *buf, size_t size, size_t *len,
    uint64_t *bytes)
{
    size_t  n;
    int     toobig;

    toobig = 0;

    for ( ;; ) {
        if (fgets(buf, (int) size, in) == NULL) {
            if (ferror(in)) {
                return OMNI_ERROR;
            }

            if (toobig) {
                return OMNI_ETOOBIG;
            }

            return OMNI_ENOTFOUND;
        }

        n = strlen(buf);
        *bytes += n;

        if (n && buf[n - 1] == '\n') {
            break;
        }

        if (n + 1 < size || feof(in)) {
            /* the last line, without an end */
            break;
        }

        toobig = 1;
    }

    if (toobig) {
        return OMNI_ETOOBIG;
    }

    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        n--;
    }

    *len = n;

    return OMNI_OK;
}
