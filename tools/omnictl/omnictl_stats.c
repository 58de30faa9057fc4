/*
 * omnictl stats --store DIR [--json]
 */

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <omni/store.h>

#include "omnictl.h"


static const char  omnictl_stats_help[] =
    "usage: omnictl stats --store DIR [--json]\n"
    "\n"
    "Counts, file sizes, map use and reader slots of both environments of\n"
    "a store: profiles (DIR/profiles/data.mdb) and activity\n"
    "(DIR/activity).  --json prints one JSON object instead.\n"
    "\n"
    "Exit codes: 0 done, 1 no store there, 2 usage.\n";


static void omnictl_stats_text(const char *name, const char *path,
    const omni_store_stat_t *st, const char *error, int activity);
static void omnictl_stats_json(const char *name, const char *path,
    const omni_store_stat_t *st, const char *error, int activity, int last);
static void omnictl_bytes(char *buf, size_t size, uint64_t n);


int
omnictl_stats(int argc, char **argv)
{
    int                 c, json;
    char                ppath[4200], apath[4200];
    const char         *dir;
    omni_store_t       *s;
    omni_store_stat_t   ps, as;
    omni_store_conf_t   conf;

    static const struct option  options[] = {
        { "store", required_argument, NULL, 's' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    dir = NULL;
    json = 0;
    opterr = 0;

    while ((c = getopt_long(argc, argv, "s:jh", options, NULL)) != -1) {

        switch (c) {

        case 's':
            dir = optarg;
            break;

        case 'j':
            json = 1;
            break;

        case 'h':
            fputs(omnictl_stats_help, stdout);
            return OMNICTL_OK;

        default:
            return omnictl_usage_error(omnictl_stats_help,
                                       "unknown option \"%s\"",
                                       argv[optind - 1]);
        }
    }

    if (dir == NULL) {
        return omnictl_usage_error(omnictl_stats_help, "no --store given");
    }

    if (optind != argc) {
        return omnictl_usage_error(omnictl_stats_help, "unexpected \"%s\"",
                                   argv[optind]);
    }

    memset(&conf, 0, sizeof(conf));
    conf.flags = OMNI_STORE_PROFILES|OMNI_STORE_ACTIVITY
                 |OMNI_STORE_ACTIVITY_NOCREATE;

    if (omni_store_open(&s, dir, &conf) != OMNI_OK) {
        omnictl_error("out of memory, or a store path too long");
        return OMNICTL_EDATA;
    }

    (void) omni_store_stat(s, OMNI_STORE_ENV_PROFILES, &ps);
    (void) omni_store_stat(s, OMNI_STORE_ENV_ACTIVITY, &as);

    snprintf(ppath, sizeof(ppath), "%s/profiles/data.mdb", omni_store_dir(s));
    snprintf(apath, sizeof(apath), "%s/activity", omni_store_dir(s));

    if (json) {
        printf("{");
        omnictl_stats_json("profiles", ppath, &ps,
                           omni_store_error(s, OMNI_STORE_ENV_PROFILES), 0, 0);
        omnictl_stats_json("activity", apath, &as,
                           omni_store_error(s, OMNI_STORE_ENV_ACTIVITY), 1, 1);
        printf("}\n");

    } else {
        omnictl_stats_text("profiles", ppath, &ps,
                           omni_store_error(s, OMNI_STORE_ENV_PROFILES), 0);
        omnictl_stats_text("activity", apath, &as,
                           omni_store_error(s, OMNI_STORE_ENV_ACTIVITY), 1);
    }

    omni_store_close(s);

    return (ps.ready || as.ready) ? OMNICTL_OK : OMNICTL_EDATA;
}


static void
omnictl_stats_text(const char *name, const char *path,
    const omni_store_stat_t *st, const char *error, int activity)
{
    char        a[32], b[32];
    char        when[64];
    time_t      t;
    struct tm   tm;

    printf("%s  %s\n", name, path);

    if (!st->ready) {
        printf("  (not open: %s)\n", error);
        return;
    }

    omnictl_bytes(a, sizeof(a), st->file_size);

    printf("  %-14s %llu\n", activity ? "visitors" : "profiles",
           (unsigned long long) st->entries);

    if (activity) {
        printf("  %-14s %llu\n", "links", (unsigned long long) st->links);
    }

    printf("  %-14s %s", "file size", a);

    if (st->entries) {
        printf(", %.0f bytes per %s", (double) st->file_size / st->entries,
               activity ? "visitor" : "profile");
    }

    omnictl_bytes(a, sizeof(a), st->used);
    omnictl_bytes(b, sizeof(b), st->map_size);

    printf("\n  %-14s %s of %s (%.1f%%)\n", "map use", a, b,
           st->map_size ? 100.0 * st->used / st->map_size : 0.0);

    if (activity) {
        printf("  %-14s %u of %u slots\n", "readers", st->readers,
               st->max_readers);
    }

    t = (time_t) st->mtime;
    localtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z", &tm);

    printf("  %-14s %s (transaction %llu)\n", "last written", when,
           (unsigned long long) st->txnid);
}


static void
omnictl_stats_json(const char *name, const char *path,
    const omni_store_stat_t *st, const char *error, int activity, int last)
{
    const char  *p;

    printf("\"%s\":{\"path\":\"", name);

    /* paths and LMDB's messages: escape what JSON needs */
    for (p = path; *p; p++) {
        if (*p == '"' || *p == '\\') {
            putchar('\\');
        }

        if ((unsigned char) *p >= 0x20) {
            putchar(*p);
        }
    }

    printf("\",\"ready\":%s", st->ready ? "true" : "false");

    if (!st->ready) {
        printf(",\"error\":\"");

        for (p = error; *p; p++) {
            if (*p == '"' || *p == '\\') {
                putchar('\\');
            }

            if ((unsigned char) *p >= 0x20) {
                putchar(*p);
            }
        }

        printf("\"}%s", last ? "" : ",");
        return;
    }

    printf(",\"entries\":%llu,\"file_size\":%llu,\"used\":%llu,"
           "\"map_size\":%llu,\"page_size\":%u,\"txnid\":%llu,"
           "\"mtime\":%lld",
           (unsigned long long) st->entries,
           (unsigned long long) st->file_size,
           (unsigned long long) st->used,
           (unsigned long long) st->map_size, st->page_size,
           (unsigned long long) st->txnid, (long long) st->mtime);

    if (activity) {
        printf(",\"links\":%llu,\"readers\":%u,\"max_readers\":%u",
               (unsigned long long) st->links, st->readers, st->max_readers);
    }

    printf("}%s", last ? "" : ",");
}


static void
omnictl_bytes(char *buf, size_t size, uint64_t n)
{
    if (n >= (1ULL << 30)) {
        snprintf(buf, size, "%.1f GiB", n / 1073741824.0);

    } else if (n >= (1ULL << 20)) {
        snprintf(buf, size, "%.1f MiB", n / 1048576.0);

    } else if (n >= 1024) {
        snprintf(buf, size, "%.1f KiB", n / 1024.0);

    } else {
        snprintf(buf, size, "%llu bytes", (unsigned long long) n);
    }
}
