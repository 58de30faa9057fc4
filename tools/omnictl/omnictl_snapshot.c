/*
 * omnictl snapshot --store DIR DEST: the file to ship to other edges.
 */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <omni/store.h>

#include "omnictl.h"


static const char  omnictl_snapshot_help[] =
    "usage: omnictl snapshot --store DIR [--activity] DEST\n"
    "\n"
    "Writes a compact, consistent copy of the profiles (safe while nginx\n"
    "and other omnictl runs use the store) to DEST, or to DEST/data.mdb\n"
    "when DEST is a directory.  DEST is replaced atomically.\n"
    "\n"
    "This is the file to ship to other edges.  On each of them, copy it\n"
    "into the store's profiles directory under a temporary name, then\n"
    "rename it over data.mdb (never copy onto data.mdb itself):\n"
    "\n"
    "  rsync snap.mdb edge:/var/lib/omni/profiles/.data.mdb.new\n"
    "  ssh edge mv /var/lib/omni/profiles/.data.mdb.new \\\n"
    "             /var/lib/omni/profiles/data.mdb\n"
    "\n"
    "Every nginx worker there picks it up within omni_store_check.\n"
    "With --activity, the activity environment is copied instead (a\n"
    "backup: activity stays on the edge that learned it).\n"
    "\n"
    "Exit codes: 0 done, 1 no store or a write error, 2 usage.\n";


int
omnictl_snapshot(int argc, char **argv)
{
    int                 c, rc, activity;
    const char         *dir, *dest;
    omni_store_t       *s;
    omni_store_env_e    env;
    omni_store_conf_t   conf;
    omni_store_stat_t   st;

    static const struct option  options[] = {
        { "store", required_argument, NULL, 's' },
        { "activity", no_argument, NULL, 'a' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    dir = NULL;
    activity = 0;
    opterr = 0;

    while ((c = getopt_long(argc, argv, "s:ah", options, NULL)) != -1) {

        switch (c) {

        case 's':
            dir = optarg;
            break;

        case 'a':
            activity = 1;
            break;

        case 'h':
            fputs(omnictl_snapshot_help, stdout);
            return OMNICTL_OK;

        default:
            return omnictl_usage_error(omnictl_snapshot_help,
                                       "unknown option \"%s\"",
                                       argv[optind - 1]);
        }
    }

    if (dir == NULL) {
        return omnictl_usage_error(omnictl_snapshot_help, "no --store given");
    }

    if (optind != argc - 1) {
        return omnictl_usage_error(omnictl_snapshot_help, "give one DEST");
    }

    dest = argv[optind];
    env = activity ? OMNI_STORE_ENV_ACTIVITY : OMNI_STORE_ENV_PROFILES;

    memset(&conf, 0, sizeof(conf));
    conf.flags = activity ? OMNI_STORE_ACTIVITY|OMNI_STORE_ACTIVITY_NOCREATE
                          : OMNI_STORE_PROFILES;

    if (omni_store_open(&s, dir, &conf) != OMNI_OK) {
        omnictl_error("out of memory, or a store path too long");
        return OMNICTL_EDATA;
    }

    if (!omni_store_ready(s, env)) {
        omnictl_error("%s", omni_store_error(s, env));
        omni_store_close(s);
        return OMNICTL_EDATA;
    }

    rc = omni_store_snapshot(s, env, dest);

    if (rc != OMNI_OK) {
        omnictl_error("%s", omni_store_error(s, env));
        omni_store_close(s);
        return OMNICTL_EDATA;
    }

    if (omni_store_stat(s, env, &st) == OMNI_OK) {
        fprintf(stderr, "omnictl: wrote %s: %llu %s\n", dest,
                (unsigned long long) st.entries,
                activity ? "visitors" : "profiles");
    }

    omni_store_close(s);

    return OMNICTL_OK;
}
