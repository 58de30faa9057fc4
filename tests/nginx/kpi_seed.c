/*
 * kpi_seed: writes a KPI snapshot file from a script of events, through
 * the same counting code the module runs (omni_kpi_count), so that a test
 * can start nginx with history: past hours, many visitors.
 *
 *     kpi_seed FILE < script
 *
 * One event per line, "#" comments and blank lines ignored:
 *
 *     TIME EVENT [offer=ID] [variant=ID] [channel=NAME] [segments=A,B]
 *                [value=CENTS] [n=COUNT]
 *     TIME op NAME COUNT
 *
 * EVENT is visit, view, impression, click, cart, purchase, abandon or
 * recover; NAME an operational counter as in the status JSON, group and
 * name joined by a dot (store.lookups, pages.skipped.not_html).  The
 * snapshot is saved as of the largest TIME.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omni/kpi.h>


#define SEED_ZONE  (4 * 1024 * 1024)


static const char  *ops[OMNI_KPI_NOPS] = {
    "store.lookups", "store.misses", "store.decode_errors",
    "store.snapshot_reloads", "events.queued", "events.flushed",
    "events.dropped", "pages.rewritten", "pages.skipped.not_html",
    "pages.skipped.status", "pages.skipped.header_only",
    "pages.skipped.encoded", "pages.skipped.subrequest",
    "pages.skipped.no_consent", "pages.skipped.error", "kpi.overflow",
    "kpi.rejected", "kpi.persist_writes", "kpi.persist_errors"
};


static omni_str_t
str(const char *s)
{
    omni_str_t  v = { s, strlen(s) };

    return v;
}


int
main(int argc, char **argv)
{
    int               i, no;
    char              line[1024], *tok, *save, *p;
    char             *segv;
    long              n, k;
    void             *mem;
    int64_t           t, last, value;
    omni_kpi_t       *kpi;
    omni_str_t        segs[16];
    omni_kpi_keys_t   keys;
    omni_kpi_event_e  ev;

    if (argc != 2) {
        fprintf(stderr, "usage: kpi_seed FILE < script\n");
        return 2;
    }

    if (posix_memalign(&mem, 64, SEED_ZONE) != 0) {
        fprintf(stderr, "kpi_seed: no memory\n");
        return 1;
    }

    /* counting "since" the first event of the script */
    kpi = NULL;
    last = 0;
    no = 0;

    while (fgets(line, sizeof(line), stdin)) {
        no++;

        p = strchr(line, '\n');
        if (p) {
            *p = '\0';
        }

        tok = strtok_r(line, " \t", &save);
        if (tok == NULL || tok[0] == '#') {
            continue;
        }

        t = strtoll(tok, NULL, 10);
        last = (t > last) ? t : last;

        if (kpi == NULL && omni_kpi_init(mem, SEED_ZONE, t, &kpi) != OMNI_OK) {
            return 1;
        }

        tok = strtok_r(NULL, " \t", &save);
        if (tok == NULL) {
            goto bad;
        }

        if (strcmp(tok, "op") == 0) {
            tok = strtok_r(NULL, " \t", &save);
            p = strtok_r(NULL, " \t", &save);

            for (i = 0; tok && p && i < OMNI_KPI_NOPS; i++) {
                if (strcmp(ops[i], tok) == 0) {
                    omni_kpi_op(kpi, i, strtoull(p, NULL, 10));
                    break;
                }
            }

            if (tok == NULL || p == NULL || i == OMNI_KPI_NOPS) {
                goto bad;
            }

            continue;
        }

        ev = omni_kpi_event_by_name(tok, strlen(tok));
        if (ev == OMNI_KPI_NEVENTS) {
            goto bad;
        }

        memset(&keys, 0, sizeof(keys));
        keys.segments = segs;
        value = 0;
        n = 1;
        segv = NULL;

        while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
            if (strncmp(tok, "offer=", 6) == 0) {
                keys.offer = str(tok + 6);
            } else if (strncmp(tok, "variant=", 8) == 0) {
                keys.variant = str(tok + 8);
            } else if (strncmp(tok, "channel=", 8) == 0) {
                keys.channel = str(tok + 8);
            } else if (strncmp(tok, "segments=", 9) == 0) {
                segv = tok + 9;
            } else if (strncmp(tok, "value=", 6) == 0) {
                value = strtoll(tok + 6, NULL, 10);
            } else if (strncmp(tok, "n=", 2) == 0) {
                n = strtol(tok + 2, NULL, 10);
            } else {
                goto bad;
            }
        }

        while (segv && *segv && keys.nsegments < 16) {
            p = strchr(segv, ',');
            segs[keys.nsegments].data = segv;
            segs[keys.nsegments].len = p ? (size_t) (p - segv) : strlen(segv);
            keys.nsegments++;
            segv = p ? p + 1 : NULL;
        }

        for (k = 0; k < n; k++) {
            if (omni_kpi_count(kpi, ev, &keys, value, t) != OMNI_OK) {
                fprintf(stderr, "kpi_seed: line %d not counted\n", no);
                return 1;
            }
        }

        continue;

    bad:
        fprintf(stderr, "kpi_seed: line %d: cannot parse\n", no);
        return 2;
    }

    if (kpi == NULL) {
        fprintf(stderr, "kpi_seed: no event\n");
        return 2;
    }

    if (omni_kpi_save(kpi, argv[1], last) != OMNI_OK) {
        perror(argv[1]);
        return 1;
    }

    free(mem);

    return 0;
}
