/*
 * omnictl get --store DIR CUSTOMER_ID | --visitor VISITOR_ID
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omni/record_json.h>
#include <omni/store.h>

#include "omnictl.h"


static const char  omnictl_get_help[] =
    "usage: omnictl get --store DIR CUSTOMER_ID\n"
    "       omnictl get --store DIR --visitor VISITOR_ID\n"
    "\n"
    "Prints a customer's profile as one JSON line (the import format),\n"
    "or, with --visitor, what the edge knows about a visitor (activity,\n"
    "linked customer) as JSON.  VISITOR_ID is the 22-character id of the\n"
    "visitor cookie ($omni_visitor), or the whole cookie value.\n"
    "\n"
    "Exit codes: 0 found, 1 not found or a store error, 2 usage.\n";


static void *omnictl_alloc(void *data, size_t size);


int
omnictl_get(int argc, char **argv)
{
    int                 c, rc, visitor;
    char               *out;
    void               *rec;
    const char         *dir, *key;
    omni_id_t           id;
    omni_store_t       *s;
    omni_profile_t     *p;
    omni_activity_t    *a;
    omni_store_conf_t   conf;

    static const struct option  options[] = {
        { "store", required_argument, NULL, 's' },
        { "visitor", required_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    dir = NULL;
    visitor = 0;
    opterr = 0;

    while ((c = getopt_long(argc, argv, "s:v:h", options, NULL)) != -1) {

        switch (c) {

        case 's':
            dir = optarg;
            break;

        case 'v':
            /* an argument, so that an id starting with "-" is not an option */
            visitor = 1;
            key = optarg;
            break;

        case 'h':
            fputs(omnictl_get_help, stdout);
            return OMNICTL_OK;

        default:
            return omnictl_usage_error(omnictl_get_help,
                                       "unknown option \"%s\"",
                                       argv[optind - 1]);
        }
    }

    if (dir == NULL) {
        return omnictl_usage_error(omnictl_get_help, "no --store given");
    }

    if (visitor ? optind != argc : optind != argc - 1) {
        return omnictl_usage_error(omnictl_get_help, "give one id");
    }

    if (!visitor) {
        key = argv[optind];
    }

    if (visitor && omnictl_parse_visitor(key, &id) != 0) {
        return omnictl_usage_error(omnictl_get_help,
                                   "\"%s\" is not a visitor id", key);
    }

    memset(&conf, 0, sizeof(conf));
    conf.flags = visitor ? OMNI_STORE_ACTIVITY|OMNI_STORE_ACTIVITY_NOCREATE
                         : OMNI_STORE_PROFILES;

    p = malloc(sizeof(omni_profile_t));
    a = malloc(sizeof(omni_activity_t));

    if (p == NULL || a == NULL || omni_store_open(&s, dir, &conf) != OMNI_OK)
    {
        omnictl_error("out of memory, or a store path too long");
        free(p);
        free(a);
        return OMNICTL_EDATA;
    }

    rec = NULL;
    out = NULL;

    if (!omni_store_ready(s, visitor ? OMNI_STORE_ENV_ACTIVITY
                                     : OMNI_STORE_ENV_PROFILES))
    {
        omnictl_error("%s", omni_store_error(s, visitor
                                                ? OMNI_STORE_ENV_ACTIVITY
                                                : OMNI_STORE_ENV_PROFILES));
        rc = OMNICTL_EDATA;
        goto done;
    }

    if (visitor) {
        rc = omni_store_get_activity(s, &id, omnictl_alloc, &rec, a);

    } else {
        rc = omni_store_get_profile(s, key, strlen(key), omnictl_alloc, &rec,
                                    p);
    }

    if (rc == OMNI_ENOTFOUND) {
        omnictl_error("no %s \"%s\"", visitor ? "visitor" : "profile", key);
        rc = OMNICTL_EDATA;
        goto done;
    }

    if (rc != OMNI_OK) {
        omnictl_error("the record of \"%s\" cannot be read: %s", key,
                      rc == OMNI_ERROR
                      ? omni_store_error(s, visitor ? OMNI_STORE_ENV_ACTIVITY
                                                    : OMNI_STORE_ENV_PROFILES)
                      : omni_strerror(rc));
        rc = OMNICTL_EDATA;
        goto done;
    }

    out = visitor ? omni_activity_to_json(&id, a, NULL)
                  : omni_profile_to_json(p, NULL);

    if (out == NULL) {
        omnictl_error("out of memory");
        rc = OMNICTL_EDATA;
        goto done;
    }

    puts(out);
    rc = OMNICTL_OK;

done:

    free(out);
    free(rec);
    free(p);
    free(a);
    omni_store_close(s);

    return rc;
}


static void *
omnictl_alloc(void *data, size_t size)
{
    void  **rec = data;

    free(*rec);
    *rec = malloc(size);

    return *rec;
}
