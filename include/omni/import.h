/*
 * Importing profile JSON lines (record_json.h) into a store: the loop
 * behind "omnictl import", in the core so that it is tested as such.
 *
 * Lines are read into one fixed buffer, so memory stays flat however
 * large the input; every batch of lines is one write transaction of a new
 * profiles file, which is published at the end (store.h).  A bad line is
 * reported with its number and skipped; with strict set, the first bad
 * line stops all writing and nothing is published.
 */

#ifndef OMNI_IMPORT_H_INCLUDED
#define OMNI_IMPORT_H_INCLUDED


#include <stdio.h>

#include <omni/omni.h>
#include <omni/store.h>


typedef struct {
    uint64_t      lines;              /* read, blank ones included */
    uint64_t      imported;           /* profiles written */
    uint64_t      bad;                /* lines skipped */
    uint64_t      bytes;
} omni_import_stats_t;


typedef struct {
    int           strict;
    size_t        batch;              /* lines per transaction; 0: the
                                         store's default */
    size_t        map_size;           /* 0: the store's default */
    int           wait;               /* wait for another writer */

    /* both optional; data is passed to them */
    void        (*on_error)(void *data, uint64_t line, const char *reason);
    void        (*on_batch)(void *data, const omni_import_stats_t *st);
    void         *data;
} omni_import_conf_t;


/*
 * OMNI_OK: every line imported; OMNI_EINVAL: some lines were bad (see
 * stats; with strict nothing was written); OMNI_AGAIN: another writer
 * holds the store and conf->wait is 0; OMNI_EFULL, OMNI_ERROR: nothing
 * was published, err says why.
 */
int omni_import_profiles(omni_store_t *s, FILE *in,
    const omni_import_conf_t *conf, omni_import_stats_t *st, char *err,
    size_t errlen);


#endif /* OMNI_IMPORT_H_INCLUDED */
