/*
 * omnictl delete --store DIR CUSTOMER_ID...: erasure of a customer, the
 * path privacy law asks for; --visitor VISITOR_ID... forgets visitors.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omni/store.h>

#include "omnictl.h"


static const char  omnictl_delete_help[] =
    "usage: omnictl delete --store DIR CUSTOMER_ID...\n"
    "       omnictl delete --store DIR --visitor VISITOR_ID [--visitor ...]\n"
    "\n"
    "Erases each customer: their profile, and every visitor linked to\n"
    "them with all the edge learned about that visitor (activity).  The\n"
    "profiles file is rewritten without the customer (compacted, so that\n"
    "the removed profile's bytes do not linger in it) and replaces the\n"
    "old one atomically; nginx drops the old map within omni_store_check.\n"
    "With --visitor, the given visitors are removed instead.  Prints what\n"
    "was removed.  Erasing what is not stored is not an error.\n"
    "\n"
    "Exit codes: 0 done, 1 a store error, 2 usage.\n";


static int omnictl_print_visitor(void *data, const omni_id_t *visitor);
static int omnictl_delete_visitors(omni_store_t *s, int argc, char **argv);


int
omnictl_delete(int argc, char **argv)
{
    int                 c, i, rc, profile, visitor, nids;
    char              **ids;
    char                err[OMNI_STORE_ERR_MAX];
    size_t              n;
    omni_id_t           id;
    const char         *dir;
    omni_store_t       *s;
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

    /* at most one visitor id per argument */
    ids = calloc(argc, sizeof(char *));
    if (ids == NULL) {
        omnictl_error("out of memory");
        return OMNICTL_EDATA;
    }

    nids = 0;

    while ((c = getopt_long(argc, argv, "s:v:h", options, NULL)) != -1) {

        switch (c) {

        case 's':
            dir = optarg;
            break;

        case 'v':
            /*
             * Each visitor id is an option's argument, so that an id
             * starting with "-" is not taken for an option.
             */
            visitor = 1;
            ids[nids++] = optarg;
            break;

        case 'h':
            fputs(omnictl_delete_help, stdout);
            return OMNICTL_OK;

        default:
            return omnictl_usage_error(omnictl_delete_help,
                                       "unknown option \"%s\"",
                                       argv[optind - 1]);
        }
    }

    if (dir == NULL) {
        return omnictl_usage_error(omnictl_delete_help, "no --store given");
    }

    if (visitor) {
        if (optind != argc) {
            return omnictl_usage_error(omnictl_delete_help,
                                       "give each visitor as --visitor ID");
        }

        argv = ids;
        argc = nids;
        optind = 0;
    }

    if (optind == argc) {
        return omnictl_usage_error(omnictl_delete_help, "no id given");
    }

    for (i = optind; i < argc; i++) {
        if (visitor ? omnictl_parse_visitor(argv[i], &id) != 0
                    : strlen(argv[i]) == 0 || strlen(argv[i]) > OMNI_KEY_MAX)
        {
            return omnictl_usage_error(omnictl_delete_help,
                                       "\"%s\" is not a %s id", argv[i],
                                       visitor ? "visitor" : "customer");
        }
    }

    memset(&conf, 0, sizeof(conf));
    conf.flags = OMNI_STORE_ACTIVITY|OMNI_STORE_ACTIVITY_NOCREATE
                 |OMNI_STORE_CHOWN;

    if (omni_store_open(&s, dir, &conf) != OMNI_OK) {
        omnictl_error("out of memory, or a store path too long");
        return OMNICTL_EDATA;
    }

    if (visitor) {
        rc = omnictl_delete_visitors(s, argc - optind, argv + optind);
        omni_store_close(s);
        free(ids);
        return rc;
    }

    free(ids);

    rc = OMNICTL_OK;

    for (i = optind; i < argc; i++) {
        if (omni_store_erase_customer(s, argv[i], strlen(argv[i]),
                                      omnictl_print_visitor, argv[i],
                                      &profile, &n, err)
            != OMNI_OK)
        {
            omnictl_error("cannot erase \"%s\": %s", argv[i], err);
            rc = OMNICTL_EDATA;
            continue;
        }

        if (profile) {
            printf("removed profile %s\n", argv[i]);
        }

        if (profile == 0 && n == 0) {
            printf("nothing stored for %s\n", argv[i]);
        }
    }

    omni_store_close(s);

    return rc;
}


static int
omnictl_print_visitor(void *data, const omni_id_t *visitor)
{
    char  text[OMNI_ID_TEXT_LEN + 1];

    omni_id_format(visitor, text);
    text[OMNI_ID_TEXT_LEN] = '\0';

    printf("removed visitor %s (linked to %s)\n", text, (char *) data);

    return 0;
}


static int
omnictl_delete_visitors(omni_store_t *s, int n, char **ids)
{
    int                  i, rc;
    omni_id_t            id;
    omni_store_batch_t  *b;

    if (!omni_store_ready(s, OMNI_STORE_ENV_ACTIVITY)) {
        for (i = 0; i < n; i++) {
            printf("nothing stored for %s\n", ids[i]);
        }

        return OMNICTL_OK;
    }

    if (omni_store_activity_begin(s, &b) != OMNI_OK) {
        omnictl_error("%s", omni_store_activity_error(s));
        return OMNICTL_EDATA;
    }

    for (i = 0; i < n; i++) {
        (void) omnictl_parse_visitor(ids[i], &id);

        rc = omni_store_activity_delete(b, &id);

        if (rc == OMNI_ENOTFOUND) {
            printf("nothing stored for %s\n", ids[i]);
            continue;
        }

        if (rc != OMNI_OK) {
            omnictl_error("cannot delete \"%s\": %s", ids[i],
                          omni_store_batch_error(b));
            omni_store_activity_abort(b);
            return OMNICTL_EDATA;
        }

        printf("removed visitor %s\n", ids[i]);
    }

    if (omni_store_activity_commit(b) != OMNI_OK) {
        omnictl_error("cannot commit: %s", omni_store_activity_error(s));
        return OMNICTL_EDATA;
    }

    return OMNICTL_OK;
}
