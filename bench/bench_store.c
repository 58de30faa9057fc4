/*
 * The profile store, in process:
 *
 *   - import throughput of N generated profile JSON lines (the code path
 *     of "omnictl import"), ids in order and shuffled, and bytes per
 *     profile of the published file;
 *   - lookup + decode latency (copy out of the map, reset, decode: what
 *     a request pays) over N profiles with random keys, percentiles;
 *   - the request path of a known visitor: activity record, then the
 *     linked profile.
 *
 *   bench_store [N]         (default 1000000; files under /tmp, removed)
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <omni/import.h>
#include <omni/store.h>


#define BENCH_LOOKUPS    1000000
#define BENCH_VISITORS   100000
#define BENCH_ARENA      (64 << 20)


typedef struct {
    char    *base;
    size_t   used;
    size_t   size;
} arena_t;


static uint64_t  rng_state = 0x9e3779b97f4a7c15ULL;


static uint64_t
rng(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;

    return rng_state * 0x2545f4914f6cdd1dULL;
}


static double
now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


static uint64_t
now_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}


/* a request pool, reset between requests */
static void *
arena_alloc(void *data, size_t size)
{
    arena_t  *a = data;
    void     *p;

    if (a->used + size > a->size) {
        a->used = 0;
    }

    p = a->base + a->used;
    a->used += size;

    return p;
}


static void
die(const char *what)
{
    fprintf(stderr, "bench_store: %s\n", what);
    exit(1);
}


static void
generate(const char *path, uint32_t *ids, size_t n)
{
    FILE         *f;
    size_t        i;
    uint64_t      r;

    static const char  *names[] = { "Ann", "Bo", "Chen", "Dana", "Eve",
                                    "Farid", "Greta", "Hiro", "Ines", "Jon" };
    static const char  *tiers[] = { "bronze", "silver", "gold", "platinum" };
    static const char  *tags[] = { "vip", "newsletter", "b2b", "churn-risk",
                                   "app" };
    static const char  *cities[] = { "Oslo", "Paris", "Rome", "Lima", "Pune",
                                     "Kyiv" };

    f = fopen(path, "w");
    if (f == NULL) {
        die("cannot write the input file");
    }

    setvbuf(f, NULL, _IOFBF, 1 << 20);

    for (i = 0; i < n; i++) {
        r = rng();

        fprintf(f, "{\"customer_id\": \"C%07u\", \"first_name\": \"%s\", "
                "\"locale\": \"en-GB\", \"tier\": \"%s\", \"points\": %u, "
                "\"consent\": [\"email\"], \"tags\": [\"%s\", \"%s\"], "
                "\"attrs\": {\"city\": \"%s\", \"segment\": \"s%u\"}}\n",
                ids[i], names[r % 10], tiers[(r >> 8) % 4],
                (unsigned) ((r >> 16) % 100000), tags[(r >> 40) % 5],
                tags[((r >> 40) + 1) % 5], cities[(r >> 48) % 6],
                (unsigned) (ids[i] % 50));
    }

    if (fclose(f) != 0) {
        die("cannot write the input file");
    }
}


static long
status_kb(const char *field)
{
    FILE  *f;
    char   line[256];
    long   kb;

    kb = -1;
    f = fopen("/proc/self/status", "r");

    if (f == NULL) {
        return -1;
    }

    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, field, strlen(field)) == 0) {
            kb = atol(line + strlen(field) + 1);
            break;
        }
    }

    fclose(f);

    return kb;
}


/*
 * One import in a child process, so that its memory is its own: the
 * result line comes back through a pipe.
 */
static void
import(const char *dir, const char *input, size_t n, const char *label)
{
    int                  fd[2], status;
    long                 anon, hwm;
    double               cpu;
    struct rusage        ru;
    char                 err[256], line[256];
    FILE                *in;
    pid_t                pid;
    double               t0, secs;
    ssize_t              got;
    struct stat          st;
    omni_store_t        *s;
    omni_import_conf_t   conf;
    omni_import_stats_t  stats;
    char                 path[512];

    if (pipe(fd) != 0) {
        die("pipe");
    }

    pid = fork();

    if (pid == 0) {
        close(fd[0]);

        in = fopen(input, "r");
        if (in == NULL || omni_store_open(&s, dir, NULL) != OMNI_OK) {
            _exit(1);
        }

        setvbuf(in, NULL, _IOFBF, 1 << 20);
        memset(&conf, 0, sizeof(conf));

        t0 = now();

        if (omni_import_profiles(s, in, &conf, &stats, err, sizeof(err))
            != OMNI_OK || stats.imported != n)
        {
            fprintf(stderr, "import: %s\n", err);
            _exit(1);
        }

        secs = now() - t0;

        getrusage(RUSAGE_SELF, &ru);

        snprintf(line, sizeof(line), "%.3f %.3f %ld %ld", secs,
                 ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6
                 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
                 status_kb("RssAnon"), status_kb("VmHWM"));

        if (write(fd[1], line, strlen(line)) < 0) {
            _exit(1);
        }

        omni_store_close(s);
        fclose(in);
        _exit(0);
    }

    close(fd[1]);

    got = read(fd[0], line, sizeof(line) - 1);
    close(fd[0]);

    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)
        || WEXITSTATUS(status) != 0 || got <= 0)
    {
        die("the import failed");
    }

    line[got] = '\0';

    if (sscanf(line, "%lf %lf %ld %ld", &secs, &cpu, &anon, &hwm) != 4) {
        die("no result from the import");
    }

    snprintf(path, sizeof(path), "%s/profiles/data.mdb", dir);

    if (stat(path, &st) != 0) {
        die("no profiles file");
    }

    printf("import %-9s %zu profiles in %.2f s: %.0f profiles/s "
           "(CPU %.2f s: %.0f profiles/CPU-s)\n"
           "       %-9s %.1f bytes per profile on disk (%.1f MiB); "
           "RssAnon at the end %ld KiB, VmHWM %ld KiB (the map's pages "
           "included)\n",
           label, n, secs, n / secs, cpu, n / cpu, "",
           (double) st.st_size / n, st.st_size / 1048576.0, anon, hwm);
}


static int
cmp_u64(const void *a, const void *b)
{
    uint64_t  x = *(const uint64_t *) a, y = *(const uint64_t *) b;

    return (x > y) - (x < y);
}


static void
report(const char *label, uint64_t *lat, size_t n)
{
    qsort(lat, n, sizeof(uint64_t), cmp_u64);

    printf("%-28s n=%zu  p50 %.2f us  p90 %.2f us  p99 %.2f us  "
           "p99.9 %.2f us  max %.1f us\n",
           label, n, lat[n / 2] / 1e3, lat[n * 90 / 100] / 1e3,
           lat[n * 99 / 100] / 1e3, lat[n * 999 / 1000] / 1e3,
           lat[n - 1] / 1e3);
}


static void
lookups(const char *dir, size_t n)
{
    int                rc;
    char               key[32];
    size_t             i, klen, misses;
    double             t0, total;
    uint64_t          *lat, t;
    uint32_t           id;
    arena_t            arena;
    omni_id_t          vid;
    omni_store_t      *s;
    omni_profile_t     p;
    omni_activity_t    a;
    omni_store_conf_t  conf;
    omni_store_batch_t *b;

    memset(&conf, 0, sizeof(conf));
    conf.flags = OMNI_STORE_PROFILES|OMNI_STORE_ACTIVITY;

    if (omni_store_open(&s, dir, &conf) != OMNI_OK
        || !omni_store_ready(s, OMNI_STORE_ENV_PROFILES)
        || !omni_store_ready(s, OMNI_STORE_ENV_ACTIVITY))
    {
        die("cannot open the store");
    }

    arena.size = BENCH_ARENA;
    arena.used = 0;
    arena.base = malloc(arena.size);
    lat = malloc(BENCH_LOOKUPS * sizeof(uint64_t));

    if (arena.base == NULL || lat == NULL) {
        die("out of memory");
    }

    /* the map warm, as on a serving edge */
    for (i = 0; i < n; i++) {
        klen = snprintf(key, sizeof(key), "C%07zu", i);
        (void) omni_store_get_profile(s, key, klen, arena_alloc, &arena, &p);
    }

    /* what the two clock reads around each call cost by themselves */
    for (i = 0; i < BENCH_LOOKUPS; i++) {
        t = now_ns();
        lat[i] = now_ns() - t;
    }

    qsort(lat, BENCH_LOOKUPS, sizeof(uint64_t), cmp_u64);
    printf("%-28s p50 %.3f us (included in the latencies below)\n",
           "timer overhead", lat[BENCH_LOOKUPS / 2] / 1e3);

    misses = 0;
    t0 = now();

    for (i = 0; i < BENCH_LOOKUPS; i++) {
        id = (uint32_t) (rng() % n);
        klen = snprintf(key, sizeof(key), "C%07u", id);

        t = now_ns();
        rc = omni_store_get_profile(s, key, klen, arena_alloc, &arena, &p);
        lat[i] = now_ns() - t;

        misses += (rc != OMNI_OK);
    }

    total = now() - t0;

    if (misses) {
        die("lookups missed");
    }

    (void) total;
    report("profile lookup+decode", lat, BENCH_LOOKUPS);

    /* without the timers around each call, for the mean */
    t0 = now();

    for (i = 0; i < BENCH_LOOKUPS; i++) {
        id = (uint32_t) (rng() % n);
        klen = snprintf(key, sizeof(key), "C%07u", id);
        (void) omni_store_get_profile(s, key, klen, arena_alloc, &arena, &p);
    }

    printf("%-28s mean %.3f us a lookup (no timers; key formatting "
           "included)\n", "profile lookup+decode",
           (now() - t0) * 1e6 / BENCH_LOOKUPS);

    /* visitors linked to random customers: the request path */
    if (omni_store_activity_begin(s, &b) != OMNI_OK) {
        die("cannot write activity");
    }

    for (i = 0; i < BENCH_VISITORS; i++) {
        memset(&vid, 0, sizeof(vid));
        memcpy(vid.bytes, &i, sizeof(i));
        klen = snprintf(key, sizeof(key), "C%07u", (uint32_t) (rng() % n));

        if (omni_store_activity_link(b, &vid, key, klen) != OMNI_OK) {
            die("cannot link");
        }
    }

    if (omni_store_activity_commit(b) != OMNI_OK) {
        die("cannot commit");
    }

    for (i = 0; i < BENCH_VISITORS; i++) {
        memset(&vid, 0, sizeof(vid));
        memcpy(vid.bytes, &i, sizeof(i));
        (void) omni_store_get_activity(s, &vid, arena_alloc, &arena, &a);
    }

    t0 = now();

    for (i = 0; i < BENCH_LOOKUPS; i++) {
        size_t  v = (size_t) (rng() % BENCH_VISITORS);

        memset(&vid, 0, sizeof(vid));
        memcpy(vid.bytes, &v, sizeof(v));

        t = now_ns();

        rc = omni_store_get_activity(s, &vid, arena_alloc, &arena, &a);

        if (rc == OMNI_OK) {
            rc = omni_store_get_profile(s, a.customer_id.data,
                                        a.customer_id.len, arena_alloc,
                                        &arena, &p);
        }

        lat[i] = now_ns() - t;

        if (rc != OMNI_OK) {
            die("visitor lookups missed");
        }
    }

    report("visitor: activity+profile", lat, BENCH_LOOKUPS);

    free(lat);
    free(arena.base);
    omni_store_close(s);
}


int
main(int argc, char **argv)
{
    char       tmpl[] = "/tmp/omni-bench-store-XXXXXX";
    char       path[512], cmd[600], load[128];
    FILE      *f;
    char      *dir;
    size_t     n, i, j;
    uint32_t  *ids, t;

    n = argc > 1 ? (size_t) atol(argv[1]) : 1000000;

    /* a shared machine: say how busy it was */
    f = fopen("/proc/loadavg", "r");
    if (f && fgets(load, sizeof(load), f)) {
        printf("bench_store: %zu profiles; load average %s", n, load);
    }

    if (f) {
        fclose(f);
    }

    if (n < 1000 || n > 10000000) {
        die("N is 1000 to 10000000");
    }

    dir = mkdtemp(tmpl);
    if (dir == NULL) {
        die("mkdtemp");
    }

    ids = malloc(n * sizeof(uint32_t));
    if (ids == NULL) {
        die("out of memory");
    }

    for (i = 0; i < n; i++) {
        ids[i] = (uint32_t) i;
    }

    snprintf(path, sizeof(path), "%s/ordered.jsonl", dir);
    generate(path, ids, n);

    snprintf(cmd, sizeof(cmd), "%s/ordered", dir);
    import(cmd, path, n, "ordered");

    for (i = n - 1; i > 0; i--) {
        j = (size_t) (rng() % (i + 1));
        t = ids[i];
        ids[i] = ids[j];
        ids[j] = t;
    }

    snprintf(path, sizeof(path), "%s/shuffled.jsonl", dir);
    generate(path, ids, n);
    free(ids);

    snprintf(cmd, sizeof(cmd), "%s/shuffled", dir);
    import(cmd, path, n, "shuffled");

    unlink(path);
    snprintf(path, sizeof(path), "%s/ordered.jsonl", dir);
    unlink(path);

    snprintf(cmd, sizeof(cmd), "%s/ordered", dir);
    lookups(cmd, n);

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);

    if (system(cmd) != 0) {
        fprintf(stderr, "bench_store: cannot remove %s\n", dir);
    }

    return 0;
}
