/*
 * Loading a campaigns file: the driver, error reporting with positions,
 * shared checks, the arena the set lives in, and the accessors.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "omni_campaigns_int.h"


#define OMNI_ARENA_BLOCK  16384


struct omni_arena_block_s {
    omni_arena_block_t  *next;
    size_t               used;
    size_t               size;
    /* data follows, 16-byte aligned */
};


typedef struct {
    omni_campaigns_error_t  *list;
    size_t                   n;
} omni_errors_t;


static int omni_campaigns_parse(omni_load_t *ld, json_t *root);
static int omni_settings_load(omni_load_t *ld, json_t *settings,
    uint32_t node);
static void omni_campaigns_syntax(omni_load_t *ld, const json_error_t *je,
    size_t len);
static void omni_errors_sort(omni_errors_t *errors);
static size_t omni_distance(const char *a, size_t alen, const char *b,
    size_t blen);
static const char *omni_json_type(json_t *v);


static const char *const  omni_sections[] = {
    "brands", "segments", "stages", "offers", "experiments", "tags",
    "settings", "description", NULL
};


/* jansson's wording of the usual slips, and what to do about them */
static const struct {
    const char  *pattern;
    const char  *hint;
} omni_json_hints[] = {
    { "string or '}' expected near '}'",
      "a comma before \"}\" is one too many: JSON allows no comma after "
      "the last member" },
    { "unexpected token near ']'",
      "a comma before \"]\" is one too many: JSON allows no comma after "
      "the last item" },
    { "string or '}' expected near",
      "names are written in double quotes, \"name\": value" },
    { "'}' expected near", "a comma is missing between two members" },
    { "']' expected near", "a comma is missing between two items" },
    { "unexpected newline",
      "a text cannot continue on the next line; write \\n for a line "
      "break" },
    { "invalid token near '''",
      "texts are written in double quotes, not single ones" },
    { "invalid token near '0'",
      "numbers do not start with 0: write 1, not 01" },
    { "invalid token", "texts are written in double quotes; the words "
      "JSON knows are true, false and null" },
    { "end of file expected",
      "something follows the closing \"}\" of the file" },
    { "expected near '/'", "JSON has no comments; use \"description\"" },
    { NULL, NULL }
};


static const char *const  omni_settings_keys[] = {
    "currency", "default_brand", "description", NULL
};


int
omni_campaigns_load(const char *json, size_t len, const char *filename,
    omni_campaigns_report_pt report, void *data, omni_campaigns_t **out,
    omni_campaigns_error_t *err)
{
    int                      rc;
    size_t                   i;
    json_t                  *root;
    omni_load_t              ld;
    json_error_t             je;
    omni_errors_t            errors;
    omni_campaigns_t        *cs;
    omni_campaigns_error_t   first;

    *out = NULL;

    if (filename == NULL) {
        filename = "campaigns";
    }

    if (json == NULL) {
        json = "";
        len = 0;
    }

    memset(&ld, 0, sizeof(omni_load_t));
    memset(&errors, 0, sizeof(omni_errors_t));

    ld.file = filename;
    ld.err = &first;
    ld.cur_segment = OMNI_JPOS_NONE;

    /* errors are collected, then reported sorted by position */
    errors.list = calloc(OMNI_CAMPAIGNS_ERRORS + 1,
                         sizeof(omni_campaigns_error_t));
    if (errors.list == NULL) {
        return OMNI_ERROR;
    }

    ld.data = &errors;

    memset(&first, 0, sizeof(first));
    first.file = filename;

    if (len > OMNI_CAMPAIGNS_FILE_MAX) {
        snprintf(first.text, sizeof(first.text),
                 "the file is larger than %d MB",
                 OMNI_CAMPAIGNS_FILE_MAX >> 20);
        rc = OMNI_ETOOBIG;
        goto done;
    }

    /* editors on some systems start UTF-8 files with a byte order mark */

    if (len >= 3 && memcmp(json, "\xef\xbb\xbf", 3) == 0) {
        json += 3;
        len -= 3;
    }

    cs = calloc(1, sizeof(omni_campaigns_t));
    if (cs == NULL) {
        rc = OMNI_ERROR;
        goto done;
    }

    ld.cs = cs;

    root = json_loadb(json, len, JSON_PRESERVE_ORDER | JSON_REJECT_DUPLICATES,
                      &je);

    if (root == NULL) {
        omni_campaigns_syntax(&ld, &je, len);
        rc = OMNI_EINVAL;

    } else {
        rc = omni_jpos_build(&ld.jp, json, len);

        if (rc == OMNI_OK) {
            rc = omni_campaigns_parse(&ld, root);

        } else if (rc == OMNI_EINVAL) {
            omni_load_error_col(&ld, 1, 1, "the file could not be read "
                                "as JSON");
        }

        omni_jpos_free(&ld.jp);
        json_decref(root);
    }

    free(ld.refs);

    if (ld.oom) {
        rc = OMNI_ERROR;

    } else if (ld.nerrors) {
        rc = OMNI_EINVAL;
    }

    if (rc != OMNI_OK) {
        omni_campaigns_free(cs);
        cs = NULL;
    }

    *out = cs;

done:

    if (rc == OMNI_ERROR && errors.n == 0) {
        snprintf(first.text, sizeof(first.text), "out of memory");
    }

    if (rc == OMNI_ETOOBIG || (rc == OMNI_ERROR && errors.n == 0)) {
        errors.list[0] = first;
        errors.n = 1;
    }

    omni_errors_sort(&errors);

    if (ld.nerrors > errors.n) {
        /* the list has one slot more than OMNI_CAMPAIGNS_ERRORS for this */
        memset(&errors.list[errors.n], 0, sizeof(omni_campaigns_error_t));
        errors.list[errors.n].file = filename;
        snprintf(errors.list[errors.n].text,
                 sizeof(errors.list[errors.n].text),
                 "%u more errors not shown", ld.nerrors - (unsigned) errors.n);
        errors.n++;
    }

    for (i = 0; i < errors.n; i++) {
        if (report) {
            report(data, &errors.list[i]);
        }
    }

    if (err) {
        if (errors.n) {
            *err = errors.list[0];

        } else {
            memset(err, 0, sizeof(omni_campaigns_error_t));
            err->file = filename;
        }
    }

    free(errors.list);

    return rc;
}


/*
 * By position; stable (an insertion sort of at most a few dozen), so
 * that errors at the same place keep the order they were found in.
 */

static void
omni_errors_sort(omni_errors_t *errors)
{
    size_t                   i, k;
    omni_campaigns_error_t   e, *list;

    list = errors->list;

    for (i = 1; i < errors->n; i++) {
        e = list[i];

        for (k = i; k > 0; k--) {
            if (list[k - 1].line < e.line
                || (list[k - 1].line == e.line
                    && list[k - 1].column <= e.column))
            {
                break;
            }

            list[k] = list[k - 1];
        }

        list[k] = e;
    }
}


/* jansson's syntax errors, reworded where a marketer would be lost */

static void
omni_campaigns_syntax(omni_load_t *ld, const json_error_t *je, size_t len)
{
    size_t       i;
    const char  *t;

    t = je->text;

    if (len == 0) {
        omni_load_error_col(ld, 1, 1, "the file is empty; it must hold one "
                            "JSON object, { \"segments\": ..., \"offers\": "
                            "... }");
        return;
    }

    if (json_error_code(je) == json_error_premature_end_of_input) {
        omni_load_error_col(ld, je->line > 0 ? je->line : 1,
                            je->column > 0 ? je->column : 1,
                            "the file ends too early: a closing } or ] or "
                            "a quote is missing (%s)", t);
        return;
    }

    if (json_error_code(je) == json_error_duplicate_key) {
        omni_load_error_col(ld, je->line, je->column,
                            "the same name appears twice in one object (%s)",
                            t);
        return;
    }

    for (i = 0; omni_json_hints[i].pattern; i++) {
        if (strstr(t, omni_json_hints[i].pattern)) {
            break;
        }
    }

    omni_load_error_col(ld, je->line > 0 ? je->line : 1,
                        je->column > 0 ? je->column : 1,
                        "invalid JSON: %s%s%s%s",
                        omni_json_hints[i].hint ? omni_json_hints[i].hint : "",
                        omni_json_hints[i].hint ? " (" : "", t,
                        omni_json_hints[i].hint ? ")" : "");
}


static int
omni_campaigns_parse(omni_load_t *ld, json_t *root)
{
    json_t            *v;
    uint32_t           node;
    omni_campaigns_t  *cs;

    cs = ld->cs;

    if (omni_load_str(ld, &cs->currency, "USD", 3) != OMNI_OK) {
        return OMNI_ERROR;
    }

    if (!json_is_object(root)) {
        omni_load_error(ld, 0, 0, "the file must hold one JSON object, "
                        "{ \"segments\": ..., \"offers\": ... }");
        return OMNI_OK;
    }

    omni_load_keys(ld, root, 0, omni_sections);

    /* the order matters: each section may refer to the ones before */

    node = omni_load_member(ld, root, 0, "settings");
    v = json_object_get(root, "settings");
    if (v) {
        omni_settings_load(ld, v, node);
    }

    node = omni_load_member(ld, root, 0, "segments");
    v = json_object_get(root, "segments");
    if (v && omni_rules_load_segments(ld, v, node) == OMNI_ERROR) {
        return OMNI_ERROR;
    }

    node = omni_load_member(ld, root, 0, "stages");
    v = json_object_get(root, "stages");
    if (v && omni_rules_load_stages(ld, v, node) == OMNI_ERROR) {
        return OMNI_ERROR;
    }

    node = omni_load_member(ld, root, 0, "brands");
    v = json_object_get(root, "brands");
    if (v && omni_brands_load(ld, v, node) == OMNI_ERROR) {
        return OMNI_ERROR;
    }

    node = omni_load_member(ld, root, 0, "offers");
    v = json_object_get(root, "offers");
    if (v && omni_offers_load(ld, v, node) == OMNI_ERROR) {
        return OMNI_ERROR;
    }

    node = omni_load_member(ld, root, 0, "experiments");
    v = json_object_get(root, "experiments");
    if (v && omni_experiments_load(ld, v, node) == OMNI_ERROR) {
        return OMNI_ERROR;
    }

    node = omni_load_member(ld, root, 0, "tags");
    v = json_object_get(root, "tags");
    if (v && omni_tags_load(ld, v, node) == OMNI_ERROR) {
        return OMNI_ERROR;
    }

    /* settings.default_brand names a brand: checked once brands exist */

    v = json_object_get(root, "settings");
    if (json_is_object(v)) {
        node = omni_load_member(ld, root, 0, "settings");
        node = omni_load_member(ld, v, node, "default_brand");
        v = json_object_get(v, "default_brand");

        if (json_is_string(v)) {
            cs->default_brand = omni_campaigns_brand_by_name(cs,
                                    json_string_value(v),
                                    json_string_length(v));

            if (cs->default_brand == NULL) {
                snprintf(ld->ctx, sizeof(ld->ctx), "settings");
                omni_load_error(ld, node, 0, "\"default_brand\": there is "
                                "no brand \"%.64s\" in \"brands\"",
                                json_string_value(v));
                ld->ctx[0] = '\0';
            }
        }

    }

    if (cs->default_brand == NULL && cs->nbrands == 1) {
        cs->default_brand = &cs->brands[0];
    }

    return ld->oom ? OMNI_ERROR : OMNI_OK;
}


static int
omni_settings_load(omni_load_t *ld, json_t *settings, uint32_t node)
{
    size_t       i, len;
    json_t      *v;
    const char  *s;

    snprintf(ld->ctx, sizeof(ld->ctx), "settings");

    if (!json_is_object(settings)) {
        omni_load_error(ld, node, 0, "must be an object { ... }, not %s",
                        omni_json_type(settings));
        ld->ctx[0] = '\0';
        return OMNI_OK;
    }

    omni_load_keys(ld, settings, node, omni_settings_keys);

    v = json_object_get(settings, "currency");
    if (v) {
        s = json_string_value(v);
        len = json_string_length(v);

        for (i = 0; s && i < len && s[i] >= 'A' && s[i] <= 'Z'; i++) {
            /* void */
        }

        if (s == NULL || len != 3 || i != 3) {
            omni_load_error(ld, omni_load_member(ld, settings, node,
                                                 "currency"), 0,
                            "\"currency\" must be a three-letter ISO 4217 "
                            "code such as \"USD\" or \"EUR\"");

        } else if (omni_load_str(ld, &ld->cs->currency, s, len) != OMNI_OK) {
            return OMNI_ERROR;
        }
    }

    v = json_object_get(settings, "default_brand");
    if (v && !json_is_string(v)) {
        omni_load_error(ld, omni_load_member(ld, settings, node,
                                             "default_brand"), 0,
                        "\"default_brand\" must be a brand name in quotes");
    }

    ld->ctx[0] = '\0';

    return OMNI_OK;
}


void
omni_campaigns_free(omni_campaigns_t *cs)
{
    size_t               i;
    omni_arena_block_t  *b, *next;

    if (cs == NULL) {
        return;
    }

    for (i = 0; i < cs->ntemplates; i++) {
        omni_template_free(cs->templates[i]);
    }

    free(cs->templates);
    free(cs->rules);
    free(cs->consts);

    for (b = cs->arena; b; b = next) {
        next = b->next;
        free(b);
    }

    free(cs);
}


/* the arena: everything of a set that is not a template, rule or constant */

void *
omni_arena_alloc(omni_campaigns_t *cs, size_t size)
{
    size_t               bsize;
    omni_arena_block_t  *b;
    char                *p;

    size = (size + 15) & ~(size_t) 15;
    b = cs->arena;

    if (b == NULL || b->size - b->used < size) {
        bsize = (size > OMNI_ARENA_BLOCK) ? size : OMNI_ARENA_BLOCK;

        b = malloc(sizeof(omni_arena_block_t) + 16 + bsize);
        if (b == NULL) {
            return NULL;
        }

        b->used = 0;
        b->size = bsize;

        /* a big allocation gets a block of its own behind the current */
        if (cs->arena && size > OMNI_ARENA_BLOCK) {
            b->next = cs->arena->next;
            cs->arena->next = b;

        } else {
            b->next = cs->arena;
            cs->arena = b;
        }
    }

    p = (char *) (((uintptr_t) (b + 1) + 15) & ~(uintptr_t) 15);
    p += b->used;
    b->used += size;

    memset(p, 0, size);

    return p;
}


int
omni_load_str(omni_load_t *ld, omni_str_t *dst, const char *s, size_t len)
{
    char  *p;

    p = omni_arena_alloc(ld->cs, len + 1);
    if (p == NULL) {
        ld->oom = 1;
        return OMNI_ERROR;
    }

    if (len) {
        memcpy(p, s, len);
    }

    p[len] = '\0';
    dst->data = p;
    dst->len = len;

    return OMNI_OK;
}


/* errors */

static void
omni_load_verror(omni_load_t *ld, uint32_t line, uint32_t col,
    const char *fmt, va_list args)
{
    int                      n;
    omni_errors_t           *errors;
    omni_campaigns_error_t  *e;

    ld->nerrors++;
    errors = ld->data;

    if (errors->n >= OMNI_CAMPAIGNS_ERRORS) {
        return;
    }

    e = &errors->list[errors->n++];
    e->file = ld->file;
    e->line = line;
    e->column = col;

    n = 0;

    if (ld->ctx[0]) {
        n = snprintf(e->text, sizeof(e->text), "%s: ", ld->ctx);
        if (n < 0 || (size_t) n >= sizeof(e->text)) {
            n = 0;
        }
    }

    vsnprintf(e->text + n, sizeof(e->text) - n, fmt, args);
}


void
omni_load_error(omni_load_t *ld, uint32_t node, int at_key, const char *fmt,
    ...)
{
    va_list            args;
    uint32_t           line, col;
    omni_jpos_node_t  *n;

    line = 0;
    col = 0;

    if (node != OMNI_JPOS_NONE && node < ld->jp.n) {
        n = &ld->jp.nodes[node];

        if (at_key && n->key_line) {
            line = n->key_line;
            col = n->key_col;

        } else {
            line = n->line;
            col = n->col;
        }
    }

    va_start(args, fmt);
    omni_load_verror(ld, line, col, fmt, args);
    va_end(args);
}


/* at a byte of a string's decoded value */

void
omni_load_error_in(omni_load_t *ld, uint32_t node, size_t at,
    const char *fmt, ...)
{
    va_list   args;
    uint32_t  line, col;

    line = 0;
    col = 0;

    if (node != OMNI_JPOS_NONE && node < ld->jp.n) {
        line = ld->jp.nodes[node].line;
        col = omni_jpos_string_col(&ld->jp, node, at);
    }

    va_start(args, fmt);
    omni_load_verror(ld, line, col, fmt, args);
    va_end(args);
}


void
omni_load_error_col(omni_load_t *ld, uint32_t line, uint32_t col,
    const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    omni_load_verror(ld, line, col, fmt, args);
    va_end(args);
}


/* "did you mean": the closest candidate within a few typing errors */

const char *
omni_suggest(const char *name, size_t len, const char *const *candidates,
    size_t n)
{
    size_t       i, d, best, clen, limit;
    const char  *found;

    found = NULL;
    best = (size_t) -1;
    limit = (len < 4) ? 1 : (len < 8) ? 2 : 3;

    for (i = 0; i < n && candidates[i]; i++) {
        clen = strlen(candidates[i]);

        if (clen > OMNI_NAME_MAX || len > OMNI_NAME_MAX) {
            continue;
        }

        d = omni_distance(name, len, candidates[i], clen);

        if (d < best && d <= limit) {
            best = d;
            found = candidates[i];
        }
    }

    return found;
}


/* Levenshtein distance, ignoring ASCII case, for short names */

static size_t
omni_distance(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t  i, j, prev, tmp, cost, row[OMNI_NAME_MAX + 1];

    for (j = 0; j <= blen; j++) {
        row[j] = j;
    }

    for (i = 1; i <= alen; i++) {
        prev = row[0];
        row[0] = i;

        for (j = 1; j <= blen; j++) {
            tmp = row[j];
            cost = ((a[i - 1] | 0x20) == (b[j - 1] | 0x20)) ? 0 : 1;

            row[j] = prev + cost;

            if (row[j - 1] + 1 < row[j]) {
                row[j] = row[j - 1] + 1;
            }

            if (tmp + 1 < row[j]) {
                row[j] = tmp + 1;
            }

            prev = tmp;
        }
    }

    return row[blen];
}


static const char *
omni_json_type(json_t *v)
{
    switch (json_typeof(v)) {

    case JSON_OBJECT:
        return "an object { ... }";

    case JSON_ARRAY:
        return "a list [ ... ]";

    case JSON_STRING:
        return "text in quotes";

    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";

    case JSON_TRUE:
    case JSON_FALSE:
        return "true or false";

    default:
        return "null";
    }
}


/* shared checks */

/*
 * Ids and names: 1 to 64 of letters, digits, "_", "-" and ".", so that
 * they are safe in URLs, logs, variables and messages as they are.
 */
int
omni_load_name(omni_load_t *ld, json_t *v, uint32_t node, const char *what,
    omni_str_t *dst)
{
    char         c;
    size_t       i, len;
    const char  *s;

    if (!json_is_string(v)) {
        omni_load_error(ld, node, 0, "%s must be text in quotes, not %s",
                        what, omni_json_type(v));
        return OMNI_EINVAL;
    }

    s = json_string_value(v);
    len = json_string_length(v);

    if (len == 0) {
        omni_load_error(ld, node, 0, "%s must not be empty", what);
        return OMNI_EINVAL;
    }

    if (len > OMNI_NAME_MAX) {
        omni_load_error(ld, node, 0, "%s \"%.40s...\" is longer than %d "
                        "characters", what, s, OMNI_NAME_MAX);
        return OMNI_EINVAL;
    }

    for (i = 0; i < len; i++) {
        c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
        {
            omni_load_error_in(ld, node, i, "%s \"%.64s\" may only use "
                               "letters, digits, \"_\", \"-\" and \".\"",
                               what, s);
            return OMNI_EINVAL;
        }
    }

    if (dst) {
        return omni_load_str(ld, dst, s, len);
    }

    return OMNI_OK;
}


int
omni_load_keys(omni_load_t *ld, json_t *obj, uint32_t node,
    const char *const *allowed)
{
    int          bad;
    size_t       i, len;
    uint32_t     child;
    const char  *key, *hint;
    void        *it;

    bad = 0;
    child = (node != OMNI_JPOS_NONE && node < ld->jp.n)
            ? ld->jp.nodes[node].first : OMNI_JPOS_NONE;

    for (it = json_object_iter(obj); it; it = json_object_iter_next(obj, it))
    {
        key = json_object_iter_key(it);
        len = strlen(key);

        for (i = 0; allowed[i]; i++) {
            if (strcmp(allowed[i], key) == 0) {
                break;
            }
        }

        if (allowed[i] == NULL) {
            hint = omni_suggest(key, len, allowed, (size_t) -1);

            if (hint) {
                omni_load_error(ld, child, 1, "unknown field \"%.64s\" "
                                "(did you mean \"%s\"?)", key, hint);

            } else {
                omni_load_error(ld, child, 1, "unknown field \"%.64s\"",
                                key);
            }

            bad++;
        }

        if (child != OMNI_JPOS_NONE) {
            child = ld->jp.nodes[child].next;
        }
    }

    return bad;
}


uint32_t
omni_load_member(omni_load_t *ld, json_t *obj, uint32_t node,
    const char *key)
{
    size_t   i;
    void    *it;

    i = 0;

    for (it = json_object_iter(obj); it; it = json_object_iter_next(obj, it))
    {
        if (strcmp(json_object_iter_key(it), key) == 0) {
            return omni_jpos_child(&ld->jp, node, i);
        }

        i++;
    }

    return node;
}


int
omni_load_template(omni_load_t *ld, json_t *v, uint32_t node,
    unsigned where, const omni_template_t **tpl)
{
    int                     rc;
    size_t                  n;
    const char             *hint;
    omni_template_t        *t, **tpls;
    omni_campaigns_t       *cs;
    omni_template_error_t   err;

    *tpl = NULL;
    cs = ld->cs;

    if (!json_is_string(v)) {
        omni_load_error(ld, node, 0, "a template must be text in quotes, "
                        "not %s", omni_json_type(v));
        return OMNI_EINVAL;
    }

    if (cs->ntemplates == cs->templates_cap) {
        n = cs->templates_cap ? cs->templates_cap * 2 : 16;

        tpls = realloc(cs->templates, n * sizeof(omni_template_t *));
        if (tpls == NULL) {
            ld->oom = 1;
            return OMNI_ERROR;
        }

        cs->templates = tpls;
        cs->templates_cap = n;
    }

    ld->tpl_where = where;
    ld->tpl_unknown[0] = '\0';

    rc = omni_template_compile(json_string_value(v), json_string_length(v),
                               omni_field_lookup, ld, &t, &err);

    if (rc == OMNI_ERROR) {
        ld->oom = 1;
        return OMNI_ERROR;
    }

    if (rc != OMNI_OK) {
        if (ld->tpl_unknown[0] == '\0') {
            omni_load_error_in(ld, node, err.offset, "template: %s",
                               err.text);
            return OMNI_EINVAL;
        }

        if (ld->tpl_unknown[0] == '!') {
            omni_load_error_in(ld, node, err.offset, "template: the file "
                               "uses more than %d different profile "
                               "attributes or nginx variables",
                               OMNI_ATTRS_MAX);
            return OMNI_EINVAL;
        }

        /* a field of another kind of template is explained, not guessed */

        hint = omni_field_suggest(ld->tpl_unknown, strlen(ld->tpl_unknown),
                                  where);

        if (hint && hint[0] == '!') {
            omni_load_error_in(ld, node, err.offset, "template: {{%s}} %s",
                               ld->tpl_unknown, hint + 1);

        } else if (hint) {
            omni_load_error_in(ld, node, err.offset, "template: unknown "
                               "field {{%s}} (did you mean {{%s}}?)",
                               ld->tpl_unknown, hint);

        } else {
            omni_load_error_in(ld, node, err.offset, "template: unknown "
                               "field {{%s}}", ld->tpl_unknown);
        }

        return OMNI_EINVAL;
    }

    cs->templates[cs->ntemplates++] = t;
    *tpl = t;

    return OMNI_OK;
}


int
omni_load_date(omni_load_t *ld, json_t *v, uint32_t node, int end_of_day,
    int64_t *t)
{
    if (json_is_string(v)
        && omni_date_parse(json_string_value(v), json_string_length(v),
                           end_of_day, t)
           == OMNI_OK)
    {
        return OMNI_OK;
    }

    if (json_is_string(v)) {
        omni_load_error(ld, node, 0, "\"%.40s\" is not a valid date and "
                        "time; write it like \"2026-11-01T00:00:00Z\" (UTC), "
                        "\"2026-11-01T09:00:00+01:00\" or \"2026-11-01\"",
                        json_string_value(v));

    } else {
        omni_load_error(ld, node, 0, "a date must be text in quotes like "
                        "\"2026-11-01T00:00:00Z\", not %s",
                        omni_json_type(v));
    }

    return OMNI_EINVAL;
}


/* accessors */

size_t
omni_campaigns_noffers(const omni_campaigns_t *cs)
{
    return cs->noffers;
}


const omni_offer_t *
omni_campaigns_offer(const omni_campaigns_t *cs, size_t i)
{
    return (i < cs->noffers) ? &cs->offers[i] : NULL;
}


const omni_offer_t *
omni_campaigns_offer_by_id(const omni_campaigns_t *cs, const char *id,
    size_t len)
{
    size_t  i;

    for (i = 0; i < cs->noffers; i++) {
        if (cs->offers[i].id.len == len
            && memcmp(cs->offers[i].id.data, id, len) == 0)
        {
            return &cs->offers[i];
        }
    }

    return NULL;
}


size_t
omni_campaigns_nsegments(const omni_campaigns_t *cs)
{
    return cs->nsegments;
}


omni_str_t
omni_campaigns_segment(const omni_campaigns_t *cs, size_t i)
{
    omni_str_t  none = omni_null_string;

    return (i < cs->nsegments) ? cs->segments[i].name : none;
}


size_t
omni_campaigns_nexperiments(const omni_campaigns_t *cs)
{
    return cs->nexperiments;
}


const omni_experiment_t *
omni_campaigns_experiment(const omni_campaigns_t *cs, size_t i)
{
    return (i < cs->nexperiments) ? &cs->experiments[i] : NULL;
}


size_t
omni_campaigns_nbrands(const omni_campaigns_t *cs)
{
    return cs->nbrands;
}


const omni_brand_t *
omni_campaigns_brand(const omni_campaigns_t *cs, size_t i)
{
    return (i < cs->nbrands) ? &cs->brands[i] : NULL;
}


const omni_brand_t *
omni_campaigns_brand_by_name(const omni_campaigns_t *cs, const char *name,
    size_t len)
{
    size_t  i;

    for (i = 0; i < cs->nbrands; i++) {
        if (cs->brands[i].name.len == len
            && memcmp(cs->brands[i].name.data, name, len) == 0)
        {
            return &cs->brands[i];
        }
    }

    return NULL;
}


const omni_brand_t *
omni_campaigns_default_brand(const omni_campaigns_t *cs)
{
    return cs->default_brand;
}


size_t
omni_campaigns_ntags(const omni_campaigns_t *cs)
{
    return cs->ntags;
}


const omni_tag_t *
omni_campaigns_tag(const omni_campaigns_t *cs, size_t i)
{
    return (i < cs->ntags) ? &cs->tags[i] : NULL;
}


size_t
omni_campaigns_nvars(const omni_campaigns_t *cs)
{
    return cs->nvars;
}


omni_str_t
omni_campaigns_var(const omni_campaigns_t *cs, size_t i)
{
    omni_str_t  none = omni_null_string;

    return (i < cs->nvars) ? cs->vars[i] : none;
}


omni_str_t
omni_campaigns_currency(const omni_campaigns_t *cs)
{
    return cs->currency;
}
