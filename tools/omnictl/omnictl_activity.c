/*
 * omnictl activity --store DIR [--since DURATION] [--totals]
 */

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <omni/record_json.h>
#include <omni/store.h>

#include "omnictl.h"


static const char  omnictl_activity_help[] =
    "usage: omnictl activity --store DIR [--since DURATION] [--totals]\n"
    "\n"
    "Prints every visitor's activity record as one JSON line (the format\n"
    "of \"omnictl get --visitor\"), in visitor id order: what the edge has\n"
    "learned, for export to a warehouse or a CDP.  With --totals, one JSON\n"
    "object instead, summing the records: visitors, visits, page views,\n"
    "linked visitors, carts (visitors with items in the cart), cart\n"
    "value, purchases and their value (money in cents).\n"
    "\n"
    "  --since DURATION     only visitors last seen within DURATION\n"
    "                       (30m, 24h, 7d)\n"
    "\n"
    "Exit codes: 0 done, 1 no activity store or a store error, 2 usage.\n";


typedef struct {
    int64_t     now;
    int64_t     since;
    int         totals;
    int         failed;

    uint64_t    visitors;
    uint64_t    visits;
    uint64_t    pageviews;
    uint64_t    linked;
    uint64_t    carts;
    uint64_t    cart_value;
    uint64_t    purchases;
    uint64_t    purchase_value;
} omnictl_activity_ctx_t;


static int omnictl_activity_one(void *data, const omni_id_t *visitor,
    const omni_activity_t *a);
static uint64_t omnictl_add(uint64_t sum, int64_t v);


int
omnictl_activity(int argc, char **argv)
{
    int                      c, rc;
    uint64_t                 bad;
    const char              *dir;
    omni_store_t            *s;
    omni_store_conf_t        conf;
    omnictl_activity_ctx_t   ctx;

    static const struct option  options[] = {
        { "store", required_argument, NULL, 's' },
        { "since", required_argument, NULL, 'S' },
        { "totals", no_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    memset(&ctx, 0, sizeof(ctx));
    ctx.now = (int64_t) time(NULL);

    dir = NULL;
    opterr = 0;

    while ((c = getopt_long(argc, argv, "s:th", options, NULL)) != -1) {

        switch (c) {

        case 's':
            dir = optarg;
            break;

        case 'S':
            if (omnictl_parse_duration(optarg, &ctx.since) != 0
                || ctx.since == 0)
            {
                return omnictl_usage_error(omnictl_activity_help,
                                           "invalid --since \"%s\"", optarg);
            }

            break;

        case 't':
            ctx.totals = 1;
            break;

        case 'h':
            fputs(omnictl_activity_help, stdout);
            return OMNICTL_OK;

        default:
            return omnictl_usage_error(omnictl_activity_help,
                                       "unknown or incomplete option \"%s\"",
                                       argv[optind - 1]);
        }
    }

    if (dir == NULL) {
        return omnictl_usage_error(omnictl_activity_help,
                                   "no --store given");
    }

    if (optind != argc) {
        return omnictl_usage_error(omnictl_activity_help,
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

    rc = omni_store_activity_each(s, omnictl_activity_one, &ctx, &bad);

    omni_store_close(s);

    if (ctx.failed) {
        omnictl_error("out of memory, or standard output failed");
        return OMNICTL_EDATA;
    }

    if (rc != OMNI_OK) {
        omnictl_error("reading the activity store: %s", omni_strerror(rc));
        return OMNICTL_EDATA;
    }

    if (ctx.totals) {
        printf("{\"visitors\":%" PRIu64 ",\"visits\":%" PRIu64
               ",\"pageviews\":%" PRIu64 ",\"linked\":%" PRIu64
               ",\"carts\":%" PRIu64 ",\"cart_value\":%" PRIu64
               ",\"purchases\":%" PRIu64 ",\"purchase_value\":%" PRIu64
               ",\"unreadable\":%" PRIu64 "}\n",
               ctx.visitors, ctx.visits, ctx.pageviews, ctx.linked,
               ctx.carts, ctx.cart_value, ctx.purchases, ctx.purchase_value,
               bad);

    } else if (bad) {
        omnictl_error("%" PRIu64 " unreadable records skipped", bad);
    }

    if (fflush(stdout) != 0) {
        omnictl_error("cannot write the output");
        return OMNICTL_EDATA;
    }

    return OMNICTL_OK;
}


static int
omnictl_activity_one(void *data, const omni_id_t *visitor,
    const omni_activity_t *a)
{
    omnictl_activity_ctx_t *ctx = data;

    char    *line;
    size_t   len;

    if (ctx->since && ctx->now - a->last_seen > ctx->since) {
        return 0;
    }

    if (ctx->totals) {
        ctx->visitors++;
        ctx->visits += a->visits;
        ctx->pageviews += a->pageviews;
        ctx->linked += (a->customer_id.len != 0);
        ctx->carts += (a->ncart != 0);
        ctx->cart_value = omnictl_add(ctx->cart_value, a->cart_value);
        ctx->purchases += a->purchases;
        ctx->purchase_value = omnictl_add(ctx->purchase_value,
                                          a->purchase_value);
        return 0;
    }

    line = omni_activity_to_json(visitor, a, &len);
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

    return 0;
}


static uint64_t
omnictl_add(uint64_t sum, int64_t v)
{
    if (v < 0 || sum + (uint64_t) v < sum) {
        return v < 0 ? sum : UINT64_MAX;
    }

    return sum + (uint64_t) v;
}
