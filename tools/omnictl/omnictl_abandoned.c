/*
 * omnictl abandoned --store DIR [--since DURATION] [--min-value MONEY]
 *                   [--abandon-after DURATION] [--now UNIXTIME]
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <omni/abandoned.h>
#include <omni/event.h>
#include <omni/store.h>

#include "omnictl.h"


static const char  omnictl_abandoned_help[] =
    "usage: omnictl abandoned --store DIR [--since DURATION]\n"
    "                         [--min-value MONEY] [--abandon-after DURATION]\n"
    "                         [--now UNIXTIME]\n"
    "\n"
    "Prints one JSON line per visitor whose cart was abandoned: items in\n"
    "the cart, no purchase since, and no activity for --abandon-after\n"
    "(default 30m: set it to nginx's omni_abandon_after), or found so by\n"
    "nginx when the visitor came back without buying.  Each line holds\n"
    "the visitor id, the linked customer id (null if none), the cart's\n"
    "items with quantities and unit prices, its value (money in cents),\n"
    "the first and last channel of arrival, when the visitor was last\n"
    "seen and when the cart was abandoned:\n"
    "\n"
    "  {\"visitor\":\"...\",\"customer_id\":\"C1\",\"cart\":[{\"item\":"
    "\"SKU-7\",\n"
    "   \"qty\":1,\"price\":11990}],\"cart_value\":11990,...}\n"
    "\n"
    "  --since DURATION     only visitors last seen within DURATION\n"
    "                       (30m, 24h, 7d)\n"
    "  --min-value MONEY    only carts worth at least MONEY (100, 99.90)\n"
    "  --now UNIXTIME       the time to judge by (default: now)\n"
    "\n"
    "Visitors come in visitor id order; the count goes to standard error.\n"
    "\n"
    "Exit codes: 0 done, 1 no activity store or a store error, 2 usage.\n";


typedef struct {
    omni_abandoned_filter_t   filter;
    uint64_t                  found;
    int                       failed;
} omnictl_abandoned_ctx_t;


static int omnictl_abandoned_one(void *data, const omni_id_t *visitor,
    const omni_activity_t *a);


int
omnictl_abandoned(int argc, char **argv)
{
    int                       c, rc;
    char                     *end;
    uint64_t                  bad;
    const char               *dir;
    omni_store_t             *s;
    omni_store_stat_t         st;
    omni_store_conf_t         conf;
    omnictl_abandoned_ctx_t   ctx;

    static const struct option  options[] = {
        { "store", required_argument, NULL, 's' },
        { "since", required_argument, NULL, 'S' },
        { "min-value", required_argument, NULL, 'm' },
        { "abandon-after", required_argument, NULL, 'a' },
        { "now", required_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    memset(&ctx, 0, sizeof(ctx));
    ctx.filter.now = (int64_t) time(NULL);
    ctx.filter.abandon_after = 1800;

    dir = NULL;
    opterr = 0;

    while ((c = getopt_long(argc, argv, "s:h", options, NULL)) != -1) {

        switch (c) {

        case 's':
            dir = optarg;
            break;

        case 'S':
            if (omnictl_parse_duration(optarg, &ctx.filter.since) != 0
                || ctx.filter.since == 0)
            {
                return omnictl_usage_error(omnictl_abandoned_help,
                                           "invalid --since \"%s\"", optarg);
            }

            break;

        case 'a':
            if (omnictl_parse_duration(optarg, &ctx.filter.abandon_after)
                != 0 || ctx.filter.abandon_after == 0)
            {
                return omnictl_usage_error(omnictl_abandoned_help,
                                           "invalid --abandon-after \"%s\"",
                                           optarg);
            }

            break;

        case 'm':
            if (omni_money_parse(optarg, strlen(optarg),
                                 &ctx.filter.min_value)
                != OMNI_OK)
            {
                return omnictl_usage_error(omnictl_abandoned_help,
                                           "invalid --min-value \"%s\"",
                                           optarg);
            }

            break;

        case 'n':
            ctx.filter.now = (int64_t) strtoll(optarg, &end, 10);

            if (end == optarg || *end != '\0' || ctx.filter.now <= 0) {
                return omnictl_usage_error(omnictl_abandoned_help,
                                           "invalid --now \"%s\"", optarg);
            }

            break;

        case 'h':
            fputs(omnictl_abandoned_help, stdout);
            return OMNICTL_OK;

        default:
            return omnictl_usage_error(omnictl_abandoned_help,
                                       "unknown or incomplete option \"%s\"",
                                       argv[optind - 1]);
        }
    }

    if (dir == NULL) {
        return omnictl_usage_error(omnictl_abandoned_help,
                                   "no --store given");
    }

    if (optind != argc) {
        return omnictl_usage_error(omnictl_abandoned_help,
                                   "unexpected argument \"%s\"",
                                   argv[optind]);
    }

    memset(&conf, 0, sizeof(conf));
    conf.flags = OMNI_STORE_ACTIVITY|OMNI_STORE_ACTIVITY_NOCREATE;

    if (omni_store_open(&s, dir, &conf) != OMNI_OK) {
        omnictl_error("out of memory, or a store path too long");
        return OMNICTL_EDATA;
    }

    if (!omni_store_ready(s, OMNI_STORE_ENV_ACTIVITY)) {
        omnictl_error("%s", omni_store_error(s, OMNI_STORE_ENV_ACTIVITY));
        omni_store_close(s);
        return OMNICTL_EDATA;
    }

    rc = omni_store_activity_each(s, omnictl_abandoned_one, &ctx, &bad);

    if (rc != OMNI_OK && !ctx.failed) {
        omnictl_error("reading the activity store: %s",
                      rc == OMNI_ERROR
                      ? omni_store_error(s, OMNI_STORE_ENV_ACTIVITY)
                      : omni_strerror(rc));
        omni_store_close(s);
        return OMNICTL_EDATA;
    }

    if (ctx.failed) {
        omnictl_error("out of memory, or standard output failed");
        omni_store_close(s);
        return OMNICTL_EDATA;
    }

    if (fflush(stdout) != 0) {
        omnictl_error("cannot write the output");
        omni_store_close(s);
        return OMNICTL_EDATA;
    }

    if (omni_store_stat(s, OMNI_STORE_ENV_ACTIVITY, &st) != OMNI_OK) {
        st.entries = 0;
    }

    fprintf(stderr, "omnictl: %llu abandoned carts among %llu visitors",
            (unsigned long long) ctx.found, (unsigned long long) st.entries);

    if (bad) {
        fprintf(stderr, " (%llu unreadable records skipped)",
                (unsigned long long) bad);
    }

    fputc('\n', stderr);

    omni_store_close(s);

    return OMNICTL_OK;
}


static int
omnictl_abandoned_one(void *data, const omni_id_t *visitor,
    const omni_activity_t *a)
{
    omnictl_abandoned_ctx_t *ctx = data;

    char    *line;
    size_t   len;

    if (!omni_abandoned_match(a, &ctx->filter)) {
        return 0;
    }

    line = omni_abandoned_to_json(visitor, a, ctx->filter.abandon_after,
                                  &len);
    if (line == NULL) {
        ctx->failed = 1;
        return 1;
    }

    if (fwrite(line, 1, len, stdout) != len || putchar('\n') == EOF) {
        free(line);
        ctx->failed = 1;
        return 1;
    }

    free(line);
    ctx->found++;

    return 0;
}
