/*
 * A streaming scanner for the places where content goes into an HTML page.
 *
 * The page is fed in chunks of any size, split anywhere.  The scanner
 * never copies page bytes except a held tail of at most OMNI_HTML_HOLD_MAX
 * bytes, and never allocates: its whole state is the omni_html_t below,
 * which the caller embeds where it likes (a request context, the stack).
 *
 * Anchors (each fires at most once, except slots):
 *
 *   OMNI_HTML_HEAD_END    before the first "</head" followed by white
 *                         space, "/" or ">" (any case); on a page whose
 *                         head is implied, before the first "<body" tag.
 *   OMNI_HTML_BODY_START  right after the ">" that ends the first
 *                         "<body ...>" tag; quoted attribute values may
 *                         hold ">"; "<bodyx" is not a body tag.
 *   OMNI_HTML_BODY_END    before the first "</body" tag.  Streaming
 *                         cannot know which one is last; a page has one.
 *   OMNI_HTML_SLOT        right after every "<!--omni:slot NAME-->"
 *                         comment (the marker stays in the page).  NAME
 *                         is 1 to OMNI_HTML_SLOT_NAME_MAX characters of
 *                         [A-Za-z0-9_-]; spaces may surround it.
 *
 * Nothing matches inside comments, <script> or <style>, so a "</body>" in
 * a script string or a commented-out "<body>" is left alone.
 *
 * Use:
 *
 *     omni_html_init(&h, OMNI_HTML_WANT_ALL);
 *
 *     for each chunk:
 *         omni_html_feed(&h, data, len, is_last_chunk);
 *
 *         while (omni_html_next(&h, &step) == OMNI_OK) {
 *             PASS:   send step.len bytes of the chunk at step.off
 *             HELD:   send step.data/len (bytes held from an earlier chunk;
 *                     the pointer is valid until the next call)
 *             INSERT: send the content of step.anchor (step.name: slot)
 *         }
 *
 * omni_html_next() returns OMNI_AGAIN when the chunk is used up: every
 * byte of it was passed, or is held by the scanner (omni_html_held() tells
 * how many bytes it holds) and will come back in a HELD step.  After the
 * last chunk nothing is held.  Steps come in page order.
 */

#ifndef OMNI_HTML_H_INCLUDED
#define OMNI_HTML_H_INCLUDED


#include <omni/omni.h>


typedef enum {
    OMNI_HTML_HEAD_END = 0,
    OMNI_HTML_BODY_START,
    OMNI_HTML_BODY_END,
    OMNI_HTML_SLOT
} omni_html_anchor_e;

#define OMNI_HTML_NANCHORS         4

#define OMNI_HTML_WANT_HEAD_END    (1u << OMNI_HTML_HEAD_END)
#define OMNI_HTML_WANT_BODY_START  (1u << OMNI_HTML_BODY_START)
#define OMNI_HTML_WANT_BODY_END    (1u << OMNI_HTML_BODY_END)
#define OMNI_HTML_WANT_SLOT        (1u << OMNI_HTML_SLOT)
#define OMNI_HTML_WANT_ALL         0x0fu

#define OMNI_HTML_SLOT_NAME_MAX    64

/* the longest tail ever held: "</head", "</body" */
#define OMNI_HTML_HOLD_MAX         6


typedef enum {
    OMNI_HTML_PASS = 1,
    OMNI_HTML_HELD,
    OMNI_HTML_INSERT
} omni_html_op_e;


typedef struct {
    omni_html_op_e       op;
    omni_html_anchor_e   anchor;    /* INSERT */
    size_t               off;       /* PASS: offset in the current chunk */
    size_t               len;       /* PASS, HELD */
    const char          *data;      /* PASS: chunk + off; HELD: held bytes */
    omni_str_t           name;      /* INSERT of a slot: its name */
} omni_html_step_t;


/*
 * The state is public so that callers can embed and copy it (a cached
 * scan of a file keeps the state at its end); its members are private.
 */

typedef struct {
    const unsigned char  *chunk;
    size_t                len;
    size_t                pos;          /* next byte to scan */
    size_t                pass;         /* first byte not yet passed */
    size_t                keep;         /* tail of the chunk being held */
    uint64_t              total;        /* bytes fed, this chunk included */

    unsigned              want;         /* anchors still wanted */
    unsigned              fired;        /* anchors seen (slots: any) */
    unsigned              last:1;
    unsigned              done:1;       /* the chunk is used up */

    unsigned char         state;
    unsigned char         sub;          /* dashes, attribute state, ... */
    unsigned char         tag_len;      /* bytes of a tag split by a chunk */
    unsigned char         held;         /* of which held (not passed) */
    unsigned char         name_len;
    unsigned char         nq;           /* queued steps */
    unsigned char         iq;

    char                  tag[16];
    char                  out[16];      /* a held tail being given back */
    char                  name[OMNI_HTML_SLOT_NAME_MAX + 4];

    omni_html_step_t      q[4];
} omni_html_t;


void omni_html_init(omni_html_t *h, unsigned want);

/*
 * Narrows the anchors wanted (say, once every slot is filled): the scanner
 * stops looking for them, and once nothing is left to look for it passes
 * the rest of the page without scanning it.  Anchors are never added back.
 */
void omni_html_want(omni_html_t *h, unsigned want);

void omni_html_feed(omni_html_t *h, const void *data, size_t len,
    int last);
int omni_html_next(omni_html_t *h, omni_html_step_t *step);

/* bytes held now: the tail of the chunks fed so far */
size_t omni_html_held(const omni_html_t *h);

/*
 * The held bytes themselves, for a caller that gives up scanning between
 * two chunks and must still send them; valid until the next call.
 */
const char *omni_html_held_data(const omni_html_t *h);

/* bit set of the anchors seen so far (OMNI_HTML_WANT_*) */
unsigned omni_html_fired(const omni_html_t *h);

/* nothing fed yet, nothing fired: the state of a fresh scanner */
int omni_html_is_fresh(const omni_html_t *h);


/*
 * The whole-stream reference: rewrites a page given as a list of chunks
 * with fixed insert strings (NULL: the anchor is not wanted; slots listed
 * by name are inserted at every marker of that name).  OMNI_ETOOBIG when
 * out is too small: *len then receives the size needed.  The tests and the
 * fuzz target hold the streaming filter to this function.
 */

typedef struct {
    omni_str_t           name;
    omni_str_t           content;
} omni_html_slot_t;


typedef struct {
    const omni_str_t        *head_end;
    const omni_str_t        *body_start;
    const omni_str_t        *body_end;
    const omni_html_slot_t  *slots;
    size_t                   nslots;
} omni_html_inserts_t;


int omni_html_rewrite(const omni_str_t *chunks, size_t n,
    const omni_html_inserts_t *ins, char *out, size_t size, size_t *len);


#endif /* OMNI_HTML_H_INCLUDED */
