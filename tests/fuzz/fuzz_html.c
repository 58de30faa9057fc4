/*
 * The HTML scanner under libFuzzer.  The first bytes choose where the page
 * is cut (up to 15 cuts) and which anchors are wanted; the rest is the
 * page.  Checked: no crash or overrun; the page cut anywhere rewrites to
 * the same output as the page in one piece; never more than
 * OMNI_HTML_HOLD_MAX bytes held; with nothing to insert (no anchor
 * wanted, or every insertion empty) the output is the input; and the
 * page rebuilt from the marks of the file path (slices between them,
 * insertions at them) is the page the streaming rewrite gives.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <omni/html.h>
#include <omni/html_cache.h>


#define MAX_CUTS  15


static const omni_str_t  f_head = omni_string("<style>h</style>");
static const omni_str_t  f_start = omni_string("<div>b</div>");
static const omni_str_t  f_end = omni_string("<i>e</i>");
static const omni_str_t  f_empty = omni_string("");

static const omni_html_slot_t  f_slots[] = {
    { omni_string("hero"), omni_string("<p>hero</p>") },
    { omni_string("a"), omni_string("<p>a</p>") }
};

static const omni_html_slot_t  f_empty_slots[] = {
    { omni_string("hero"), omni_string("") },
    { omni_string("a"), omni_string("") }
};


static char *
rewrite(const omni_str_t *chunks, size_t n, const omni_html_inserts_t *ins,
    size_t size, size_t *len)
{
    char  *out;

    out = malloc(size ? size : 1);
    if (out == NULL) {
        abort();
    }

    if (omni_html_rewrite(chunks, n, ins, out, size, len) != OMNI_OK) {
        abort();
    }

    return out;
}


/* the page cut as given, stepped through by hand to watch the held tail */

static void
check_held(const omni_str_t *chunks, size_t n, unsigned want)
{
    size_t            i;
    omni_html_t       h;
    omni_html_step_t  s;

    omni_html_init(&h, want);

    for (i = 0; i < n; i++) {
        omni_html_feed(&h, chunks[i].data, chunks[i].len, i == n - 1);

        while (omni_html_next(&h, &s) == OMNI_OK) {
            if (s.op == OMNI_HTML_PASS
                && (s.off > chunks[i].len
                    || s.len > chunks[i].len - s.off))
            {
                abort();
            }

            if (s.op == OMNI_HTML_HELD && s.len > OMNI_HTML_HOLD_MAX) {
                abort();
            }
        }

        if (omni_html_held(&h) > OMNI_HTML_HOLD_MAX) {
            abort();
        }
    }

    if (omni_html_held(&h) != 0) {
        abort();
    }
}


/* the page as the file path sends it, from the marks of its pieces */

static void
check_marks(const omni_str_t *page, const omni_str_t *chunks, size_t n,
    const omni_html_inserts_t *ins, const char *want, size_t wlen)
{
    char                *out;
    size_t               i, k, len;
    uint64_t             cur;
    omni_html_t          h;
    omni_html_mark_t     marks[OMNI_HTML_MARKS_MAX];
    omni_html_marker_t   m;
    const omni_str_t    *c;
    omni_str_t           keep = omni_string("hero");

    omni_html_init(&h, OMNI_HTML_WANT_ALL);
    omni_html_marker_init(&m, &h, marks, OMNI_HTML_MARKS_MAX, keep);

    for (i = 0; i < n; i++) {
        omni_html_marker_feed(&m, chunks[i].data, chunks[i].len, i == n - 1);
    }

    if (m.overflow || m.passed != page->len) {
        /* overflow: the marks are complete only for "hero"; skip */
        if (!m.overflow) {
            abort();
        }

        return;
    }

    out = malloc(wlen + 1);
    if (out == NULL) {
        abort();
    }

    len = 0;
    cur = 0;

    for (i = 0; i < m.nmarks; i++) {
        if (m.marks[i].offset < cur || m.marks[i].offset > page->len
            || m.marks[i].type != OMNI_HTML_MARK_INSERT)
        {
            abort();
        }

        k = m.marks[i].offset - cur;

        if (len + k > wlen) {
            abort();
        }

        memcpy(out + len, page->data + cur, k);
        len += k;
        cur = m.marks[i].offset;

        c = NULL;

        switch (m.marks[i].anchor) {

        case OMNI_HTML_HEAD_END:
            c = ins->head_end;
            break;

        case OMNI_HTML_BODY_START:
            c = ins->body_start;
            break;

        case OMNI_HTML_BODY_END:
            c = ins->body_end;
            break;

        default:
            for (k = 0; k < ins->nslots; k++) {
                if (ins->slots[k].name.len == m.marks[i].len
                    && memcmp(ins->slots[k].name.data, m.marks[i].name,
                              m.marks[i].len) == 0)
                {
                    c = &ins->slots[k].content;
                }
            }

            break;
        }

        if (c) {
            if (len + c->len > wlen) {
                abort();
            }

            memcpy(out + len, c->data, c->len);
            len += c->len;
        }
    }

    k = page->len - cur;

    if (len + k != wlen) {
        abort();
    }

    memcpy(out + len, page->data + cur, k);

    if (memcmp(out, want, wlen) != 0) {
        abort();
    }

    free(out);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                 *whole, *cut;
    size_t                i, n, ncuts, wlen, clen, bound, pos;
    unsigned              want;
    omni_str_t            page, chunks[MAX_CUTS + 1];
    omni_html_inserts_t   ins;

    if (size < 2) {
        return 0;
    }

    want = data[0] & 0x0f;
    ncuts = data[1] % (MAX_CUTS + 1);
    data += 2;
    size -= 2;

    if (size < ncuts) {
        return 0;
    }

    /* each cut takes one byte: the length of the chunk before it */
    page.data = (const char *) data + ncuts;
    page.len = size - ncuts;

    pos = 0;

    for (i = 0; i < ncuts; i++) {
        n = data[i];

        if (n > page.len - pos) {
            n = page.len - pos;
        }

        chunks[i].data = page.data + pos;
        chunks[i].len = n;
        pos += n;
    }

    chunks[ncuts].data = page.data + pos;
    chunks[ncuts].len = page.len - pos;

    memset(&ins, 0, sizeof(ins));
    ins.head_end = (want & OMNI_HTML_WANT_HEAD_END) ? &f_head : NULL;
    ins.body_start = (want & OMNI_HTML_WANT_BODY_START) ? &f_start : NULL;
    ins.body_end = (want & OMNI_HTML_WANT_BODY_END) ? &f_end : NULL;
    ins.slots = f_slots;
    ins.nslots = (want & OMNI_HTML_WANT_SLOT) ? 2 : 0;

    /* every insertion adds at most its length once, slots once a marker */
    bound = page.len + f_head.len + f_start.len + f_end.len
            + (page.len / 20 + 1) * 16;

    whole = rewrite(&page, 1, &ins, bound, &wlen);
    cut = rewrite(chunks, ncuts + 1, &ins, bound, &clen);

    if (wlen != clen || memcmp(whole, cut, wlen) != 0) {
        abort();
    }

    if (want == 0 && (wlen != page.len || memcmp(whole, page.data, wlen))) {
        abort();
    }

    /* the file path: every anchor is marked, so insert everything */
    {
        omni_html_inserts_t  all;

        all.head_end = &f_head;
        all.body_start = &f_start;
        all.body_end = &f_end;
        all.slots = f_slots;
        all.nslots = 2;

        free(whole);
        whole = rewrite(&page, 1, &all, bound, &wlen);
        check_marks(&page, chunks, ncuts + 1, &all, whole, wlen);
    }

    free(whole);
    free(cut);

    /* every anchor wanted, every insertion empty: the input comes back */
    ins.head_end = &f_empty;
    ins.body_start = &f_empty;
    ins.body_end = &f_empty;
    ins.slots = f_empty_slots;
    ins.nslots = 2;

    cut = rewrite(chunks, ncuts + 1, &ins, page.len, &clen);

    if (clen != page.len || memcmp(cut, page.data, clen) != 0) {
        abort();
    }

    free(cut);

    check_held(chunks, ncuts + 1, OMNI_HTML_WANT_ALL);
    check_held(chunks, ncuts + 1, want);

    return 0;
}
