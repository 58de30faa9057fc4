/*
 * omnictl: the command-line side of ngx_omni_module.
 */

#include <stdio.h>
#include <string.h>

#include "omnictl.h"


static const omnictl_verb_t  omnictl_verbs[] = {
    { "gen-secret", "write a new random omni_secret file", omnictl_gen_secret },
    { "check-campaigns", "check a campaigns file, listing every error",
      omnictl_check_campaigns },
    { "import", "load customer profiles from JSON lines", omnictl_import },
    { "get", "show a customer's profile, or a visitor's activity",
      omnictl_get },
    { "delete", "erase a customer (profile and linked visitors)",
      omnictl_delete },
    { "export", "write every profile as JSON lines", omnictl_export },
    { "stats", "counts, file sizes, map use and readers of a store",
      omnictl_stats },
    { "snapshot", "a compact copy of the profiles, to ship to other edges",
      omnictl_snapshot },
    { "link", "link a visitor to a customer", omnictl_link },
    { "decide", "the offer a visitor or customer gets, and why",
      omnictl_decide },
    { "abandoned", "visitors who left items in their cart, as JSON lines",
      omnictl_abandoned },
    { "activity", "every visitor's activity record, or totals",
      omnictl_activity },
    { NULL, NULL, NULL }
};


static void
omnictl_usage(FILE *out)
{
    const omnictl_verb_t  *v;

    fprintf(out, "usage: omnictl VERB [OPTIONS] [ARGS]\n\nverbs:\n");

    for (v = omnictl_verbs; v->name; v++) {
        fprintf(out, "  %-16s %s\n", v->name, v->summary);
    }

    fprintf(out, "\n\"omnictl VERB --help\" describes a verb.\n"
                 "exit codes: 0 ok, 1 data errors, 2 usage errors\n");
}


int
main(int argc, char **argv)
{
    const omnictl_verb_t  *v;

    if (argc < 2) {
        omnictl_usage(stderr);
        return OMNICTL_EUSAGE;
    }

    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0
        || strcmp(argv[1], "help") == 0)
    {
        omnictl_usage(stdout);
        return OMNICTL_OK;
    }

    for (v = omnictl_verbs; v->name; v++) {
        if (strcmp(argv[1], v->name) == 0) {
            return v->run(argc - 1, argv + 1);
        }
    }

    fprintf(stderr, "omnictl: unknown verb \"%s\"\n\n", argv[1]);
    omnictl_usage(stderr);

    return OMNICTL_EUSAGE;
}
