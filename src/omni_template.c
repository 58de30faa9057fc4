/*
 * Templates: compiled once into a list of literal and field operations,
 * rendered per request into the caller's buffer.
 *
 * Syntax of a placeholder, with spaces around names allowed:
 *
 *     {{field}}                    HTML-escaped value, or nothing
 *     {{field|fallback text}}      the fallback when the value is missing
 *     {{field|FILTER}}             FILTER: html, js, url or number
 *     {{field|FILTER|fallback}}    both: the fallback goes through FILTER
 *
 * The first word after the bar is a filter only when it is one of the
 * four names; anything else starts the fallback, so "{{x|html|js}}" is
 * the way to write the fallback text "js".  A fallback is marketer text
 * and is escaped like a value, never trusted as markup.  With the number
 * filter the fallback must itself be a number, and a missing value
 * without one renders "0", so that the output is always a valid literal.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omni/template.h>


typedef struct {
    int             field;          /* -1: a literal */
    omni_escape_e   escape;
    int             has_fallback;
    size_t          offset;         /* literal or fallback, in text */
    size_t          len;
} omni_tpl_op_t;


struct omni_template_s {
    size_t          nops;
    omni_tpl_op_t  *ops;
    char           *text;
};


typedef struct {
    char           *buf;
    size_t          size;
    size_t          len;
} omni_tpl_out_t;


static int omni_tpl_parse(const char *src, size_t len,
    omni_field_lookup_pt lookup, void *data, omni_tpl_op_t *ops,
    size_t *nops, omni_template_error_t *err);
static int omni_tpl_placeholder(const char *src, size_t start, size_t end,
    omni_field_lookup_pt lookup, void *data, omni_tpl_op_t *op,
    omni_template_error_t *err);
static int omni_tpl_error(omni_template_error_t *err, size_t offset,
    const char *fmt, const char *s, size_t len);
static void omni_tpl_trim(const char *src, size_t *start, size_t *end);
static void omni_tpl_write(omni_tpl_out_t *out, const char *s, size_t n);
static void omni_tpl_escape(omni_tpl_out_t *out, omni_escape_e how,
    const char *s, size_t n);


static const struct {
    const char     *name;
    size_t          len;
    omni_escape_e   escape;
} omni_tpl_filters[] = {
    { "html", 4, OMNI_ESCAPE_HTML },
    { "js", 2, OMNI_ESCAPE_JS },
    { "url", 3, OMNI_ESCAPE_URL },
    { "number", 6, OMNI_ESCAPE_NUMBER }
};


int
omni_template_compile(const char *src, size_t len,
    omni_field_lookup_pt lookup, void *data, omni_template_t **tpl,
    omni_template_error_t *err)
{
    int               rc;
    size_t            nops, size;
    omni_template_t  *t;

    *tpl = NULL;

    /* the first pass checks and counts, the second fills */

    rc = omni_tpl_parse(src, len, lookup, data, NULL, &nops, err);
    if (rc != OMNI_OK) {
        return rc;
    }

    size = sizeof(omni_template_t) + nops * sizeof(omni_tpl_op_t) + len + 1;

    t = malloc(size);
    if (t == NULL) {
        (void) omni_tpl_error(err, 0, "out of memory", NULL, 0);
        return OMNI_ERROR;
    }

    t->ops = (omni_tpl_op_t *) (t + 1);
    t->text = (char *) (t->ops + nops);

    if (len) {
        memcpy(t->text, src, len);
    }

    t->text[len] = '\0';

    rc = omni_tpl_parse(src, len, lookup, data, t->ops, &t->nops, err);
    if (rc != OMNI_OK) {
        free(t);
        return rc;
    }

    *tpl = t;

    return OMNI_OK;
}


void
omni_template_free(omni_template_t *tpl)
{
    free(tpl);
}


static int
omni_tpl_parse(const char *src, size_t len, omni_field_lookup_pt lookup,
    void *data, omni_tpl_op_t *ops, size_t *nops, omni_template_error_t *err)
{
    int            rc;
    size_t         n, pos, open, close;
    omni_tpl_op_t  op;

    n = 0;
    pos = 0;

    while (pos < len) {

        for (open = pos; open + 1 < len; open++) {
            if (src[open] == '{' && src[open + 1] == '{') {
                break;
            }
        }

        if (open + 1 >= len) {
            open = len;
        }

        if (open > pos) {
            if (ops) {
                ops[n].field = -1;
                ops[n].escape = OMNI_ESCAPE_HTML;
                ops[n].has_fallback = 0;
                ops[n].offset = pos;
                ops[n].len = open - pos;
            }

            n++;
        }

        if (open == len) {
            break;
        }

        for (close = open + 2; close + 1 < len; close++) {
            if (src[close] == '}' && src[close + 1] == '}') {
                break;
            }
        }

        if (close + 1 >= len) {
            return omni_tpl_error(err, open, "\"{{\" without a closing \"}}\"",
                                  NULL, 0);
        }

        rc = omni_tpl_placeholder(src, open + 2, close, lookup, data, &op,
                                  err);
        if (rc != OMNI_OK) {
            return rc;
        }

        if (ops) {
            ops[n] = op;
        }

        n++;
        pos = close + 2;
    }

    *nops = n;

    return OMNI_OK;
}


static int
omni_tpl_placeholder(const char *src, size_t start, size_t end,
    omni_field_lookup_pt lookup, void *data, omni_tpl_op_t *op,
    omni_template_error_t *err)
{
    int     field;
    char    c, num[32];
    size_t  i, n, name, name_end, bar, word, word_end;

    /* the field name, up to the first bar */

    for (bar = start; bar < end && src[bar] != '|'; bar++) {
        /* void */
    }

    name = start;
    name_end = bar;
    omni_tpl_trim(src, &name, &name_end);

    if (name == name_end) {
        return omni_tpl_error(err, start - 2, "empty placeholder \"{{}}\"",
                              NULL, 0);
    }

    for (i = name; i < name_end; i++) {
        c = src[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
        {
            return omni_tpl_error(err, name,
                                  "\"%.*s\" is not a field name",
                                  src + name, name_end - name);
        }
    }

    field = lookup(data, src + name, name_end - name);
    if (field < 0) {
        return omni_tpl_error(err, name, "unknown field \"%.*s\"",
                              src + name, name_end - name);
    }

    op->field = field;
    op->escape = OMNI_ESCAPE_HTML;
    op->has_fallback = 0;
    op->offset = 0;
    op->len = 0;

    if (bar == end) {
        return OMNI_OK;
    }

    /* a filter name, then the fallback; or the fallback alone */

    for (word_end = bar + 1; word_end < end && src[word_end] != '|';
         word_end++)
    {
        /* void */
    }

    word = bar + 1;
    omni_tpl_trim(src, &word, &word_end);

    for (i = 0; i < sizeof(omni_tpl_filters) / sizeof(omni_tpl_filters[0]);
         i++)
    {
        if (word_end - word == omni_tpl_filters[i].len
            && memcmp(src + word, omni_tpl_filters[i].name,
                      omni_tpl_filters[i].len) == 0)
        {
            break;
        }
    }

    if (i < sizeof(omni_tpl_filters) / sizeof(omni_tpl_filters[0])) {
        op->escape = omni_tpl_filters[i].escape;

        for (bar = word_end; bar < end && src[bar] != '|'; bar++) {
            /* void */
        }

        if (bar == end) {
            return OMNI_OK;
        }
    }

    start = bar + 1;
    omni_tpl_trim(src, &start, &end);

    op->has_fallback = 1;
    op->offset = start;
    op->len = end - start;

    if (op->escape != OMNI_ESCAPE_NUMBER) {
        return OMNI_OK;
    }

    /* a number fallback must be a number in its canonical form */

    n = omni_escape(OMNI_ESCAPE_NUMBER, src + start, end - start, num,
                    sizeof(num));

    if (n != end - start || n > sizeof(num) || memcmp(num, src + start, n))
    {
        return omni_tpl_error(err, start,
                              "the fallback \"%.*s\" of a number is not "
                              "a number", src + start, end - start);
    }

    return OMNI_OK;
}


static void
omni_tpl_trim(const char *src, size_t *start, size_t *end)
{
    while (*start < *end && (src[*start] == ' ' || src[*start] == '\t')) {
        (*start)++;
    }

    while (*end > *start && (src[*end - 1] == ' ' || src[*end - 1] == '\t')) {
        (*end)--;
    }
}


static int
omni_tpl_error(omni_template_error_t *err, size_t offset, const char *fmt,
    const char *s, size_t len)
{
    if (err == NULL) {
        return OMNI_EINVAL;
    }

    err->offset = offset;

    if (len > 64) {
        len = 64;
    }

    if (s) {
        snprintf(err->text, sizeof(err->text), fmt, (int) len, s);

    } else {
        snprintf(err->text, sizeof(err->text), "%s", fmt);
    }

    return OMNI_EINVAL;
}


int
omni_template_render(const omni_template_t *tpl, omni_field_value_pt value,
    void *data, char *buf, size_t size, size_t *len)
{
    int                   rc;
    size_t                i;
    omni_value_t          v;
    omni_tpl_out_t        out;
    const omni_tpl_op_t  *op;

    out.buf = buf;
    out.size = (buf == NULL) ? 0 : size;
    out.len = 0;

    for (i = 0; i < tpl->nops; i++) {
        op = &tpl->ops[i];

        if (op->field < 0) {
            omni_tpl_write(&out, tpl->text + op->offset, op->len);
            continue;
        }

        v.str.data = NULL;
        v.str.len = 0;
        v.html_safe = 0;

        rc = value(data, op->field, &v);

        if (rc == OMNI_OK && v.str.len != 0) {
            if (v.html_safe && op->escape == OMNI_ESCAPE_HTML) {
                omni_tpl_write(&out, v.str.data, v.str.len);

            } else {
                omni_tpl_escape(&out, op->escape, v.str.data, v.str.len);
            }

            continue;
        }

        if (rc != OMNI_OK && rc != OMNI_ENOTFOUND) {
            return rc;
        }

        /* missing or empty */

        if (op->has_fallback) {
            omni_tpl_escape(&out, op->escape, tpl->text + op->offset,
                            op->len);

        } else if (op->escape == OMNI_ESCAPE_NUMBER) {
            omni_tpl_write(&out, "0", 1);
        }
    }

    *len = out.len;

    return (out.len <= size) ? OMNI_OK : OMNI_ETOOBIG;
}


static void
omni_tpl_write(omni_tpl_out_t *out, const char *s, size_t n)
{
    if (n == 0) {
        return;
    }

    if (out->len + n <= out->size) {
        memcpy(out->buf + out->len, s, n);

    } else {
        out->size = 0;
    }

    out->len += n;
}


static void
omni_tpl_escape(omni_tpl_out_t *out, omni_escape_e how, const char *s,
    size_t n)
{
    size_t  room;

    room = (out->len < out->size) ? out->size - out->len : 0;

    n = omni_escape(how, s, n, room ? out->buf + out->len : NULL, room);

    if (n > room) {
        out->size = 0;
    }

    out->len += n;
}
