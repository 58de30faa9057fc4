/*
 * omnictl check-campaigns FILE: the checks "nginx -t" runs on a campaigns
 * file, with every error listed as FILE:LINE:COLUMN: message.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omni/campaigns.h>

#include "omnictl.h"


static void omnictl_campaigns_report(void *data,
    const omni_campaigns_error_t *err);


static const char  omnictl_check_campaigns_help[] =
    "usage: omnictl check-campaigns FILE\n"
    "\n"
    "Checks a campaigns file (brands, segments, stages, offers, experiments,\n"
    "tags, settings) the way \"nginx -t\" does with omni_campaigns, and lists\n"
    "every problem as FILE:LINE:COLUMN: message.  FILE \"-\" reads standard\n"
    "input.  Exit code 0 when the file is valid (with a one-line summary),\n"
    "1 when it has errors, 2 on a usage error.\n";


static void
omnictl_campaigns_report(void *data, const omni_campaigns_error_t *err)
{
    (void) data;

    if (err->line) {
        fprintf(stderr, "%s:%u:%u: %s\n", err->file, err->line, err->column,
                err->text);

    } else {
        fprintf(stderr, "%s: %s\n", err->file, err->text);
    }
}


char *
omnictl_read_all(FILE *f, size_t max, size_t *len)
{
    char    *buf, *p;
    size_t   n, size;

    size = 65536;
    *len = 0;

    buf = malloc(size);
    if (buf == NULL) {
        return NULL;
    }

    for ( ;; ) {
        n = fread(buf + *len, 1, size - *len, f);
        *len += n;

        if (*len < size) {
            break;
        }

        /* one byte over the limit is enough for the loader to refuse */
        if (size > max) {
            break;
        }

        p = realloc(buf, size * 2);
        if (p == NULL) {
            free(buf);
            return NULL;
        }

        buf = p;
        size *= 2;
    }

    if (ferror(f)) {
        free(buf);
        return NULL;
    }

    return buf;
}


int
omnictl_check_campaigns(int argc, char **argv)
{
    int                      rc;
    char                    *json;
    FILE                    *f;
    size_t                   len;
    const char              *path;
    omni_campaigns_t        *cs;
    omni_campaigns_error_t   err;

    if (omnictl_wants_help(argc, argv)) {
        fputs(omnictl_check_campaigns_help, stdout);
        return OMNICTL_OK;
    }

    if (argc != 2 || (argv[1][0] == '-' && argv[1][1] != '\0')) {
        fputs(omnictl_check_campaigns_help, stderr);
        return OMNICTL_EUSAGE;
    }

    path = argv[1];

    if (strcmp(path, "-") == 0) {
        f = stdin;
        path = "<stdin>";

    } else {
        f = fopen(path, "rb");
        if (f == NULL) {
            fprintf(stderr, "omnictl: cannot open \"%s\": %s\n", path,
                    strerror(errno));
            return OMNICTL_EDATA;
        }
    }

    json = omnictl_read_all(f, OMNI_CAMPAIGNS_FILE_MAX, &len);

    if (f != stdin) {
        fclose(f);
    }

    if (json == NULL) {
        fprintf(stderr, "omnictl: cannot read \"%s\": %s\n", path,
                strerror(errno ? errno : ENOMEM));
        return OMNICTL_EDATA;
    }

    rc = omni_campaigns_load(json, len, path, omnictl_campaigns_report, NULL,
                             &cs, &err);
    free(json);

    if (rc != OMNI_OK) {
        return OMNICTL_EDATA;
    }

    printf("%s: ok: %zu brand%s, %zu segment%s, %zu offer%s, "
           "%zu experiment%s, %zu tag%s, %zu nginx variable%s\n", path,
           omni_campaigns_nbrands(cs),
           omni_campaigns_nbrands(cs) == 1 ? "" : "s",
           omni_campaigns_nsegments(cs),
           omni_campaigns_nsegments(cs) == 1 ? "" : "s",
           omni_campaigns_noffers(cs),
           omni_campaigns_noffers(cs) == 1 ? "" : "s",
           omni_campaigns_nexperiments(cs),
           omni_campaigns_nexperiments(cs) == 1 ? "" : "s",
           omni_campaigns_ntags(cs),
           omni_campaigns_ntags(cs) == 1 ? "" : "s",
           omni_campaigns_nvars(cs),
           omni_campaigns_nvars(cs) == 1 ? "" : "s");

    omni_campaigns_free(cs);

    return OMNICTL_OK;
}
