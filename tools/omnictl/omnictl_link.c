/*
 * omnictl link --store DIR VISITOR CUSTOMER
 */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <omni/store.h>

#include "omnictl.h"


static const char  omnictl_link_help[] =
    "usage: omnictl link --store DIR VISITOR_ID CUSTOMER_ID\n"
    "       omnictl link --store DIR -\n"
    "\n"
    "Links a visitor (the 22-character id of the visitor cookie, as in\n"
    "$omni_visitor, or the whole cookie value) to a customer, so that\n"
    "the visitor's pages see the customer's profile.  Creates the\n"
    "activity environment if needed; files created by root in a store\n"
    "directory owned by another user (the nginx workers') are given to\n"
    "that user.  With \"-\", pairs \"VISITOR_ID CUSTOMER_ID\" are read from\n"
    "standard input, one a line, and linked in one transaction.\n"
    "\n"
    "Exit codes: 0 linked, 1 a bad line or a store error, 2 usage.\n";


static int omnictl_link_lines(omni_store_batch_t *b, FILE *in);


int
omnictl_link(int argc, char **argv)
{
    int                  c, rc, lines;
    size_t               len;
    omni_id_t            id;
    const char          *dir, *customer;
    omni_store_t        *s;
    omni_store_conf_t    conf;
    omni_store_batch_t  *b;

    static const struct option  options[] = {
        { "store", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    dir = NULL;
    opterr = 0;

    while ((c = getopt_long(argc, argv, "s:h", options, NULL)) != -1) {

        switch (c) {

        case 's':
            dir = optarg;
            break;

        case 'h':
            fputs(omnictl_link_help, stdout);
            return OMNICTL_OK;

        default:
            return omnictl_usage_error(omnictl_link_help,
                                       "unknown option \"%s\"",
                                       argv[optind - 1]);
        }
    }

    if (dir == NULL) {
        return omnictl_usage_error(omnictl_link_help, "no --store given");
    }

    lines = (optind == argc - 1 && strcmp(argv[optind], "-") == 0);

    if (!lines && optind != argc - 2) {
        return omnictl_usage_error(omnictl_link_help,
                                   "give a visitor and a customer, or -");
    }

    customer = NULL;
    len = 0;

    if (!lines) {
        if (omnictl_parse_visitor(argv[optind], &id) != 0) {
            return omnictl_usage_error(omnictl_link_help,
                                       "\"%s\" is not a visitor id",
                                       argv[optind]);
        }

        customer = argv[optind + 1];
        len = strlen(customer);

        if (len == 0 || len > OMNI_KEY_MAX) {
            return omnictl_usage_error(omnictl_link_help,
                                       "a customer id is 1 to %d bytes",
                                       OMNI_KEY_MAX);
        }
    }

    memset(&conf, 0, sizeof(conf));
    conf.flags = OMNI_STORE_ACTIVITY|OMNI_STORE_CHOWN;

    if (omni_store_open(&s, dir, &conf) != OMNI_OK) {
        omnictl_error("out of memory, or a store path too long");
        return OMNICTL_EDATA;
    }

    if (!omni_store_ready(s, OMNI_STORE_ENV_ACTIVITY)) {
        omnictl_error("%s", omni_store_error(s, OMNI_STORE_ENV_ACTIVITY));
        omni_store_close(s);
        return OMNICTL_EDATA;
    }

    rc = omni_store_activity_begin(s, &b);

    if (rc == OMNI_OK && lines) {
        rc = omnictl_link_lines(b, stdin);

        if (rc == OMNI_OK) {
            rc = omni_store_activity_commit(b);

        } else {
            omni_store_activity_abort(b);

            if (rc == OMNI_EINVAL) {
                omni_store_close(s);
                return OMNICTL_EDATA;
            }
        }

    } else if (rc == OMNI_OK) {
        rc = omni_store_activity_link(b, &id, customer, len);

        if (rc == OMNI_OK) {
            rc = omni_store_activity_commit(b);

        } else {
            omni_store_activity_abort(b);
        }
    }

    if (rc != OMNI_OK) {
        omnictl_error("cannot link: %s", omni_store_activity_error(s));
        omni_store_close(s);
        return OMNICTL_EDATA;
    }

    omni_store_close(s);

    return OMNICTL_OK;
}


/* every line or none: a bad line is reported and nothing is linked */

static int
omnictl_link_lines(omni_store_batch_t *b, FILE *in)
{
    int        rc;
    char       line[512], *visitor, *customer, *save;
    size_t     n;
    omni_id_t  id;

    n = 0;

    while (fgets(line, sizeof(line), in) != NULL) {
        n++;

        visitor = strtok_r(line, " \t\r\n", &save);
        customer = strtok_r(NULL, " \t\r\n", &save);

        if (visitor == NULL) {
            continue;
        }

        if (customer == NULL || strtok_r(NULL, " \t\r\n", &save) != NULL
            || omnictl_parse_visitor(visitor, &id) != 0
            || strlen(customer) > OMNI_KEY_MAX)
        {
            omnictl_error("stdin:%zu: expected \"VISITOR_ID CUSTOMER_ID\"",
                          n);
            return OMNI_EINVAL;
        }

        rc = omni_store_activity_link(b, &id, customer, strlen(customer));
        if (rc != OMNI_OK) {
            omnictl_error("stdin:%zu: %s", n, omni_store_batch_error(b));
            return rc;
        }
    }

    return OMNI_OK;
}
