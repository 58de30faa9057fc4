/*
 * omnictl import --store DIR [--strict] FILE|-: profile JSON lines into
 * a new profiles file, published when the input is done.
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <omni/import.h>

#include "omnictl.h"


static const char  omnictl_import_help[] =
    "usage: omnictl import --store DIR [--strict] [--batch N]\n"
    "                      [--map-size SIZE] [--no-wait] FILE|-\n"
    "\n"
    "Loads customer profiles, one JSON object per line (\"-\" reads\n"
    "standard input), and inserts or replaces them by customer_id:\n"
    "\n"
    "  {\"customer_id\": \"C1\", \"first_name\": \"Ann\",\n"
    "   \"locale\": \"en-GB\", \"tier\": \"gold\", \"points\": 1200,\n"
    "   \"consent\": [\"email\"], \"tags\": [\"vip\"],\n"
    "   \"attrs\": {\"city\": \"Oslo\"}}\n"
    "\n"
    "The new profiles are written to a copy of DIR/profiles/data.mdb\n"
    "that replaces it (an atomic rename) once the input is read: nginx\n"
    "picks it up within omni_store_check, and a failed import changes\n"
    "nothing.  A bad line is reported with its number and skipped.\n"
    "\n"
    "  --store DIR       the store directory (the omni_store directive's)\n"
    "  --strict          any bad line: write nothing\n"
    "  --batch N         lines per write transaction (default 10000)\n"
    "  --map-size SIZE   room for the new file (default 8g; k, m, g)\n"
    "  --no-wait         fail when another omnictl is writing profiles\n"
    "\n"
    "Exit codes: 0 every line imported, 1 bad lines or a store error,\n"
    "2 usage.\n";


typedef struct {
    const char       *name;
    int               tty;
    int               progress;
    struct timespec   start;
} omnictl_import_ctx_t;


static double omnictl_elapsed(const struct timespec *start);
static void omnictl_import_error(void *data, uint64_t line,
    const char *reason);
static void omnictl_import_batch(void *data, const omni_import_stats_t *st);


int
omnictl_import(int argc, char **argv)
{
    int                    c, rc;
    char                   err[OMNI_STORE_ERR_MAX];
    FILE                  *in;
    size_t                 n;
    double                 secs;
    const char            *dir, *file;
    omni_store_t          *s;
    omni_store_conf_t      sconf;
    omni_import_conf_t     conf;
    omni_import_stats_t    st;
    omnictl_import_ctx_t   ctx;

    static const struct option  options[] = {
        { "store", required_argument, NULL, 's' },
        { "strict", no_argument, NULL, 'S' },
        { "batch", required_argument, NULL, 'b' },
        { "map-size", required_argument, NULL, 'm' },
        { "no-wait", no_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    memset(&conf, 0, sizeof(conf));
    conf.wait = 1;
    dir = NULL;

    opterr = 0;

    while ((c = getopt_long(argc, argv, "s:h", options, NULL)) != -1) {

        switch (c) {

        case 's':
            dir = optarg;
            break;

        case 'S':
            conf.strict = 1;
            break;

        case 'b':
            if (omnictl_parse_size(optarg, &n) != 0 || n > 10000000) {
                return omnictl_usage_error(omnictl_import_help,
                                           "invalid --batch \"%s\"", optarg);
            }

            conf.batch = n;
            break;

        case 'm':
            if (omnictl_parse_size(optarg, &conf.map_size) != 0) {
                return omnictl_usage_error(omnictl_import_help,
                                           "invalid --map-size \"%s\"",
                                           optarg);
            }

            break;

        case 'n':
            conf.wait = 0;
            break;

        case 'h':
            fputs(omnictl_import_help, stdout);
            return OMNICTL_OK;

        default:
            return omnictl_usage_error(omnictl_import_help,
                                       "unknown option \"%s\"",
                                       argv[optind - 1]);
        }
    }

    if (dir == NULL) {
        return omnictl_usage_error(omnictl_import_help, "no --store given");
    }

    if (optind != argc - 1) {
        return omnictl_usage_error(omnictl_import_help,
                                   "give one FILE, or - for standard input");
    }

    file = argv[optind];

    if (strcmp(file, "-") == 0) {
        in = stdin;
        ctx.name = "stdin";

    } else {
        in = fopen(file, "r");
        if (in == NULL) {
            omnictl_error("cannot open \"%s\": %s", file, strerror(errno));
            return OMNICTL_EDATA;
        }

        ctx.name = file;
    }

    /* lines are read through one fixed buffer: a large one helps */
    setvbuf(in, NULL, _IOFBF, 1 << 20);

    ctx.tty = isatty(STDERR_FILENO);
    ctx.progress = 0;
    clock_gettime(CLOCK_MONOTONIC, &ctx.start);

    conf.on_error = omnictl_import_error;
    conf.on_batch = omnictl_import_batch;
    conf.data = &ctx;

    memset(&sconf, 0, sizeof(sconf));
    sconf.flags = OMNI_STORE_CHOWN;

    if (omni_store_open(&s, dir, &sconf) != OMNI_OK) {
        omnictl_error("out of memory, or a store path too long");

        if (in != stdin) {
            fclose(in);
        }

        return OMNICTL_EDATA;
    }

    if (!conf.wait) {
        rc = omni_import_profiles(s, in, &conf, &st, err, sizeof(err));

    } else {
        conf.wait = 0;
        rc = omni_import_profiles(s, in, &conf, &st, err, sizeof(err));

        if (rc == OMNI_AGAIN) {
            omnictl_error("%s: waiting", err);
            conf.wait = 1;
            rc = omni_import_profiles(s, in, &conf, &st, err, sizeof(err));
        }
    }

    omni_store_close(s);

    if (in != stdin) {
        fclose(in);
    }

    if (ctx.progress) {
        fputs("\r\033[K", stderr);
    }

    secs = omnictl_elapsed(&ctx.start);

    if (rc != OMNI_OK && rc != OMNI_EINVAL) {
        omnictl_error("%s%s", err, rc == OMNI_EFULL ? " (--map-size)" : "");
        omnictl_error("nothing was imported");
        return OMNICTL_EDATA;
    }

    fprintf(stderr, "omnictl: %llu lines, %llu profiles %s, %llu bad lines, "
            "%.2f s (%.0f lines/s)\n",
            (unsigned long long) st.lines,
            (unsigned long long) st.imported,
            conf.strict && st.bad ? "read (nothing written: --strict)"
                                  : "imported",
            (unsigned long long) st.bad, secs,
            secs > 0 ? st.lines / secs : 0.0);

    return rc == OMNI_OK ? OMNICTL_OK : OMNICTL_EDATA;
}


static double
omnictl_elapsed(const struct timespec *start)
{
    struct timespec  now;

    clock_gettime(CLOCK_MONOTONIC, &now);

    return (now.tv_sec - start->tv_sec)
           + (now.tv_nsec - start->tv_nsec) / 1e9;
}


static void
omnictl_import_error(void *data, uint64_t line, const char *reason)
{
    omnictl_import_ctx_t  *ctx = data;

    if (ctx->progress) {
        fputs("\r\033[K", stderr);
        ctx->progress = 0;
    }

    fprintf(stderr, "omnictl: %s:%llu: %s\n", ctx->name,
            (unsigned long long) line, reason);
}


static void
omnictl_import_batch(void *data, const omni_import_stats_t *st)
{
    double                 secs;
    omnictl_import_ctx_t  *ctx = data;

    if (!ctx->tty) {
        return;
    }

    secs = omnictl_elapsed(&ctx->start);

    fprintf(stderr, "\r\033[Kimported %llu profiles, %.0f/s",
            (unsigned long long) st->imported,
            secs > 0 ? st->imported / secs : 0.0);

    ctx->progress = 1;
}
