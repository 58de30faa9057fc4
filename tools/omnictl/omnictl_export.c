/*
 * omnictl export --store DIR: every profile as a JSON line.
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omni/record_json.h>
#include <omni/store.h>

#include "omnictl.h"


static const char  omnictl_export_help[] =
    "usage: omnictl export --store DIR [--output FILE]\n"
    "\n"
    "Writes every profile as one JSON line, in customer id order, in the\n"
    "format \"omnictl import\" reads back to the same records.  Records\n"
    "that do not decode are counted on standard error and skipped.\n"
    "\n"
    "Exit codes: 0 done, 1 unreadable records or a store error, 2 usage.\n";


typedef struct {
    FILE       *out;
    uint64_t    n;
    int         failed;
} omnictl_export_ctx_t;


static int omnictl_export_one(void *data, const omni_profile_t *p);


int
omnictl_export(int argc, char **argv)
{
    int                    c, rc;
    uint64_t               bad;
    const char            *dir, *path;
    omni_store_t          *s;
    omni_store_conf_t      conf;
    omnictl_export_ctx_t   ctx;

    static const struct option  options[] = {
        { "store", required_argument, NULL, 's' },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    dir = NULL;
    path = NULL;
    opterr = 0;

    while ((c = getopt_long(argc, argv, "s:o:h", options, NULL)) != -1) {

        switch (c) {

        case 's':
            dir = optarg;
            break;

        case 'o':
            path = optarg;
            break;

        case 'h':
            fputs(omnictl_export_help, stdout);
            return OMNICTL_OK;

        default:
            return omnictl_usage_error(omnictl_export_help,
                                       "unknown option \"%s\"",
                                       argv[optind - 1]);
        }
    }

    if (dir == NULL) {
        return omnictl_usage_error(omnictl_export_help, "no --store given");
    }

    if (optind != argc) {
        return omnictl_usage_error(omnictl_export_help,
                                   "unexpected \"%s\"", argv[optind]);
    }

    memset(&conf, 0, sizeof(conf));
    conf.flags = OMNI_STORE_PROFILES;

    if (omni_store_open(&s, dir, &conf) != OMNI_OK) {
        omnictl_error("out of memory, or a store path too long");
        return OMNICTL_EDATA;
    }

    if (!omni_store_ready(s, OMNI_STORE_ENV_PROFILES)) {
        omnictl_error("%s", omni_store_error(s, OMNI_STORE_ENV_PROFILES));
        omni_store_close(s);
        return OMNICTL_EDATA;
    }

    ctx.out = stdout;
    ctx.n = 0;
    ctx.failed = 0;

    if (path) {
        ctx.out = fopen(path, "w");
        if (ctx.out == NULL) {
            omnictl_error("cannot create \"%s\": %s", path, strerror(errno));
            omni_store_close(s);
            return OMNICTL_EDATA;
        }
    }

    rc = omni_store_profiles_each(s, omnictl_export_one, &ctx, &bad);

    if (rc == OMNI_ERROR) {
        omnictl_error("%s", omni_store_error(s, OMNI_STORE_ENV_PROFILES));
    }

    if (fflush(ctx.out) != 0 || ferror(ctx.out)) {
        omnictl_error("cannot write: %s", strerror(errno));
        ctx.failed = 1;
    }

    if (path && fclose(ctx.out) != 0) {
        ctx.failed = 1;
    }

    omni_store_close(s);

    if (bad) {
        omnictl_error("%llu records could not be read and were skipped",
                      (unsigned long long) bad);
    }

    return (rc != OMNI_OK || ctx.failed || bad) ? OMNICTL_EDATA : OMNICTL_OK;
}


static int
omnictl_export_one(void *data, const omni_profile_t *p)
{
    char                  *line;
    size_t                 len;
    omnictl_export_ctx_t  *ctx = data;

    line = omni_profile_to_json(p, &len);
    if (line == NULL) {
        ctx->failed = 1;
        return 1;
    }

    line[len] = '\n';

    if (fwrite(line, 1, len + 1, ctx->out) != len + 1) {
        ctx->failed = 1;
        free(line);
        return 1;
    }

    free(line);
    ctx->n++;

    return 0;
}
