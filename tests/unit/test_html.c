/*
 * The streaming HTML scanner: anchors, case, tags split at every byte,
 * skipped comments and scripts, held bytes, and a whole-buffer reference
 * that random pages split at random places must agree with.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <omni/html.h>


#define OUT_MAX  (1 << 16)


static const omni_str_t  ins_head = omni_string("[H]");
static const omni_str_t  ins_start = omni_string("[B]");
static const omni_str_t  ins_end = omni_string("[E]");

static const omni_html_slot_t  ins_slots[] = {
    { omni_string("hero"), omni_string("[S:hero]") },
    { omni_string("side-2"), omni_string("[S:side-2]") },
    { omni_string("HERO"), omni_string("[S:HERO]") }
};

static const omni_html_inserts_t  ins_all = {
    &ins_head, &ins_start, &ins_end, ins_slots, 3
};


/* rewrites input cut at the given offsets (sorted) */

static char *
rewrite_cut(const char *in, size_t len, const size_t *cuts, size_t ncuts,
    const omni_html_inserts_t *ins, size_t *out_len)
{
    int          rc;
    char        *out;
    size_t       i, from;
    omni_str_t   chunks[64];

    assert_true(ncuts < 63);

    from = 0;

    for (i = 0; i < ncuts; i++) {
        chunks[i].data = in + from;
        chunks[i].len = cuts[i] - from;
        from = cuts[i];
    }

    chunks[ncuts].data = in + from;
    chunks[ncuts].len = len - from;

    out = malloc(OUT_MAX);
    assert_non_null(out);

    rc = omni_html_rewrite(chunks, ncuts + 1, ins, out, OUT_MAX, out_len);
    assert_int_equal(rc, OMNI_OK);

    return out;
}


/*
 * Every way of cutting the input into 2 and 3 chunks, and into 1-byte
 * chunks, gives the same output as the whole input.
 */

static void
check_splits(const char *in, const omni_html_inserts_t *ins,
    const char *expect)
{
    int          rc;
    char        *out;
    size_t       len, n, i, j, elen;
    size_t       cuts[2];
    omni_str_t  *bytes;

    len = strlen(in);
    elen = strlen(expect);

    out = rewrite_cut(in, len, NULL, 0, ins, &n);

    if (n != elen || memcmp(out, expect, n) != 0) {
        fail_msg("input \"%s\"\n got \"%.*s\"\nwant \"%s\"", in, (int) n,
                 out, expect);
    }

    free(out);

    for (i = 0; i <= len; i++) {
        cuts[0] = i;
        out = rewrite_cut(in, len, cuts, 1, ins, &n);

        if (n != elen || memcmp(out, expect, n) != 0) {
            fail_msg("input \"%s\" cut at %zu\n got \"%.*s\"\nwant \"%s\"",
                     in, i, (int) n, out, expect);
        }

        free(out);

        for (j = i; j <= len; j++) {
            cuts[1] = j;
            out = rewrite_cut(in, len, cuts, 2, ins, &n);

            if (n != elen || memcmp(out, expect, n) != 0) {
                fail_msg("input \"%s\" cut at %zu, %zu\n got \"%.*s\"\n"
                         "want \"%s\"", in, i, j, (int) n, out, expect);
            }

            free(out);
        }
    }

    bytes = malloc((len + 1) * sizeof(omni_str_t));
    assert_non_null(bytes);

    for (i = 0; i < len; i++) {
        bytes[i].data = in + i;
        bytes[i].len = 1;
    }

    out = malloc(OUT_MAX);
    assert_non_null(out);

    rc = omni_html_rewrite(bytes, len, ins, out, OUT_MAX, &n);
    assert_int_equal(rc, OMNI_OK);

    if (n != elen || memcmp(out, expect, n) != 0) {
        fail_msg("input \"%s\" in 1-byte chunks\n got \"%.*s\"\nwant \"%s\"",
                 in, (int) n, out, expect);
    }

    free(out);
    free(bytes);
}


typedef struct {
    const char  *in;
    const char  *out;
} html_case_t;


static const html_case_t  cases[] = {

    /* the four anchors */
    { "<html><head><title>t</title></head><body><p>x</p></body></html>",
      "<html><head><title>t</title>[H]</head><body>[B]<p>x</p>[E]</body>"
      "</html>" },

    /* any case, spaces before '>', attributes after the name */
    { "<HEAD></HEAD ><BODY CLASS=x></BODY\n>",
      "<HEAD>[H]</HEAD ><BODY CLASS=x>[B][E]</BODY\n>" },
    { "</Head\t><Body\n>a</bOdY>", "[H]</Head\t><Body\n>[B]a[E]</bOdY>" },
    { "</head/><body/>x", "[H]</head/><body/>[B]x" },

    /* '>' inside quoted attribute values of the body tag */
    { "<body data-a=\"1>2\" data-b='3>4' c=5>x",
      "[H]<body data-a=\"1>2\" data-b='3>4' c=5>[B]x" },
    { "<body a = \"x\"b='y'>z", "[H]<body a = \"x\"b='y'>[B]z" },
    { "<body a=\"x\"b='>'>z", "[H]<body a=\"x\"b='>'>[B]z" },
    { "<body onload=\"f('>')\" class=a>z",
      "[H]<body onload=\"f('>')\" class=a>[B]z" },
    { "<body a=b\">c>", "[H]<body a=b\">[B]c>" },

    /* tags that only look alike */
    { "<bodyx><headx></headx></bodyx><bod><body", "<bodyx><headx></headx>"
      "</bodyx><bod><body" },
    { "</header></bodyguard><b>x</b></h1>",
      "</header></bodyguard><b>x</b></h1>" },

    /* no </head>: the head block goes before <body> */
    { "<!doctype html><title>t</title><body>x</body>",
      "<!doctype html><title>t</title>[H]<body>[B]x[E]</body>" },

    /* no head, no body: a fragment gets only its slots */
    { "<p>plain fragment</p>", "<p>plain fragment</p>" },
    { "", "" },
    { "<", "<" },
    { "</", "</" },
    { "</hea", "</hea" },
    { "</head", "</head" },
    { "<body class=\"never closed", "[H]<body class=\"never closed" },

    /* body without </body>; first </body> only */
    { "<body>x", "[H]<body>[B]x" },
    { "<body>a</body>b</body>", "[H]<body>[B]a[E]</body>b</body>" },
    { "</head></head><body><body>", "[H]</head></head><body>[B]<body>" },

    /* slot markers, kept, content right after; every occurrence */
    { "<body><!--omni:slot hero--><p>",
      "[H]<body>[B]<!--omni:slot hero-->[S:hero]<p>" },
    { "<!--omni:slot hero--><!--omni:slot hero-->",
      "<!--omni:slot hero-->[S:hero]<!--omni:slot hero-->[S:hero]" },
    { "<!-- omni:slot hero -->", "<!-- omni:slot hero -->" },
    { "<!--omni:slot   hero \n -->", "<!--omni:slot   hero \n -->[S:hero]" },
    { "<!--OMNI:Slot hero-->", "<!--OMNI:Slot hero-->[S:hero]" },
    { "<!--omni:slot HERO-->", "<!--omni:slot HERO-->[S:HERO]" },
    { "<!--omni:slot side-2-->", "<!--omni:slot side-2-->[S:side-2]" },
    { "<!--omni:slot side-2 --->", "<!--omni:slot side-2 --->[S:side-2]" },
    { "<!--omni:slot unknown-->", "<!--omni:slot unknown-->" },
    { "<!--omni:slothero-->", "<!--omni:slothero-->" },
    { "<!--omni:slot -->", "<!--omni:slot -->" },
    { "<!--omni:slot he ro--><body>", "<!--omni:slot he ro-->[H]<body>[B]" },
    { "<!--omni:slot he.ro--><body>", "<!--omni:slot he.ro-->[H]<body>[B]" },
    { "<!--omni:slot hero--!><body>", "<!--omni:slot hero--!>[H]<body>[B]" },
    { "<!--omni:slot hero - -->x<body>",
      "<!--omni:slot hero - -->x[H]<body>[B]" },
    { "<!--omni:slot hero>--><body>", "<!--omni:slot hero>-->[H]<body>[B]" },

    /* nothing matches inside comments, scripts and style sheets */
    { "<!-- <body> </head> --><body>", "<!-- <body> </head> -->[H]<body>[B]" },
    { "<!--><body>", "<!-->[H]<body>[B]" },
    { "<!---><body>", "<!--->[H]<body>[B]" },
    { "<!-- a --!><body>", "<!-- a --!>[H]<body>[B]" },
    { "<!-- a -- ><body>--><body>", "<!-- a -- ><body>-->[H]<body>[B]" },
    { "<script>var s = \"</head><body>\";</script></head>",
      "<script>var s = \"</head><body>\";</script>[H]</head>" },
    { "<SCRIPT type=x>a<b</scriptx></Script ></head>",
      "<SCRIPT type=x>a<b</scriptx></Script >[H]</head>" },
    { "<style>a::after{content:\"</head>\"}</style></head>",
      "<style>a::after{content:\"</head>\"}</style>[H]</head>" },
    { "<scripts></head>", "<scripts>[H]</head>" },
    { "<script></head>", "<script></head>" },

    /* a slot marker inside a script is not one */
    { "<script>\"<!--omni:slot hero-->\"</script><!--omni:slot hero-->",
      "<script>\"<!--omni:slot hero-->\"</script><!--omni:slot hero-->"
      "[S:hero]" },
};


static void
test_cases(void **state)
{
    size_t  i;

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        check_splits(cases[i].in, &ins_all, cases[i].out);
    }
}


/* a slot name of 64 characters is one, of 65 is not */

static void
test_slot_name_bounds(void **state)
{
    char                    name[80], in[200], expect[300];
    size_t                  len;
    omni_html_slot_t        slot;
    omni_html_inserts_t     ins;

    (void) state;

    memset(name, 'n', 65);
    name[64] = '\0';

    slot.name.data = name;
    slot.name.len = 64;
    slot.content.data = "[S]";
    slot.content.len = 3;

    memset(&ins, 0, sizeof(ins));
    ins.slots = &slot;
    ins.nslots = 1;

    snprintf(in, sizeof(in), "<!--omni:slot %s-->x", name);
    snprintf(expect, sizeof(expect), "<!--omni:slot %s-->[S]x", name);
    check_splits(in, &ins, expect);

    snprintf(in, sizeof(in), "<!--omni:slot %s -->x", name);
    snprintf(expect, sizeof(expect), "<!--omni:slot %s -->[S]x", name);
    check_splits(in, &ins, expect);

    name[64] = 'n';
    name[65] = '\0';
    slot.name.len = 65;

    snprintf(in, sizeof(in), "<!--omni:slot %s-->x", name);
    check_splits(in, &ins, in);

    snprintf(in, sizeof(in), "<!--omni:slot %s -->x", name);
    check_splits(in, &ins, in);

    /* a long comment that starts like a marker is still a comment */
    len = snprintf(in, sizeof(in), "<!--omni:slot %s%s--><body>", name,
                   name);
    assert_true(len < sizeof(in));
    snprintf(expect, sizeof(expect), "<!--omni:slot %s%s--><body>", name,
             name);
    check_splits(in, &ins, expect);
}


/* only what is asked for is inserted, and nothing asked: input unchanged */

static void
test_partial_inserts(void **state)
{
    omni_html_inserts_t  ins;

    static const char  page[] =
        "<html><head></head><body class=a><!--omni:slot hero-->"
        "</body></html>";

    (void) state;

    memset(&ins, 0, sizeof(ins));
    check_splits(page, &ins, page);

    ins.head_end = &ins_head;
    check_splits(page, &ins,
                 "<html><head>[H]</head><body class=a><!--omni:slot hero-->"
                 "</body></html>");

    memset(&ins, 0, sizeof(ins));
    ins.body_start = &ins_start;
    check_splits(page, &ins,
                 "<html><head></head><body class=a>[B]<!--omni:slot hero-->"
                 "</body></html>");

    memset(&ins, 0, sizeof(ins));
    ins.body_end = &ins_end;
    check_splits(page, &ins,
                 "<html><head></head><body class=a><!--omni:slot hero-->"
                 "[E]</body></html>");

    memset(&ins, 0, sizeof(ins));
    ins.slots = ins_slots;
    ins.nslots = 1;
    check_splits(page, &ins,
                 "<html><head></head><body class=a><!--omni:slot hero-->"
                 "[S:hero]</body></html>");
}


/* empty insertions everywhere: the output is the input, byte for byte */

static void
test_empty_inserts(void **state)
{
    size_t               i;
    omni_html_slot_t     slot;
    omni_html_inserts_t  ins;

    static const omni_str_t  empty = omni_string("");

    (void) state;

    slot.name = (omni_str_t) omni_string("hero");
    slot.content = empty;

    ins.head_end = &empty;
    ins.body_start = &empty;
    ins.body_end = &empty;
    ins.slots = &slot;
    ins.nslots = 1;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        check_splits(cases[i].in, &ins, cases[i].in);
    }
}


/* the step interface itself: what is passed, held and given back */

static void
test_steps_held(void **state)
{
    omni_html_t       h;
    omni_html_step_t  s;

    (void) state;

    omni_html_init(&h, OMNI_HTML_WANT_HEAD_END);
    assert_true(omni_html_is_fresh(&h));
    assert_int_equal(omni_html_next(&h, &s), OMNI_AGAIN);

    omni_html_feed(&h, "<title>x</title></He", 20, 0);
    assert_false(omni_html_is_fresh(&h));

    assert_int_equal(omni_html_next(&h, &s), OMNI_OK);
    assert_int_equal(s.op, OMNI_HTML_PASS);
    assert_int_equal(s.off, 0);
    assert_int_equal(s.len, 16);
    assert_int_equal(omni_html_next(&h, &s), OMNI_AGAIN);
    assert_int_equal(omni_html_held(&h), 4);
    assert_memory_equal(omni_html_held_data(&h), "</He", 4);

    omni_html_feed(&h, "a", 1, 0);
    assert_int_equal(omni_html_next(&h, &s), OMNI_AGAIN);
    assert_int_equal(omni_html_held(&h), 5);

    omni_html_feed(&h, "D>rest", 6, 0);

    assert_int_equal(omni_html_next(&h, &s), OMNI_OK);
    assert_int_equal(s.op, OMNI_HTML_INSERT);
    assert_int_equal(s.anchor, OMNI_HTML_HEAD_END);

    assert_int_equal(omni_html_next(&h, &s), OMNI_OK);
    assert_int_equal(s.op, OMNI_HTML_HELD);
    assert_int_equal(s.len, 5);
    assert_memory_equal(s.data, "</Hea", 5);

    /* nothing else is wanted: the rest is passed without a look */
    assert_int_equal(omni_html_next(&h, &s), OMNI_OK);
    assert_int_equal(s.op, OMNI_HTML_PASS);
    assert_int_equal(s.off, 0);
    assert_int_equal(s.len, 6);
    assert_int_equal(omni_html_next(&h, &s), OMNI_AGAIN);
    assert_int_equal(omni_html_held(&h), 0);
    assert_int_equal(omni_html_fired(&h), OMNI_HTML_WANT_HEAD_END);
}


static void
test_steps_give_back(void **state)
{
    omni_html_t       h;
    omni_html_step_t  s;

    (void) state;

    omni_html_init(&h, OMNI_HTML_WANT_ALL);

    /* "</" may become "</head": held */
    omni_html_feed(&h, "ab</", 4, 0);
    assert_int_equal(omni_html_next(&h, &s), OMNI_OK);
    assert_int_equal(s.op, OMNI_HTML_PASS);
    assert_int_equal(s.len, 2);
    assert_int_equal(omni_html_next(&h, &s), OMNI_AGAIN);
    assert_int_equal(omni_html_held(&h), 2);

    /* "</p" cannot: given back, then the chunk */
    omni_html_feed(&h, "p>", 2, 0);
    assert_int_equal(omni_html_next(&h, &s), OMNI_OK);
    assert_int_equal(s.op, OMNI_HTML_HELD);
    assert_memory_equal(s.data, "</", 2);
    assert_int_equal(omni_html_next(&h, &s), OMNI_OK);
    assert_int_equal(s.op, OMNI_HTML_PASS);
    assert_int_equal(s.off, 0);
    assert_int_equal(s.len, 2);
    assert_int_equal(omni_html_next(&h, &s), OMNI_AGAIN);

    /* "<s" can only become "<script" or "<style": passed, not held */
    omni_html_feed(&h, "<s", 2, 0);
    assert_int_equal(omni_html_next(&h, &s), OMNI_OK);
    assert_int_equal(s.op, OMNI_HTML_PASS);
    assert_int_equal(s.len, 2);
    assert_int_equal(omni_html_next(&h, &s), OMNI_AGAIN);
    assert_int_equal(omni_html_held(&h), 0);

    omni_html_feed(&h, "cript></head>", 13, 0);
    assert_int_equal(omni_html_next(&h, &s), OMNI_OK);
    assert_int_equal(s.op, OMNI_HTML_PASS);
    assert_int_equal(s.len, 13);
    assert_int_equal(omni_html_next(&h, &s), OMNI_AGAIN);

    /* "</bo" held, "</b>" given back at the end of the page */
    omni_html_feed(&h, "</script></bo", 13, 0);
    assert_int_equal(omni_html_next(&h, &s), OMNI_OK);
    assert_int_equal(s.op, OMNI_HTML_PASS);
    assert_int_equal(s.len, 9);
    assert_int_equal(omni_html_next(&h, &s), OMNI_AGAIN);
    assert_int_equal(omni_html_held(&h), 4);

    omni_html_feed(&h, NULL, 0, 1);
    assert_int_equal(omni_html_next(&h, &s), OMNI_OK);
    assert_int_equal(s.op, OMNI_HTML_HELD);
    assert_memory_equal(s.data, "</bo", 4);
    assert_int_equal(omni_html_next(&h, &s), OMNI_AGAIN);
    assert_int_equal(omni_html_held(&h), 0);
}


/* a held "<body" and its insertions around the chunk boundary */

static void
test_steps_body(void **state)
{
    omni_html_t       h;
    omni_html_step_t  s;

    (void) state;

    omni_html_init(&h, OMNI_HTML_WANT_ALL);

    omni_html_feed(&h, "<Body", 5, 0);
    assert_int_equal(omni_html_next(&h, &s), OMNI_AGAIN);
    assert_int_equal(omni_html_held(&h), 5);

    omni_html_feed(&h, ">x", 2, 0);

    assert_int_equal(omni_html_next(&h, &s), OMNI_OK);
    assert_int_equal(s.op, OMNI_HTML_INSERT);
    assert_int_equal(s.anchor, OMNI_HTML_HEAD_END);
    assert_int_equal(omni_html_next(&h, &s), OMNI_OK);
    assert_int_equal(s.op, OMNI_HTML_HELD);
    assert_memory_equal(s.data, "<Body", 5);
    assert_int_equal(omni_html_next(&h, &s), OMNI_OK);
    assert_int_equal(s.op, OMNI_HTML_PASS);
    assert_int_equal(s.len, 1);
    assert_int_equal(omni_html_next(&h, &s), OMNI_OK);
    assert_int_equal(s.op, OMNI_HTML_INSERT);
    assert_int_equal(s.anchor, OMNI_HTML_BODY_START);
    assert_int_equal(s.off, 1);
    assert_int_equal(omni_html_next(&h, &s), OMNI_OK);
    assert_int_equal(s.op, OMNI_HTML_PASS);
    assert_int_equal(s.off, 1);
    assert_int_equal(s.len, 1);
    assert_int_equal(omni_html_next(&h, &s), OMNI_AGAIN);

    assert_int_equal(omni_html_fired(&h),
                     OMNI_HTML_WANT_HEAD_END | OMNI_HTML_WANT_BODY_START);
}


/* narrowing: once nothing is wanted the rest passes in one step */

static void
test_want_narrowing(void **state)
{
    omni_html_t       h;
    omni_html_step_t  s;

    (void) state;

    omni_html_init(&h, OMNI_HTML_WANT_HEAD_END | OMNI_HTML_WANT_SLOT);

    omni_html_feed(&h, "</hea", 5, 0);
    assert_int_equal(omni_html_next(&h, &s), OMNI_AGAIN);
    assert_int_equal(omni_html_held(&h), 5);

    omni_html_want(&h, 0);

    omni_html_feed(&h, "d><!--omni:slot hero-->", 23, 0);
    assert_int_equal(omni_html_next(&h, &s), OMNI_OK);
    assert_int_equal(s.op, OMNI_HTML_HELD);
    assert_int_equal(omni_html_next(&h, &s), OMNI_OK);
    assert_int_equal(s.op, OMNI_HTML_PASS);
    assert_int_equal(s.len, 23);
    assert_int_equal(omni_html_next(&h, &s), OMNI_AGAIN);
}


static void
test_too_big(void **state)
{
    int         rc;
    char        out[8];
    size_t      len;
    omni_str_t  chunk = omni_string("<head></head>");

    (void) state;

    rc = omni_html_rewrite(&chunk, 1, &ins_all, out, sizeof(out), &len);
    assert_int_equal(rc, OMNI_ETOOBIG);
    assert_int_equal(len, 16);
    assert_memory_equal(out, "<head>[H", 8);

    rc = omni_html_rewrite(NULL, 0, &ins_all, out, sizeof(out), &len);
    assert_int_equal(rc, OMNI_OK);
    assert_int_equal(len, 0);
}


/*
 * The whole-buffer reference: the same grammar written the plain way,
 * without chunks, for the random pages below.
 */

static int
ref_ncase(const char *s, size_t n, const char *pat)
{
    size_t         i, k;
    unsigned char  c;

    k = strlen(pat);

    if (n < k) {
        return 0;
    }

    for (i = 0; i < k; i++) {
        c = (unsigned char) s[i];

        if (c >= 'A' && c <= 'Z') {
            c |= 0x20;
        }

        if (c != (unsigned char) pat[i]) {
            return 0;
        }
    }

    return 1;
}


static int
ref_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}


/* pat followed by space, '/' or '>' */

static int
ref_tag(const char *s, size_t n, const char *pat)
{
    size_t  k;

    k = strlen(pat);

    return n > k && ref_ncase(s, n, pat)
           && (ref_space(s[k]) || s[k] == '/' || s[k] == '>');
}


static int
ref_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '_' || c == '-';
}


/* the comment's text names a slot: "omni:slot" SP+ NAME [SP+ "-"*] */

static int
ref_slot(const char *s, size_t n, size_t *name_len)
{
    size_t  i, start;

    if (!ref_ncase(s, n, "omni:slot")) {
        return 0;
    }

    i = 9;

    if (i == n || !ref_space(s[i])) {
        return 0;
    }

    while (i < n && ref_space(s[i])) {
        i++;
    }

    start = i;

    while (i < n && ref_name_char(s[i])) {
        i++;
    }

    *name_len = i - start;

    if (*name_len == 0 || *name_len > OMNI_HTML_SLOT_NAME_MAX) {
        return 0;
    }

    if (i < n && !ref_space(s[i])) {
        return 0;
    }

    while (i < n && ref_space(s[i])) {
        i++;
    }

    while (i < n && s[i] == '-') {
        i++;
    }

    return i == n;
}


static void
ref_put(char *out, size_t *len, const char *s, size_t n)
{
    assert_true(*len + n <= OUT_MAX);
    memcpy(out + *len, s, n);
    *len += n;
}


static char *
ref_rewrite(const char *s, size_t n, const omni_html_inserts_t *ins,
    size_t *out_len)
{
    int          head, bstart, bend, q;
    char        *out;
    size_t       i, j, k, len, name_len;

    out = malloc(OUT_MAX);
    assert_non_null(out);

    head = (ins->head_end != NULL);
    bstart = (ins->body_start != NULL);
    bend = (ins->body_end != NULL);
    len = 0;
    i = 0;

    while (i < n) {

        if (s[i] != '<') {
            ref_put(out, &len, s + i++, 1);
            continue;
        }

        if (ref_tag(s + i, n - i, "</head")) {
            if (head) {
                ref_put(out, &len, ins->head_end->data, ins->head_end->len);
                head = 0;
            }

            ref_put(out, &len, s + i, 7);
            i += 7;
            continue;
        }

        if (ref_tag(s + i, n - i, "</body")) {
            if (bend) {
                ref_put(out, &len, ins->body_end->data, ins->body_end->len);
                bend = 0;
            }

            head = 0;
            ref_put(out, &len, s + i, 7);
            i += 7;
            continue;
        }

        if (ref_tag(s + i, n - i, "<body")) {
            if (head) {
                ref_put(out, &len, ins->head_end->data, ins->head_end->len);
                head = 0;
            }

            j = i + 5;

            if (!bstart) {
                ref_put(out, &len, s + i, 6);
                i += 6;
                continue;
            }

            /* the attributes, as the tokenizer sees them */

            if (s[j] != '>') {
                j++;
                q = 0;

                while (j < n && s[j] != '>') {
                    if (s[j] == '=') {
                        j++;

                        while (j < n && ref_space(s[j])) {
                            j++;
                        }

                        if (j < n && (s[j] == '"' || s[j] == '\'')) {
                            q = s[j++];

                            while (j < n && s[j] != q) {
                                j++;
                            }

                            if (j < n) {
                                j++;
                            }

                        } else {
                            while (j < n && !ref_space(s[j]) && s[j] != '>') {
                                j++;
                            }
                        }

                        continue;
                    }

                    j++;
                }
            }

            if (j >= n) {
                ref_put(out, &len, s + i, n - i);
                i = n;
                break;
            }

            ref_put(out, &len, s + i, j + 1 - i);
            ref_put(out, &len, ins->body_start->data, ins->body_start->len);
            bstart = 0;
            i = j + 1;
            continue;
        }

        if (ref_ncase(s + i, n - i, "<!--")) {

            /* the first "-->" or "--!>" from the "--" of "<!--" on */
            for (j = i + 2; j < n; j++) {
                if (ref_ncase(s + j, n - j, "-->")) {
                    k = j + 3;
                    break;
                }

                if (ref_ncase(s + j, n - j, "--!>")) {
                    k = j + 4;
                    break;
                }
            }

            if (j >= n) {
                ref_put(out, &len, s + i, n - i);
                i = n;
                break;
            }

            ref_put(out, &len, s + i, k - i);

            if (k == j + 3 && j >= i + 4 && ins->nslots
                && ref_slot(s + i + 4, j - i - 4, &name_len))
            {
                const char  *name = s + i + 4 + 9;
                size_t       m;

                while (ref_space(*name)) {
                    name++;
                }

                for (m = 0; m < ins->nslots; m++) {
                    if (ins->slots[m].name.len == name_len
                        && memcmp(ins->slots[m].name.data, name, name_len)
                           == 0)
                    {
                        ref_put(out, &len, ins->slots[m].content.data,
                                ins->slots[m].content.len);
                        break;
                    }
                }
            }

            i = k;
            continue;
        }

        if (ref_tag(s + i, n - i, "<script")
            || ref_tag(s + i, n - i, "<style"))
        {
            const char  *end = (s[i + 2] | 0x20) == 'c' ? "</script"
                                                       : "</style";

            for (j = i + 1; j < n; j++) {
                if (ref_tag(s + j, n - j, end)) {
                    break;
                }
            }

            if (j >= n) {
                ref_put(out, &len, s + i, n - i);
                i = n;
                break;
            }

            k = j + strlen(end) + 1;
            ref_put(out, &len, s + i, k - i);
            i = k;
            continue;
        }

        ref_put(out, &len, s + i++, 1);
    }

    *out_len = len;

    return out;
}


/* random pages from the pieces that matter, cut at random places */

static uint64_t  rng_state = 0x9e3779b97f4a7c15ULL;


static uint32_t
rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;

    return (uint32_t) (rng_state >> 11);
}


static const char  *pieces[] = {
    "<", ">", "/", "-", "!", " ", "\n", "\"", "'", "=", "a", "b",
    "<head>", "</head>", "</HEAD >", "</head", "<body>", "<BODY class=\"a>b\">",
    "<body a='x' b=c>", "<bodyx>", "</body>", "</Body\t>", "</body",
    "<!--", "-->", "--!>", "<!--omni:slot hero-->", "<!--omni:slot side-2 -->",
    "<!--omni:slot HERO", "omni:slot", "<script>", "</script>", "<style>",
    "</style >", "<scr", "</scr", "<p>", "</p>", "<b>", "</b>", "<br/>",
    "<div class=x>", "</div>", "text ", "<!DOCTYPE html>", "<html>",
    "</html>", "<bo", "</he", "<!-", "hero", "\r"
};


static void
random_page(char *buf, size_t size, size_t *len)
{
    size_t       n, k;
    const char  *p;

    n = 0;
    k = rng() % 60;

    while (k--) {
        p = pieces[rng() % (sizeof(pieces) / sizeof(pieces[0]))];

        if (n + strlen(p) >= size) {
            break;
        }

        memcpy(buf + n, p, strlen(p));
        n += strlen(p);
    }

    *len = n;
}


static void
test_random_against_reference(void **state)
{
    int                  round, m;
    char                 page[1024], *want, *got;
    size_t               len, wlen, glen, cuts[8], i, j, t;
    omni_html_inserts_t  ins;

    (void) state;

    for (round = 0; round < 20000; round++) {
        random_page(page, sizeof(page), &len);

        ins = ins_all;
        m = rng();

        if (m & 1) {
            ins.head_end = NULL;
        }

        if (m & 2) {
            ins.body_start = NULL;
        }

        if (m & 4) {
            ins.body_end = NULL;
        }

        if (m & 8) {
            ins.nslots = 0;
        }

        want = ref_rewrite(page, len, &ins, &wlen);

        t = rng() % 8;

        for (i = 0; i < t; i++) {
            cuts[i] = len ? rng() % (len + 1) : 0;
        }

        /* sort the cuts */
        for (i = 1; i < t; i++) {
            for (j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
                size_t  x = cuts[j];
                cuts[j] = cuts[j - 1];
                cuts[j - 1] = x;
            }
        }

        got = rewrite_cut(page, len, cuts, t, &ins, &glen);

        if (glen != wlen || memcmp(got, want, glen) != 0) {
            fail_msg("round %d input \"%.*s\"\n got \"%.*s\"\nwant \"%.*s\"",
                     round, (int) len, page, (int) glen, got, (int) wlen,
                     want);
        }

        free(want);
        free(got);
    }
}


/*
 * A page of several megabytes in chunks of random sizes, 1 to 4096: the
 * scanner never holds more than OMNI_HTML_HOLD_MAX bytes, and every byte
 * comes out once, in order.
 */

static void
test_huge_page(void **state)
{
    char              *page, *out;
    size_t             len, n, off, outlen, size;
    omni_html_t        h;
    omni_html_step_t   s;

    static const char  body[] =
        "<div class=\"product\"><a href=\"/p/1\">Trail shoe</a>"
        "<span data-x='a>b'>12.00</span><br/></div>\n"
        "<script>if (a < b && c </b) {}</script><!-- a note -->\n";

    (void) state;

    size = 8 * 1024 * 1024;
    page = malloc(size);
    out = malloc(size + 64);
    assert_non_null(page);
    assert_non_null(out);

    len = 0;
    len += sprintf(page, "<html><head><title>t</title></head><body>");

    while (len + sizeof(body) + 32 < size) {
        memcpy(page + len, body, sizeof(body) - 1);
        len += sizeof(body) - 1;
    }

    len += sprintf(page + len, "</body></html>");

    omni_html_init(&h, OMNI_HTML_WANT_ALL);

    off = 0;
    outlen = 0;

    while (off < len) {
        n = 1 + rng() % 4096;

        if (n > len - off) {
            n = len - off;
        }

        omni_html_feed(&h, page + off, n, off + n == len);

        while (omni_html_next(&h, &s) == OMNI_OK) {
            if (s.op == OMNI_HTML_INSERT) {
                out[outlen++] = '0' + s.anchor;
                continue;
            }

            if (s.op == OMNI_HTML_PASS) {
                assert_true(s.off + s.len <= n);
            }

            memcpy(out + outlen, s.data, s.len);
            outlen += s.len;
        }

        assert_true(omni_html_held(&h) <= OMNI_HTML_HOLD_MAX);
        off += n;
    }

    assert_int_equal(outlen, len + 3);
    assert_memory_equal(out, "<html><head><title>t</title>0</head><body>1",
                        43);
    assert_memory_equal(out + outlen - 15, "2</body></html>", 15);
    assert_memory_equal(out + 43, page + 41, len - 41 - 14);

    free(page);
    free(out);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_slot_name_bounds),
        cmocka_unit_test(test_partial_inserts),
        cmocka_unit_test(test_empty_inserts),
        cmocka_unit_test(test_steps_held),
        cmocka_unit_test(test_steps_give_back),
        cmocka_unit_test(test_steps_body),
        cmocka_unit_test(test_want_narrowing),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_random_against_reference),
        cmocka_unit_test(test_huge_page),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
