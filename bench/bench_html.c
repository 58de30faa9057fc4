/*
 * Microbenchmark of the HTML scanner on a realistic storefront page
 * (bench/pages/store-30k.html by default): nanoseconds per page for the
 * scanner in several set-ups, beside a memchr() walk over every '<' and a
 * byte-at-a-time matcher of the kind sub_filter uses, as yardsticks.
 *
 *     make bench-html
 *     build/bench/bench_html [PAGE] [SECONDS]
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <omni/html.h>


typedef size_t (*bench_pt)(const char *page, size_t len);


static volatile size_t  sink;


static double
now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


/* yardstick: stop at every '<' with memchr() and look at the next byte */

static size_t
bench_memchr(const char *page, size_t len)
{
    size_t       n;
    const char  *p, *end;

    n = 0;
    p = page;
    end = page + len;

    while ((p = memchr(p, '<', end - p)) != NULL) {
        n += (p + 1 < end && (p[1] == '/' || p[1] == '!' || p[1] == 'b'));
        p++;
    }

    return n;
}


/* yardstick: a lower-casing byte loop for one pattern, as sub_filter */

static size_t
bench_bytewise(const char *page, size_t len)
{
    size_t         i, looked, n;
    unsigned char  c;

    static const char  pat[] = "</head>";

    n = 0;
    looked = 0;

    for (i = 0; i < len; i++) {
        c = (unsigned char) page[i];
        c = (c >= 'A' && c <= 'Z') ? c | 0x20 : c;

        if (c == (unsigned char) pat[looked]) {
            if (++looked == sizeof(pat) - 1) {
                n++;
                looked = 0;
            }

        } else {
            looked = (c == '<');
        }
    }

    return n;
}


static size_t
scan(const char *page, size_t len, size_t chunk, unsigned want)
{
    size_t            off, n, steps;
    omni_html_t       h;
    omni_html_step_t  s;

    omni_html_init(&h, want);
    steps = 0;

    for (off = 0; off < len; off += n) {
        n = (len - off < chunk) ? len - off : chunk;
        omni_html_feed(&h, page + off, n, off + n == len);

        while (omni_html_next(&h, &s) == OMNI_OK) {
            steps += s.len + s.op;
        }
    }

    return steps;
}


static size_t
bench_all_one_chunk(const char *page, size_t len)
{
    return scan(page, len, len, OMNI_HTML_WANT_ALL);
}


static size_t
bench_all_4k(const char *page, size_t len)
{
    return scan(page, len, 4096, OMNI_HTML_WANT_ALL);
}


static size_t
bench_all_8b(const char *page, size_t len)
{
    return scan(page, len, 8, OMNI_HTML_WANT_ALL);
}


static size_t
bench_no_slots(const char *page, size_t len)
{
    return scan(page, len, len, OMNI_HTML_WANT_HEAD_END
                                | OMNI_HTML_WANT_BODY_START
                                | OMNI_HTML_WANT_BODY_END);
}


static size_t
bench_head_only(const char *page, size_t len)
{
    return scan(page, len, len, OMNI_HTML_WANT_HEAD_END);
}


/* as the filter runs it: brand and offer, nothing more after the slot */

static size_t
bench_filter_like(const char *page, size_t len)
{
    size_t            steps;
    omni_html_t       h;
    omni_html_step_t  s;

    omni_html_init(&h, OMNI_HTML_WANT_HEAD_END | OMNI_HTML_WANT_BODY_START
                       | OMNI_HTML_WANT_SLOT);
    omni_html_feed(&h, page, len, 1);
    steps = 0;

    while (omni_html_next(&h, &s) == OMNI_OK) {
        steps += s.len + s.op;

        if (s.op == OMNI_HTML_INSERT && s.anchor == OMNI_HTML_SLOT) {
            omni_html_want(&h, OMNI_HTML_WANT_HEAD_END);
        }
    }

    return steps;
}


static char  *out;


static size_t
bench_rewrite(const char *page, size_t len)
{
    size_t                     n;
    omni_str_t                 chunk;
    omni_html_inserts_t        ins;

    static const omni_str_t        head = omni_string("<style>:root{}</style>");
    static const omni_html_slot_t  slot = {
        omni_string("hero"), omni_string("<div>offer</div>")
    };

    chunk.data = page;
    chunk.len = len;

    memset(&ins, 0, sizeof(ins));
    ins.head_end = &head;
    ins.slots = &slot;
    ins.nslots = 1;

    if (omni_html_rewrite(&chunk, 1, &ins, out, len + 4096, &n) != OMNI_OK) {
        abort();
    }

    return n;
}


static void
run(const char *name, bench_pt fn, const char *page, size_t len,
    double seconds)
{
    double  start, t, best;
    size_t  i, iters;

    /* calibrate to about a tenth of the budget per round */
    iters = 1;

    for ( ;; ) {
        start = now();

        for (i = 0; i < iters; i++) {
            sink += fn(page, len);
        }

        t = now() - start;

        if (t > seconds / 50) {
            break;
        }

        iters *= 2;
    }

    best = t / iters;

    for (start = now(); now() - start < seconds; /* void */) {
        double  s = now();

        for (i = 0; i < iters; i++) {
            sink += fn(page, len);
        }

        t = (now() - s) / iters;

        if (t < best) {
            best = t;
        }
    }

    printf("%-34s %9.0f ns/page %7.2f GB/s\n", name, best * 1e9,
           len / best / 1e9);
}


int
main(int argc, char **argv)
{
    FILE        *f;
    char        *page;
    long         len;
    double       seconds;
    const char  *path;

    path = (argc > 1) ? argv[1] : "bench/pages/store-30k.html";
    seconds = (argc > 2) ? atof(argv[2]) : 0.5;

    f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return 1;
    }

    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);

    page = malloc(len);
    out = malloc(len + 4096);

    if (page == NULL || out == NULL
        || fread(page, 1, len, f) != (size_t) len)
    {
        fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }

    fclose(f);

    printf("page: %s, %ld bytes, best of %.1fs per line\n", path, len,
           seconds);

    run("scanner, all anchors, 1 chunk", bench_all_one_chunk, page, len,
        seconds);
    run("scanner, all anchors, 4 KB chunks", bench_all_4k, page, len,
        seconds);
    run("scanner, all anchors, 8 B chunks", bench_all_8b, page, len,
        seconds);
    run("scanner, no slots", bench_no_slots, page, len, seconds);
    run("scanner, head block only", bench_head_only, page, len, seconds);
    run("scanner, brand + offer slot, stop", bench_filter_like, page, len,
        seconds);
    run("rewrite (copy) head + slot", bench_rewrite, page, len, seconds);
    run("yardstick: memchr every '<'", bench_memchr, page, len, seconds);
    run("yardstick: bytewise \"</head>\"", bench_bytewise, page, len,
        seconds);

    return 0;
}
