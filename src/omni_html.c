/*
 * The streaming HTML scanner: finds where content goes into a page fed in
 * chunks split at any byte.
 *
 * Text is searched for '<' followed by one of the few three-byte
 * beginnings that can matter ("/he", "/bo", "bod", "!--", "scr", "sty");
 * with SSE2 sixteen positions are tested at once, so ordinary tags cost
 * nothing beyond the vector compare.  Only a candidate is looked at byte
 * by byte.  Comments, scripts and style sheets are skipped with memchr().
 *
 * A tag split by the end of a chunk is copied into the state (at most
 * eight bytes are ever needed to decide).  Its bytes are held back, not
 * passed, only while they may still turn into "</head", "</body" or
 * "<body" and content is to go before that tag.
 */

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <omni/html.h>


#define S_TEXT        0
#define S_TAG         1     /* a tag split by the end of a chunk */
#define S_BODY_TAG    2     /* inside "<body ...>"; sub: attribute state */
#define S_COMMENT     3     /* sub: how the comment may end (below) */
#define S_SLOT        4     /* "<!--" seen; sub: bytes of "omni:slot" */
#define S_SLOT_SPACE  5     /* sub: 1 once a space was seen */
#define S_SLOT_NAME   6     /* sub: trailing dashes, at most 2 */
#define S_SLOT_TAIL   7     /* sub: dashes after the name */
#define S_SCRIPT      8
#define S_STYLE       9
#define S_DONE        10    /* nothing left to find */

/* the end of a comment: "-" 1, "--" 2, "--!" 3; ">" then ends it at 2, 3 */
#define C_NONE        0
#define C_DASH        1
#define C_DASH2       2
#define C_BANG        3

/* inside the body tag */
#define A_ATTR        0
#define A_EQ          1
#define A_DQ          2
#define A_SQ          3
#define A_UNQ         4

#define M_NONE        0
#define M_PARTIAL     1
#define M_HEAD_CLOSE  2
#define M_BODY_CLOSE  3
#define M_BODY_OPEN   4
#define M_COMMENT     5
#define M_SCRIPT      6
#define M_STYLE       7

#define TAG_MAX       9     /* "</script" and the byte after it */

#define WANT_ONCE     (OMNI_HTML_WANT_HEAD_END | OMNI_HTML_WANT_BODY_START \
                       | OMNI_HTML_WANT_BODY_END)


typedef struct {
    const char     *s;
    unsigned char   len;
    unsigned char   end;    /* followed by space, '/' or '>' */
    unsigned char   kind;
} omni_html_pattern_t;


static void omni_html_scan(omni_html_t *h);
static void omni_html_text(omni_html_t *h);
static void omni_html_tag(omni_html_t *h);
static void omni_html_matched(omni_html_t *h, int m, size_t after);
static void omni_html_raw(omni_html_t *h);
static void omni_html_comment(omni_html_t *h);
static void omni_html_slot(omni_html_t *h);
static void omni_html_body_tag(omni_html_t *h);
static void omni_html_end_of_chunk(omni_html_t *h);
static void omni_html_insert(omni_html_t *h, omni_html_anchor_e anchor,
    size_t at);
static void omni_html_give_back(omni_html_t *h);
static void omni_html_push(omni_html_t *h, omni_html_op_e op, size_t off,
    size_t len);
static unsigned omni_html_pending(const omni_html_t *h);
static int omni_html_holdable(const omni_html_t *h, const char *tag,
    size_t n);
static int omni_html_match(const omni_html_pattern_t *pats, size_t npats,
    const unsigned char *p, size_t n, size_t *mlen);
static const unsigned char *omni_html_find(const unsigned char *p,
    const unsigned char *end);
static int omni_html_candidate(const unsigned char *p);
static int omni_html_prefix(const char *s, size_t n, const char *pat);
static unsigned omni_html_comment_step(unsigned state, unsigned char c);


static const omni_html_pattern_t  omni_html_text_patterns[] = {
    { "</head",   6, 1, M_HEAD_CLOSE },
    { "</body",   6, 1, M_BODY_CLOSE },
    { "<body",    5, 1, M_BODY_OPEN },
    { "<!--",     4, 0, M_COMMENT },
    { "<script",  7, 1, M_SCRIPT },
    { "<style",   6, 1, M_STYLE }
};

static const omni_html_pattern_t  omni_html_script_end[] = {
    { "</script", 8, 1, M_SCRIPT }
};

static const omni_html_pattern_t  omni_html_style_end[] = {
    { "</style",  7, 1, M_STYLE }
};


#define omni_html_lower(c)                                                  \
    ((c) >= 'A' && (c) <= 'Z' ? (c) | 0x20 : (c))

#define omni_html_space(c)                                                  \
    ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r' || (c) == '\f')

#define omni_html_tag_end(c)                                                \
    (omni_html_space(c) || (c) == '/' || (c) == '>')

#define omni_html_name_char(c)                                              \
    (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z')               \
     || ((c) >= '0' && (c) <= '9') || (c) == '_' || (c) == '-')


void
omni_html_init(omni_html_t *h, unsigned want)
{
    memset(h, 0, sizeof(omni_html_t));

    h->want = want & OMNI_HTML_WANT_ALL;
    h->state = S_TEXT;
    h->done = 1;
}


void
omni_html_want(omni_html_t *h, unsigned want)
{
    h->want &= want;
}


void
omni_html_feed(omni_html_t *h, const void *data, size_t len, int last)
{
    h->chunk = data;
    h->len = (data != NULL) ? len : 0;
    h->pos = 0;
    h->pass = 0;
    h->keep = 0;
    h->total += h->len;
    h->last = (last != 0);
    h->done = 0;
    h->nq = 0;
    h->iq = 0;
}


int
omni_html_next(omni_html_t *h, omni_html_step_t *step)
{
    for ( ;; ) {

        if (h->iq < h->nq) {
            *step = h->q[h->iq++];
            return OMNI_OK;
        }

        h->nq = 0;
        h->iq = 0;

        if (h->done) {
            return OMNI_AGAIN;
        }

        omni_html_scan(h);
    }
}


size_t
omni_html_held(const omni_html_t *h)
{
    return h->held;
}


const char *
omni_html_held_data(const omni_html_t *h)
{
    return h->tag;
}


unsigned
omni_html_fired(const omni_html_t *h)
{
    return h->fired;
}


int
omni_html_is_fresh(const omni_html_t *h)
{
    return h->total == 0 && h->state == S_TEXT && h->tag_len == 0
           && h->fired == 0;
}


/* scans until a step is queued or the chunk is used up */

static void
omni_html_scan(omni_html_t *h)
{
    while (h->nq == 0 && !h->done) {

        if (h->pos == h->len) {
            omni_html_end_of_chunk(h);
            return;
        }

        switch (h->state) {

        case S_TEXT:
            omni_html_text(h);
            break;

        case S_TAG:
            omni_html_tag(h);
            break;

        case S_SCRIPT:
        case S_STYLE:
            omni_html_raw(h);
            break;

        case S_COMMENT:
            omni_html_comment(h);
            break;

        case S_SLOT:
        case S_SLOT_SPACE:
        case S_SLOT_NAME:
        case S_SLOT_TAIL:
            omni_html_slot(h);
            break;

        case S_BODY_TAG:
            omni_html_body_tag(h);
            break;

        default: /* S_DONE */
            h->pos = h->len;
            break;
        }
    }
}


static void
omni_html_text(omni_html_t *h)
{
    int                   m;
    size_t                avail, mlen;
    const unsigned char  *p;

    if (omni_html_pending(h) == 0) {
        h->state = S_DONE;
        h->pos = h->len;
        return;
    }

    p = omni_html_find(h->chunk + h->pos, h->chunk + h->len);

    if (p == NULL) {
        h->pos = h->len;
        return;
    }

    h->pos = p - h->chunk;
    avail = h->len - h->pos;

    m = omni_html_match(omni_html_text_patterns, 6, p, avail, &mlen);

    if (m == M_NONE) {
        h->pos++;
        return;
    }

    if (m == M_PARTIAL) {
        /* the chunk ends inside what may be a tag: remember it */
        memcpy(h->tag, p, avail);
        h->tag_len = (unsigned char) avail;
        h->state = S_TAG;

        if (omni_html_holdable(h, h->tag, avail)) {
            h->held = (unsigned char) avail;
            h->keep = avail;
        }

        h->pos = h->len;
        return;
    }

    if ((m == M_HEAD_CLOSE || m == M_BODY_OPEN)
        && (omni_html_pending(h) & OMNI_HTML_WANT_HEAD_END))
    {
        omni_html_insert(h, OMNI_HTML_HEAD_END, h->pos);

    } else if (m == M_BODY_CLOSE
               && (omni_html_pending(h) & OMNI_HTML_WANT_BODY_END))
    {
        omni_html_insert(h, OMNI_HTML_BODY_END, h->pos);
    }

    omni_html_matched(h, m, h->pos + mlen);
}


/* the next chunk goes on with a tag split by the end of the last one */

static void
omni_html_tag(omni_html_t *h)
{
    int     m, insert;
    size_t  n, take, mlen;
    char    buf[16];

    n = h->tag_len;
    take = h->len - h->pos;

    if (take > TAG_MAX - n) {
        take = TAG_MAX - n;
    }

    memcpy(buf, h->tag, n);
    memcpy(buf + n, h->chunk + h->pos, take);

    m = omni_html_match(omni_html_text_patterns, 6,
                        (const unsigned char *) buf, n + take, &mlen);

    if (m == M_PARTIAL) {
        /* still undecided: the whole chunk joins the tag */
        memcpy(h->tag + n, h->chunk + h->pos, take);
        h->tag_len = (unsigned char) (n + take);

        if (h->held) {
            if (omni_html_holdable(h, h->tag, h->tag_len)) {
                h->held = h->tag_len;
                h->keep = take;

            } else {
                /* what was held is plain text after all */
                omni_html_give_back(h);
            }
        }

        h->pos = h->len;
        return;
    }

    insert = -1;

    if ((m == M_HEAD_CLOSE || m == M_BODY_OPEN)
        && (omni_html_pending(h) & OMNI_HTML_WANT_HEAD_END))
    {
        insert = OMNI_HTML_HEAD_END;

    } else if (m == M_BODY_CLOSE
               && (omni_html_pending(h) & OMNI_HTML_WANT_BODY_END))
    {
        insert = OMNI_HTML_BODY_END;
    }

    if (insert >= 0) {
        /* before the held bytes, which start at this chunk */
        omni_html_insert(h, (omni_html_anchor_e) insert, h->pos);
    }

    omni_html_give_back(h);
    h->tag_len = 0;
    h->state = S_TEXT;

    if (m == M_NONE) {
        /* the tag's bytes hold no '<' but the first: rescan the chunk */
        return;
    }

    omni_html_matched(h, m, h->pos + (mlen - n));
}


/* a tag was recognized; "after" is the chunk offset right after it */

static void
omni_html_matched(omni_html_t *h, int m, size_t after)
{
    unsigned  pend;

    h->pos = after;
    h->state = S_TEXT;

    switch (m) {

    case M_HEAD_CLOSE:
        h->fired |= OMNI_HTML_WANT_HEAD_END;
        break;

    case M_BODY_CLOSE:
        h->fired |= OMNI_HTML_WANT_HEAD_END | OMNI_HTML_WANT_BODY_END;
        break;

    case M_BODY_OPEN:
        pend = omni_html_pending(h);
        h->fired |= OMNI_HTML_WANT_HEAD_END;

        if (!(pend & OMNI_HTML_WANT_BODY_START)) {
            h->fired |= OMNI_HTML_WANT_BODY_START;
            break;
        }

        if (h->chunk[after - 1] == '>') {
            omni_html_insert(h, OMNI_HTML_BODY_START, after);
            h->fired |= OMNI_HTML_WANT_BODY_START;
            break;
        }

        h->state = S_BODY_TAG;
        h->sub = A_ATTR;
        break;

    case M_COMMENT:
        if (h->want & OMNI_HTML_WANT_SLOT) {
            h->state = S_SLOT;
            h->sub = 0;

        } else {
            /* right after "<!--", a ">" or "->" ends the comment */
            h->state = S_COMMENT;
            h->sub = C_DASH2;
        }

        break;

    case M_SCRIPT:
        h->state = S_SCRIPT;
        break;

    default: /* M_STYLE */
        h->state = S_STYLE;
        break;
    }
}


/* script and style text ends only at its end tag */

static void
omni_html_raw(omni_html_t *h)
{
    int                         m;
    size_t                      n, take, avail, mlen;
    char                        buf[16];
    const unsigned char        *p;
    const omni_html_pattern_t  *pat;

    pat = (h->state == S_SCRIPT) ? omni_html_script_end : omni_html_style_end;

    if (h->tag_len) {
        n = h->tag_len;
        take = h->len - h->pos;

        if (take > TAG_MAX - n) {
            take = TAG_MAX - n;
        }

        memcpy(buf, h->tag, n);
        memcpy(buf + n, h->chunk + h->pos, take);

        m = omni_html_match(pat, 1, (const unsigned char *) buf, n + take,
                            &mlen);

        if (m == M_PARTIAL) {
            memcpy(h->tag + n, h->chunk + h->pos, take);
            h->tag_len = (unsigned char) (n + take);
            h->pos = h->len;
            return;
        }

        h->tag_len = 0;

        if (m != M_NONE) {
            h->pos += mlen - n;
            h->state = S_TEXT;
        }

        return;
    }

    p = memchr(h->chunk + h->pos, '<', h->len - h->pos);

    if (p == NULL) {
        h->pos = h->len;
        return;
    }

    avail = h->chunk + h->len - p;

    m = omni_html_match(pat, 1, p, avail, &mlen);

    if (m == M_PARTIAL) {
        memcpy(h->tag, p, avail);
        h->tag_len = (unsigned char) avail;
        h->pos = h->len;
        return;
    }

    h->pos = p - h->chunk + 1;

    if (m != M_NONE) {
        h->pos += mlen - 1;
        h->state = S_TEXT;
    }
}


/*
 * A comment ends at "-->" or "--!>"; only the last three bytes before a
 * '>' decide, and three bytes decide whatever came before them.
 */

static void
omni_html_comment(omni_html_t *h)
{
    size_t                i, from;
    unsigned              c;
    const unsigned char  *p, *start;

    start = h->chunk + h->pos;
    p = memchr(start, '>', h->len - h->pos);

    if (p == NULL) {
        p = h->chunk + h->len;
    }

    c = h->sub;
    from = 0;

    if (p - start >= 3) {
        c = C_NONE;
        from = (p - start) - 3;
    }

    for (i = from; start + i < p; i++) {
        c = omni_html_comment_step(c, start[i]);
    }

    if (p == h->chunk + h->len) {
        h->sub = (unsigned char) c;
        h->pos = h->len;
        return;
    }

    h->pos = p - h->chunk + 1;

    if (c == C_DASH2 || c == C_BANG) {
        h->state = S_TEXT;

    } else {
        h->sub = C_NONE;
    }
}


static unsigned
omni_html_comment_step(unsigned state, unsigned char c)
{
    if (c == '-') {
        return (state == C_DASH || state == C_DASH2) ? C_DASH2 : C_DASH;
    }

    if (c == '!' && state == C_DASH2) {
        return C_BANG;
    }

    return C_NONE;
}


/*
 * "<!--omni:slot NAME-->", byte by byte; anything else turns it back into
 * an ordinary comment, with the dashes seen so far.
 */

static void
omni_html_slot(omni_html_t *h)
{
    unsigned char  c;

    static const char  prefix[] = "omni:slot";

    c = h->chunk[h->pos];

    switch (h->state) {

    case S_SLOT:
        if (omni_html_lower(c) == (unsigned char) prefix[h->sub]) {
            h->pos++;

            if (++h->sub == sizeof(prefix) - 1) {
                h->state = S_SLOT_SPACE;
                h->sub = 0;
            }

            return;
        }

        h->sub = (h->sub == 0) ? C_DASH2 : C_NONE;
        goto comment;

    case S_SLOT_SPACE:
        if (omni_html_space(c)) {
            h->sub = 1;
            h->pos++;
            return;
        }

        if (h->sub && omni_html_name_char(c)) {
            h->state = S_SLOT_NAME;
            h->sub = 0;
            h->name_len = 0;
            return;
        }

        h->sub = C_NONE;
        goto comment;

    case S_SLOT_NAME:
        if (omni_html_name_char(c)) {

            if (h->name_len == OMNI_HTML_SLOT_NAME_MAX + 2) {
                goto comment;
            }

            h->name[h->name_len++] = (char) c;
            h->sub = (c != '-') ? 0 : (h->sub ? C_DASH2 : C_DASH);
            h->pos++;
            return;
        }

        if (omni_html_space(c) && h->name_len <= OMNI_HTML_SLOT_NAME_MAX) {
            h->state = S_SLOT_TAIL;
            h->sub = 0;
            h->pos++;
            return;
        }

        if (c == '>' && h->sub == C_DASH2) {
            h->name_len -= 2;
            goto marker;
        }

        goto comment;

    default: /* S_SLOT_TAIL */
        if (c == '-') {
            h->sub = h->sub ? C_DASH2 : C_DASH;
            h->pos++;
            return;
        }

        if (omni_html_space(c) && h->sub == 0) {
            h->pos++;
            return;
        }

        if (c == '>' && h->sub == C_DASH2) {
            goto marker;
        }

        goto comment;
    }

marker:

    /* the comment ends here, whether or not it names a slot */

    h->pos++;
    h->state = S_TEXT;

    if (h->name_len > 0 && h->name_len <= OMNI_HTML_SLOT_NAME_MAX
        && (h->want & OMNI_HTML_WANT_SLOT))
    {
        omni_html_insert(h, OMNI_HTML_SLOT, h->pos);
        h->fired |= OMNI_HTML_WANT_SLOT;
    }

    return;

comment:

    /* h->sub holds the dashes seen; the byte is looked at again */

    h->state = S_COMMENT;
}


static void
omni_html_body_tag(omni_html_t *h)
{
    unsigned char         c;
    const unsigned char  *p;

    if (h->sub == A_DQ || h->sub == A_SQ) {
        p = memchr(h->chunk + h->pos, h->sub == A_DQ ? '"' : '\'',
                   h->len - h->pos);

        if (p == NULL) {
            h->pos = h->len;
            return;
        }

        h->pos = p - h->chunk + 1;
        h->sub = A_ATTR;
        return;
    }

    c = h->chunk[h->pos++];

    if (c == '>') {
        h->state = S_TEXT;
        h->fired |= OMNI_HTML_WANT_BODY_START;

        if (h->want & OMNI_HTML_WANT_BODY_START) {
            omni_html_insert(h, OMNI_HTML_BODY_START, h->pos);
        }

        return;
    }

    switch (h->sub) {

    case A_ATTR:
        if (c == '=') {
            h->sub = A_EQ;
        }

        break;

    case A_EQ:
        if (c == '"') {
            h->sub = A_DQ;

        } else if (c == '\'') {
            h->sub = A_SQ;

        } else if (!omni_html_space(c)) {
            h->sub = A_UNQ;
        }

        break;

    default: /* A_UNQ */
        if (omni_html_space(c)) {
            h->sub = A_ATTR;
        }

        break;
    }
}


static void
omni_html_end_of_chunk(omni_html_t *h)
{
    size_t  end;

    end = h->len - h->keep;

    if (end > h->pass) {
        omni_html_push(h, OMNI_HTML_PASS, h->pass, end - h->pass);
    }

    h->pass = h->len;
    h->done = 1;

    if (h->last) {
        /* the page ends: a held tail was text after all */
        omni_html_give_back(h);
        h->tag_len = 0;
        h->state = S_DONE;
    }
}


/* queues what was passable before "at", then the insertion */

static void
omni_html_insert(omni_html_t *h, omni_html_anchor_e anchor, size_t at)
{
    omni_html_step_t  *s;

    if (at > h->pass) {
        omni_html_push(h, OMNI_HTML_PASS, h->pass, at - h->pass);
        h->pass = at;
    }

    s = &h->q[h->nq++];

    s->op = OMNI_HTML_INSERT;
    s->anchor = anchor;
    s->off = at;
    s->len = 0;
    s->data = NULL;

    if (anchor == OMNI_HTML_SLOT) {
        s->name.data = h->name;
        s->name.len = h->name_len;

    } else {
        s->name.data = NULL;
        s->name.len = 0;
    }

    if (anchor != OMNI_HTML_SLOT) {
        h->fired |= 1u << anchor;
    }
}


/* queues the held bytes, which go out before anything else of the chunk */

static void
omni_html_give_back(omni_html_t *h)
{
    omni_html_step_t  *s;

    if (h->held == 0) {
        return;
    }

    memcpy(h->out, h->tag, h->held);

    s = &h->q[h->nq++];

    s->op = OMNI_HTML_HELD;
    s->anchor = OMNI_HTML_HEAD_END;
    s->off = 0;
    s->len = h->held;
    s->data = h->out;
    s->name.data = NULL;
    s->name.len = 0;

    h->held = 0;
}


static void
omni_html_push(omni_html_t *h, omni_html_op_e op, size_t off, size_t len)
{
    omni_html_step_t  *s;

    s = &h->q[h->nq++];

    s->op = op;
    s->anchor = OMNI_HTML_HEAD_END;
    s->off = off;
    s->len = len;
    s->data = (const char *) h->chunk + off;
    s->name.data = NULL;
    s->name.len = 0;
}


static unsigned
omni_html_pending(const omni_html_t *h)
{
    return (h->want & ~h->fired & WANT_ONCE) | (h->want & OMNI_HTML_WANT_SLOT);
}


/* may these bytes still grow into a tag that content goes before? */

static int
omni_html_holdable(const omni_html_t *h, const char *tag, size_t n)
{
    unsigned  pend;

    if (n > OMNI_HTML_HOLD_MAX) {
        return 0;
    }

    pend = omni_html_pending(h);

    if (pend & OMNI_HTML_WANT_HEAD_END) {
        if (omni_html_prefix(tag, n, "</head")
            || (n <= 5 && omni_html_prefix(tag, n, "<body")))
        {
            return 1;
        }
    }

    if (pend & OMNI_HTML_WANT_BODY_END) {
        if (omni_html_prefix(tag, n, "</body")) {
            return 1;
        }
    }

    return 0;
}


/*
 * Which pattern p starts with: M_PARTIAL when the n bytes are too few to
 * tell, M_NONE when none can match.  No pattern is a prefix of another.
 */

static int
omni_html_match(const omni_html_pattern_t *pats, size_t npats,
    const unsigned char *p, size_t n, size_t *mlen)
{
    int     partial;
    size_t  i, k, j;

    partial = 0;

    for (i = 0; i < npats; i++) {
        k = (n < pats[i].len) ? n : pats[i].len;

        for (j = 0; j < k; j++) {
            if (omni_html_lower(p[j]) != (unsigned char) pats[i].s[j]) {
                break;
            }
        }

        if (j < k) {
            continue;
        }

        if (n < (size_t) pats[i].len + pats[i].end) {
            partial = 1;
            continue;
        }

        if (pats[i].end && !omni_html_tag_end(p[pats[i].len])) {
            continue;
        }

        *mlen = pats[i].len + pats[i].end;
        return pats[i].kind;
    }

    return partial ? M_PARTIAL : M_NONE;
}


static int
omni_html_prefix(const char *s, size_t n, const char *pat)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (pat[i] == '\0'
            || omni_html_lower((unsigned char) s[i]) != (unsigned char) pat[i])
        {
            return 0;
        }
    }

    return 1;
}


/*
 * The next '<' that may begin a tag of interest, or one too close to the
 * end to tell; NULL if there is none.
 */

static const unsigned char *
omni_html_find(const unsigned char *p, const unsigned char *end)
{
#if defined(__SSE2__)
    int      m;
    __m128i  v0, v1, v2, v3, lt, lo, c;

    lt = _mm_set1_epi8('<');
    lo = _mm_set1_epi8(0x20);

    while (end - p >= 19) {
        v0 = _mm_loadu_si128((const __m128i *) p);
        m = _mm_movemask_epi8(_mm_cmpeq_epi8(v0, lt));

        if (m == 0) {
            p += 16;
            continue;
        }

        /*
         * Lower case by setting bit 5: '/', '!' and '-' have it already,
         * so only control bytes can become false candidates.
         */

        v1 = _mm_or_si128(_mm_loadu_si128((const __m128i *) (p + 1)), lo);
        v2 = _mm_or_si128(_mm_loadu_si128((const __m128i *) (p + 2)), lo);
        v3 = _mm_or_si128(_mm_loadu_si128((const __m128i *) (p + 3)), lo);

#define eq(v, ch)  _mm_cmpeq_epi8(v, _mm_set1_epi8(ch))

        c = _mm_or_si128(
              _mm_and_si128(eq(v1, '/'),
                _mm_or_si128(_mm_and_si128(eq(v2, 'h'), eq(v3, 'e')),
                             _mm_and_si128(eq(v2, 'b'), eq(v3, 'o')))),
              _mm_or_si128(
                _mm_and_si128(eq(v1, 'b'),
                              _mm_and_si128(eq(v2, 'o'), eq(v3, 'd'))),
                _mm_or_si128(
                  _mm_and_si128(eq(v1, '!'),
                                _mm_and_si128(eq(v2, '-'), eq(v3, '-'))),
                  _mm_and_si128(eq(v1, 's'),
                    _mm_or_si128(_mm_and_si128(eq(v2, 'c'), eq(v3, 'r')),
                                 _mm_and_si128(eq(v2, 't'),
                                               eq(v3, 'y')))))));

#undef eq

        m &= _mm_movemask_epi8(c);

        if (m) {
            return p + __builtin_ctz((unsigned) m);
        }

        p += 16;
    }
#endif

    while (p < end) {
        p = memchr(p, '<', end - p);

        if (p == NULL) {
            return NULL;
        }

        if (end - p < 4 || omni_html_candidate(p)) {
            return p;
        }

        p++;
    }

    return NULL;
}


static int
omni_html_candidate(const unsigned char *p)
{
    unsigned char  c1, c2, c3;

    c1 = p[1] | 0x20;
    c2 = p[2] | 0x20;
    c3 = p[3] | 0x20;

    switch (c1) {

    case '/':
        return (c2 == 'h' && c3 == 'e') || (c2 == 'b' && c3 == 'o');

    case 'b':
        return c2 == 'o' && c3 == 'd';

    case '!':
        return c2 == '-' && c3 == '-';

    case 's':
        return (c2 == 'c' && c3 == 'r') || (c2 == 't' && c3 == 'y');

    default:
        return 0;
    }
}


/* the reference rewriter */

typedef struct {
    char    *out;
    size_t   size;
    size_t   len;
} omni_html_sink_t;


static void
omni_html_put(omni_html_sink_t *s, const char *data, size_t len)
{
    if (s->len < s->size && len) {
        memcpy(s->out + s->len, data,
               (s->size - s->len < len) ? s->size - s->len : len);
    }

    s->len += len;
}


int
omni_html_rewrite(const omni_str_t *chunks, size_t n,
    const omni_html_inserts_t *ins, char *out, size_t size, size_t *len)
{
    size_t             i, k;
    unsigned           want;
    omni_html_t        h;
    omni_html_sink_t   sink;
    omni_html_step_t   step;
    const omni_str_t  *content;

    want = 0;

    if (ins->head_end) {
        want |= OMNI_HTML_WANT_HEAD_END;
    }

    if (ins->body_start) {
        want |= OMNI_HTML_WANT_BODY_START;
    }

    if (ins->body_end) {
        want |= OMNI_HTML_WANT_BODY_END;
    }

    if (ins->nslots) {
        want |= OMNI_HTML_WANT_SLOT;
    }

    sink.out = out;
    sink.size = size;
    sink.len = 0;

    omni_html_init(&h, want);

    for (i = 0; i < n || i == 0; i++) {

        if (n == 0) {
            omni_html_feed(&h, NULL, 0, 1);

        } else {
            omni_html_feed(&h, chunks[i].data, chunks[i].len, i == n - 1);
        }

        while (omni_html_next(&h, &step) == OMNI_OK) {

            if (step.op != OMNI_HTML_INSERT) {
                omni_html_put(&sink, step.data, step.len);
                continue;
            }

            content = NULL;

            switch (step.anchor) {

            case OMNI_HTML_HEAD_END:
                content = ins->head_end;
                break;

            case OMNI_HTML_BODY_START:
                content = ins->body_start;
                break;

            case OMNI_HTML_BODY_END:
                content = ins->body_end;
                break;

            default: /* OMNI_HTML_SLOT */
                for (k = 0; k < ins->nslots; k++) {
                    if (ins->slots[k].name.len == step.name.len
                        && memcmp(ins->slots[k].name.data, step.name.data,
                                  step.name.len) == 0)
                    {
                        content = &ins->slots[k].content;
                        break;
                    }
                }

                break;
            }

            if (content) {
                omni_html_put(&sink, content->data, content->len);
            }
        }
    }

    *len = sink.len;

    return (sink.len <= size) ? OMNI_OK : OMNI_ETOOBIG;
}
