/*
 * A second, position-only tokenizer over a JSON text jansson accepted.
 */

#include <stdlib.h>
#include <string.h>

#include "omni_jpos.h"


#define OMNI_JPOS_DEPTH  2100       /* past jansson's 2048 */


typedef struct {
    uint32_t  node;
    uint32_t  last;                 /* last child so far */
    int       object;
    int       want_key;
} omni_jpos_level_t;


typedef struct {
    const char  *p;
    const char  *end;
    uint32_t     line;
    uint32_t     col;               /* of the last byte consumed */
} omni_jpos_cursor_t;


static void omni_jpos_advance(omni_jpos_cursor_t *c);
static int omni_jpos_skip_string(omni_jpos_cursor_t *c);
static int omni_jpos_add(omni_jpos_t *jp, size_t *cap,
    omni_jpos_level_t *top, uint32_t line, uint32_t col, size_t offset,
    uint32_t key_line, uint32_t key_col);


static void
omni_jpos_advance(omni_jpos_cursor_t *c)
{
    if (*c->p == '\n') {
        c->line++;
        c->col = 0;

    } else if ((*c->p & 0xc0) != 0x80) {
        c->col++;
    }

    c->p++;
}


/* from the opening quote to past the closing one */

static int
omni_jpos_skip_string(omni_jpos_cursor_t *c)
{
    omni_jpos_advance(c);

    while (c->p < c->end) {

        if (*c->p == '"') {
            omni_jpos_advance(c);
            return OMNI_OK;
        }

        if (*c->p == '\\') {
            omni_jpos_advance(c);

            if (c->p >= c->end) {
                break;
            }
        }

        omni_jpos_advance(c);
    }

    return OMNI_EINVAL;
}


static int
omni_jpos_add(omni_jpos_t *jp, size_t *cap, omni_jpos_level_t *top,
    uint32_t line, uint32_t col, size_t offset, uint32_t key_line,
    uint32_t key_col)
{
    size_t             n;
    omni_jpos_node_t  *nodes, *node;

    if (jp->n == *cap) {
        n = *cap ? *cap * 2 : 64;

        nodes = realloc(jp->nodes, n * sizeof(omni_jpos_node_t));
        if (nodes == NULL) {
            return OMNI_ERROR;
        }

        jp->nodes = nodes;
        *cap = n;
    }

    node = &jp->nodes[jp->n];
    node->line = line;
    node->col = col;
    node->key_line = key_line;
    node->key_col = key_col;
    node->offset = offset;
    node->first = OMNI_JPOS_NONE;
    node->next = OMNI_JPOS_NONE;

    if (top) {
        if (top->last == OMNI_JPOS_NONE) {
            jp->nodes[top->node].first = (uint32_t) jp->n;

        } else {
            jp->nodes[top->last].next = (uint32_t) jp->n;
        }

        top->last = (uint32_t) jp->n;

        if (top->object) {
            top->want_key = 1;
        }
    }

    jp->n++;

    return OMNI_OK;
}


int
omni_jpos_build(omni_jpos_t *jp, const char *text, size_t len)
{
    int                  rc;
    char                 ch;
    size_t               cap, depth, offset;
    uint32_t             line, col, key_line, key_col;
    omni_jpos_level_t   *stack, *top;
    omni_jpos_cursor_t   c;

    jp->text = text;
    jp->len = len;
    jp->nodes = NULL;
    jp->n = 0;

    if (len >= OMNI_JPOS_NONE) {
        return OMNI_EINVAL;
    }

    stack = malloc(OMNI_JPOS_DEPTH * sizeof(omni_jpos_level_t));
    if (stack == NULL) {
        return OMNI_ERROR;
    }

    cap = 0;
    depth = 0;
    key_line = 0;
    key_col = 0;

    c.p = text;
    c.end = text + len;
    c.line = 1;
    c.col = 0;

    rc = OMNI_OK;

    while (c.p < c.end && rc == OMNI_OK) {
        ch = *c.p;
        top = depth ? &stack[depth - 1] : NULL;

        switch (ch) {

        case ' ':
        case '\t':
        case '\r':
        case '\n':
        case ',':
        case ':':
            omni_jpos_advance(&c);
            continue;

        case '}':
        case ']':
            if (depth == 0) {
                rc = OMNI_EINVAL;
                continue;
            }

            depth--;
            omni_jpos_advance(&c);
            continue;

        default:
            break;
        }

        offset = c.p - text;
        line = c.line;
        col = c.col + 1;

        if (ch == '"' && top && top->object && top->want_key) {
            key_line = line;
            key_col = col;
            top->want_key = 0;
            rc = omni_jpos_skip_string(&c);
            continue;
        }

        rc = omni_jpos_add(jp, &cap, top, line, col, offset,
                           (top && top->object) ? key_line : 0,
                           (top && top->object) ? key_col : 0);
        if (rc != OMNI_OK) {
            continue;
        }

        if (ch == '{' || ch == '[') {
            if (depth == OMNI_JPOS_DEPTH) {
                rc = OMNI_EINVAL;
                continue;
            }

            top = &stack[depth++];
            top->node = (uint32_t) (jp->n - 1);
            top->last = OMNI_JPOS_NONE;
            top->object = (ch == '{');
            top->want_key = top->object;
            omni_jpos_advance(&c);
            continue;
        }

        if (ch == '"') {
            rc = omni_jpos_skip_string(&c);
            continue;
        }

        /* a number or a literal */

        while (c.p < c.end && *c.p != ',' && *c.p != '}' && *c.p != ']'
               && *c.p != ' ' && *c.p != '\t' && *c.p != '\r'
               && *c.p != '\n')
        {
            omni_jpos_advance(&c);
        }
    }

    free(stack);

    if (rc != OMNI_OK || depth != 0 || jp->n == 0) {
        omni_jpos_free(jp);
        return rc == OMNI_ERROR ? OMNI_ERROR : OMNI_EINVAL;
    }

    return OMNI_OK;
}


void
omni_jpos_free(omni_jpos_t *jp)
{
    free(jp->nodes);
    jp->nodes = NULL;
    jp->n = 0;
}


uint32_t
omni_jpos_child(const omni_jpos_t *jp, uint32_t node, size_t i)
{
    uint32_t  child;

    if (node == OMNI_JPOS_NONE || node >= jp->n) {
        return OMNI_JPOS_NONE;
    }

    child = jp->nodes[node].first;

    while (i-- && child != OMNI_JPOS_NONE) {
        child = jp->nodes[child].next;
    }

    return child;
}


static int
omni_jpos_hex(const char *p, const char *end, uint32_t *v)
{
    int  i;

    *v = 0;

    if (end - p < 4) {
        return 0;
    }

    for (i = 0; i < 4; i++) {
        *v <<= 4;

        if (p[i] >= '0' && p[i] <= '9') {
            *v |= p[i] - '0';

        } else if ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'f') {
            *v |= (p[i] | 0x20) - 'a' + 10;

        } else {
            return 0;
        }
    }

    return 1;
}


uint32_t
omni_jpos_string_col(const omni_jpos_t *jp, uint32_t node, size_t at)
{
    size_t       decoded;
    uint32_t     col, u, lo;
    const char  *p, *end;

    if (node == OMNI_JPOS_NONE || node >= jp->n) {
        return 0;
    }

    p = jp->text + jp->nodes[node].offset;
    end = jp->text + jp->len;
    col = jp->nodes[node].col;

    if (p >= end || *p != '"') {
        return col;
    }

    p++;
    col++;
    decoded = 0;

    while (decoded < at && p < end && *p != '"') {

        if (*p != '\\') {
            if ((*p & 0xc0) != 0x80) {
                col++;
            }

            p++;
            decoded++;
            continue;
        }

        if (end - p < 2) {
            break;
        }

        if (p[1] != 'u' || !omni_jpos_hex(p + 2, end, &u)) {
            p += 2;
            col += 2;
            decoded++;
            continue;
        }

        p += 6;
        col += 6;

        if (u >= 0xd800 && u <= 0xdbff && end - p >= 6 && p[0] == '\\'
            && p[1] == 'u' && omni_jpos_hex(p + 2, end, &lo)
            && lo >= 0xdc00 && lo <= 0xdfff)
        {
            p += 6;
            col += 6;
            decoded += 4;
            continue;
        }

        decoded += (u < 0x80) ? 1 : (u < 0x800) ? 2 : 3;
    }

    return col;
}
