/*
 * Segment and stage rules: compiled at load time into one flat array in
 * prefix order, where every node knows the index past its subtree, and
 * evaluated per decision by walking that array, without allocation.
 *
 * Segments are evaluated in an order where every referenced segment
 * comes first, so a {"segment": NAME} rule is a bit test, and a file
 * whose references form a cycle is refused.
 *
 * Comparisons of text ignore ASCII case.  A missing value (no profile,
 * no such attribute, never purchased, an empty variable) fails every
 * operator except "ne" and {"exists": false}.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "omni_campaigns_int.h"


static int omni_rule_compile(omni_load_t *ld, json_t *v, uint32_t node);
static int omni_rule_cmp_compile(omni_load_t *ld, json_t *rule,
    uint32_t node, const char *form);
static int omni_rule_const(omni_load_t *ld, json_t *v, uint32_t node,
    const omni_field_def_t *def, int text_numeric, const char *fname,
    const char *op, omni_const_t *c);
static int omni_rule_emit(omni_load_t *ld, omni_rule_t **r);
static int omni_rule_add_const(omni_load_t *ld, omni_const_t *c);
static int omni_rule_ref(omni_load_t *ld, uint32_t to, uint32_t node);
static int omni_rules_order(omni_load_t *ld);
static int omni_rules_visit(omni_load_t *ld, uint32_t s, uint8_t *color,
    uint32_t *path, size_t depth, size_t *nout);
static int omni_rule_cmp(const omni_campaigns_t *cs, omni_view_t *v,
    const omni_rule_t *r);
static int omni_str_icontains(const char *s, size_t len, const char *sub,
    size_t n);
static int omni_parse_number(omni_str_t s, double *d);


static const char *const  omni_rule_keys[] = {
    "all", "any", "not", "segment", "tag", "field", "var", "description",
    "eq", "ne", "lt", "lte", "gt", "gte", "in", "contains", "prefix",
    "exists", NULL
};

static const char *const  omni_rule_forms[] = {
    "all", "any", "not", "segment", "tag", "field", "var", NULL
};

static const char *const  omni_ops[] = {
    "eq", "ne", "lt", "lte", "gt", "gte", "in", "contains", "prefix",
    "exists", NULL
};

static const char *const  omni_stage_rule_keys[] = {
    "stage", "when", "description", NULL
};


static const uint8_t  omni_lower[256] = {
#define L(c)  ((c) >= 'A' && (c) <= 'Z' ? (c) | 0x20 : (c))
#define L8(c)  L(c), L(c + 1), L(c + 2), L(c + 3), L(c + 4), L(c + 5),      \
               L(c + 6), L(c + 7)
#define L64(c)  L8(c), L8(c + 8), L8(c + 16), L8(c + 24), L8(c + 32),      \
                L8(c + 40), L8(c + 48), L8(c + 56)
    L64(0), L64(64), L64(128), L64(192)
#undef L64
#undef L8
#undef L
};


int
omni_str_ieq(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t  i;

    if (alen != blen) {
        return 0;
    }

    for (i = 0; i < alen; i++) {
        if (omni_lower[(uint8_t) a[i]] != omni_lower[(uint8_t) b[i]]) {
            return 0;
        }
    }

    return 1;
}


static int
omni_str_icontains(const char *s, size_t len, const char *sub, size_t n)
{
    size_t  i;

    if (n == 0) {
        return 1;
    }

    for (i = 0; i + n <= len; i++) {
        if (omni_lower[(uint8_t) s[i]] == omni_lower[(uint8_t) sub[0]]
            && omni_str_ieq(s + i, n, sub, n))
        {
            return 1;
        }
    }

    return 0;
}


int
omni_segment_find(const omni_campaigns_t *cs, const char *name, size_t len)
{
    size_t  i;

    for (i = 0; i < cs->nsegments; i++) {
        if (cs->segments[i].name.len == len
            && memcmp(cs->segments[i].name.data, name, len) == 0)
        {
            return (int) i;
        }
    }

    return -1;
}


/* loading */

int
omni_rules_load_segments(omni_load_t *ld, json_t *segs, uint32_t node)
{
    int                rc;
    size_t             i, n;
    json_t            *v;
    uint32_t           child;
    const char        *key;
    void              *it;
    omni_rule_t       *r;
    omni_campaigns_t  *cs;

    cs = ld->cs;

    if (!json_is_object(segs)) {
        omni_load_error(ld, node, 0, "\"segments\" must be an object, "
                        "{ \"name\": rule, ... }");
        return OMNI_OK;
    }

    n = json_object_size(segs);

    if (n > OMNI_SEGMENTS_MAX) {
        omni_load_error(ld, node, 0, "there are %zu segments; at most %d "
                        "are supported", n, OMNI_SEGMENTS_MAX);
        return OMNI_OK;
    }

    cs->segments = omni_arena_alloc(cs, (n + 1) * sizeof(omni_segment_t));
    cs->seg_order = omni_arena_alloc(cs, (n + 1) * sizeof(uint32_t));

    if (cs->segments == NULL || cs->seg_order == NULL) {
        ld->oom = 1;
        return OMNI_ERROR;
    }

    /* every name first, so that a rule may refer to a later segment */

    i = 0;
    child = omni_jpos_child(&ld->jp, node, 0);

    for (it = json_object_iter(segs); it; it = json_object_iter_next(segs, it))
    {
        key = json_object_iter_key(it);

        if (omni_load_str(ld, &cs->segments[i].name, key, strlen(key))
            != OMNI_OK)
        {
            return OMNI_ERROR;
        }

        if (strlen(key) == 0 || strlen(key) > OMNI_NAME_MAX
            || strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
                           "WXYZ0123456789_-.") != strlen(key))
        {
            omni_load_error(ld, child, 1, "segment name \"%.64s\" must be 1 "
                            "to %d letters, digits, \"_\", \"-\" or \".\"",
                            key, OMNI_NAME_MAX);
        }

        cs->segments[i].root = 0;
        i++;

        if (child != OMNI_JPOS_NONE) {
            child = ld->jp.nodes[child].next;
        }
    }

    cs->nsegments = n;
    cs->seg_words = (n + 63) / 64;

    /* then the rules */

    i = 0;
    child = omni_jpos_child(&ld->jp, node, 0);

    for (it = json_object_iter(segs); it; it = json_object_iter_next(segs, it))
    {
        v = json_object_iter_value(it);

        snprintf(ld->ctx, sizeof(ld->ctx), "segment \"%.64s\"",
                 cs->segments[i].name.data);

        ld->cur_segment = (uint32_t) i;
        ld->depth = 0;

        cs->segments[i].root = (uint32_t) cs->nrules;

        rc = omni_rule_compile(ld, v, child);
        if (rc == OMNI_ERROR) {
            return OMNI_ERROR;
        }

        if (rc != OMNI_OK) {
            /* keep the array well formed: a segment nobody matches */
            cs->segments[i].root = (uint32_t) cs->nrules;

            if (omni_rule_emit(ld, &r) != OMNI_OK) {
                return OMNI_ERROR;
            }

            r->type = OMNI_R_ANY;
            r->end = (uint32_t) cs->nrules;
        }

        i++;

        if (child != OMNI_JPOS_NONE) {
            child = ld->jp.nodes[child].next;
        }
    }

    ld->ctx[0] = '\0';
    ld->cur_segment = OMNI_JPOS_NONE;

    return omni_rules_order(ld);
}


int
omni_rules_load_stages(omni_load_t *ld, json_t *stages, uint32_t node)
{
    int                rc, stage;
    size_t             i, n;
    json_t            *v, *s, *when;
    uint32_t           child, snode;
    const char        *hint;
    omni_campaigns_t  *cs;

    cs = ld->cs;

    if (!json_is_array(stages)) {
        omni_load_error(ld, node, 0, "\"stages\" must be a list of rules, "
                        "[ { \"stage\": \"loyalty\", \"when\": rule }, ... ]");
        return OMNI_OK;
    }

    n = json_array_size(stages);

    cs->stage_rules = omni_arena_alloc(cs, (n + 1)
                                           * sizeof(omni_stage_rule_t));
    if (cs->stage_rules == NULL) {
        ld->oom = 1;
        return OMNI_ERROR;
    }

    for (i = 0; i < n; i++) {
        v = json_array_get(stages, i);
        child = omni_jpos_child(&ld->jp, node, i);

        snprintf(ld->ctx, sizeof(ld->ctx), "stage rule %zu", i + 1);

        if (!json_is_object(v)) {
            omni_load_error(ld, child, 0, "must be an object, { \"stage\": "
                            "\"loyalty\", \"when\": rule }");
            continue;
        }

        omni_load_keys(ld, v, child, omni_stage_rule_keys);

        s = json_object_get(v, "stage");
        when = json_object_get(v, "when");
        snode = omni_load_member(ld, v, child, "stage");
        stage = -1;

        if (s == NULL) {
            omni_load_error(ld, child, 0, "\"stage\" is missing: one of "
                            "awareness, consideration, conversion, "
                            "loyalty");

        } else if (!json_is_string(s)
                   || (stage = omni_stage_parse(json_string_value(s),
                                                json_string_length(s))) < 0)
        {
            hint = json_is_string(s)
                   ? omni_suggest(json_string_value(s), json_string_length(s),
                                  omni_stage_names, OMNI_STAGE_MAX)
                   : NULL;

            omni_load_error(ld, snode, 0, "unknown stage%s%s%s; the stages "
                            "are awareness, consideration, conversion and "
                            "loyalty", hint ? " (did you mean \"" : "",
                            hint ? hint : "", hint ? "\"?)" : "");
        }

        if (when == NULL) {
            omni_load_error(ld, child, 0, "\"when\" is missing: the rule "
                            "that puts a visitor in this stage");
            continue;
        }

        ld->depth = 0;
        cs->stage_rules[cs->nstage_rules].root = (uint32_t) cs->nrules;

        rc = omni_rule_compile(ld, when, omni_load_member(ld, v, child,
                                                          "when"));
        if (rc == OMNI_ERROR) {
            return OMNI_ERROR;
        }

        if (rc == OMNI_OK && stage >= 0) {
            cs->stage_rules[cs->nstage_rules++].stage = stage;
        }
    }

    ld->ctx[0] = '\0';

    return OMNI_OK;
}


static int
omni_rule_emit(omni_load_t *ld, omni_rule_t **r)
{
    size_t             n;
    omni_rule_t       *rules;
    omni_campaigns_t  *cs;

    cs = ld->cs;

    if (cs->nrules == cs->rules_cap) {
        n = cs->rules_cap ? cs->rules_cap * 2 : 64;

        rules = realloc(cs->rules, n * sizeof(omni_rule_t));
        if (rules == NULL) {
            ld->oom = 1;
            return OMNI_ERROR;
        }

        cs->rules = rules;
        cs->rules_cap = n;
    }

    *r = &cs->rules[cs->nrules++];
    memset(*r, 0, sizeof(omni_rule_t));

    return OMNI_OK;
}


static int
omni_rule_add_const(omni_load_t *ld, omni_const_t *c)
{
    size_t             n;
    omni_const_t      *consts;
    omni_campaigns_t  *cs;

    cs = ld->cs;

    if (cs->nconsts == cs->consts_cap) {
        n = cs->consts_cap ? cs->consts_cap * 2 : 64;

        consts = realloc(cs->consts, n * sizeof(omni_const_t));
        if (consts == NULL) {
            ld->oom = 1;
            return OMNI_ERROR;
        }

        cs->consts = consts;
        cs->consts_cap = n;
    }

    cs->consts[cs->nconsts++] = *c;

    return OMNI_OK;
}


static int
omni_rule_ref(omni_load_t *ld, uint32_t to, uint32_t node)
{
    size_t  n;
    void   *refs;

    if (ld->cur_segment == OMNI_JPOS_NONE) {
        return OMNI_OK;
    }

    if (ld->nrefs == ld->refs_cap) {
        n = ld->refs_cap ? ld->refs_cap * 2 : 32;

        refs = realloc(ld->refs, n * sizeof(ld->refs[0]));
        if (refs == NULL) {
            ld->oom = 1;
            return OMNI_ERROR;
        }

        ld->refs = refs;
        ld->refs_cap = n;
    }

    ld->refs[ld->nrefs].from = ld->cur_segment;
    ld->refs[ld->nrefs].to = to;
    ld->refs[ld->nrefs].node = node;
    ld->nrefs++;

    return OMNI_OK;
}


/*
 * One rule object.  OMNI_OK, OMNI_EINVAL after reporting, or OMNI_ERROR
 * when out of memory.
 */

static int
omni_rule_compile(omni_load_t *ld, json_t *v, uint32_t node)
{
    int                rc, bad, seg;
    size_t             i, n, nforms, head;
    json_t            *arg, *item;
    uint32_t           anode;
    const char        *form, *hint;
    omni_rule_t       *r;
    omni_const_t       c;
    omni_campaigns_t  *cs;

    cs = ld->cs;

    if (!json_is_object(v)) {
        omni_load_error(ld, node, 0, "a rule must be an object such as "
                        "{ \"field\": \"tier\", \"eq\": \"gold\" }, not %s",
                        json_is_array(v) ? "a list (use \"all\" or \"any\" "
                        "to combine rules)" : "a single value");
        return OMNI_EINVAL;
    }

    if (ld->depth >= OMNI_RULE_DEPTH) {
        omni_load_error(ld, node, 0, "rules are nested more than %d levels "
                        "deep", OMNI_RULE_DEPTH);
        return OMNI_EINVAL;
    }

    bad = omni_load_keys(ld, v, node, omni_rule_keys);

    form = NULL;
    nforms = 0;

    for (i = 0; omni_rule_forms[i]; i++) {
        if (json_object_get(v, omni_rule_forms[i])) {
            if (nforms++ == 1) {
                omni_load_error(ld, node, 0, "a rule has exactly one of "
                                "\"all\", \"any\", \"not\", \"segment\", "
                                "\"tag\", \"field\" or \"var\"; this one has "
                                "both \"%s\" and \"%s\"", form,
                                omni_rule_forms[i]);
                return OMNI_EINVAL;
            }

            form = omni_rule_forms[i];
        }
    }

    if (form == NULL) {
        if (!bad) {
            omni_load_error(ld, node, 0, "a rule needs one of \"all\", "
                            "\"any\", \"not\", \"segment\", \"tag\", "
                            "\"field\" or \"var\"");
        }

        return OMNI_EINVAL;
    }

    if (strcmp(form, "field") == 0 || strcmp(form, "var") == 0) {
        return omni_rule_cmp_compile(ld, v, node, form);
    }

    for (i = 0; omni_ops[i]; i++) {
        if (json_object_get(v, omni_ops[i])) {
            omni_load_error(ld, omni_load_member(ld, v, node, omni_ops[i]), 1,
                            "\"%s\" goes with \"field\" or \"var\", not "
                            "with \"%s\"", omni_ops[i], form);
            return OMNI_EINVAL;
        }
    }

    arg = json_object_get(v, form);
    anode = omni_load_member(ld, v, node, form);

    if (strcmp(form, "segment") == 0) {
        if (!json_is_string(arg)) {
            omni_load_error(ld, anode, 0, "\"segment\" takes the name of a "
                            "segment in quotes");
            return OMNI_EINVAL;
        }

        seg = omni_segment_find(cs, json_string_value(arg),
                                json_string_length(arg));

        if (seg < 0) {
            const char  *names[OMNI_SEGMENTS_MAX];

            for (i = 0; i < cs->nsegments; i++) {
                names[i] = cs->segments[i].name.data;
            }

            hint = omni_suggest(json_string_value(arg),
                                json_string_length(arg), names,
                                cs->nsegments);

            if (hint) {
                omni_load_error(ld, anode, 0, "unknown segment \"%.64s\" "
                                "(did you mean \"%s\"?)",
                                json_string_value(arg), hint);

            } else {
                omni_load_error(ld, anode, 0, "unknown segment \"%.64s\"",
                                json_string_value(arg));
            }

            return OMNI_EINVAL;
        }

        if (omni_rule_ref(ld, (uint32_t) seg, anode) != OMNI_OK
            || omni_rule_emit(ld, &r) != OMNI_OK)
        {
            return OMNI_ERROR;
        }

        r->type = OMNI_R_SEGMENT;
        r->arg = (uint32_t) seg;
        r->end = (uint32_t) cs->nrules;

        return OMNI_OK;
    }

    if (strcmp(form, "tag") == 0) {
        if (!json_is_string(arg) || json_string_length(arg) == 0) {
            omni_load_error(ld, anode, 0, "\"tag\" takes a profile tag in "
                            "quotes, such as \"vip\"");
            return OMNI_EINVAL;
        }

        memset(&c, 0, sizeof(c));

        if (omni_load_str(ld, &c.str, json_string_value(arg),
                          json_string_length(arg)) != OMNI_OK
            || omni_rule_emit(ld, &r) != OMNI_OK)
        {
            return OMNI_ERROR;
        }

        r->type = OMNI_R_CMP;
        r->field = OMNI_F_TAGS;
        r->op = OMNI_OP_CONTAINS;
        r->cfirst = (uint32_t) cs->nconsts;
        r->cn = 1;
        r->end = (uint32_t) cs->nrules;

        return omni_rule_add_const(ld, &c);
    }

    /* all, any, not */

    if (strcmp(form, "not") == 0) {
        if (!json_is_object(arg)) {
            omni_load_error(ld, anode, 0, "\"not\" takes one rule; to negate "
                            "several, put them in \"all\" or \"any\" inside "
                            "\"not\"");
            return OMNI_EINVAL;
        }

    } else if (!json_is_array(arg) || json_array_size(arg) == 0) {
        omni_load_error(ld, anode, 0, "\"%s\" takes a list of one or more "
                        "rules, [ rule, ... ]", form);
        return OMNI_EINVAL;
    }

    head = cs->nrules;

    if (omni_rule_emit(ld, &r) != OMNI_OK) {
        return OMNI_ERROR;
    }

    r->type = (form[0] == 'n') ? OMNI_R_NOT
              : (form[1] == 'l') ? OMNI_R_ALL : OMNI_R_ANY;

    ld->depth++;
    rc = OMNI_OK;

    if (json_is_object(arg)) {
        rc = omni_rule_compile(ld, arg, anode);

    } else {
        n = json_array_size(arg);

        for (i = 0; i < n; i++) {
            item = json_array_get(arg, i);

            switch (omni_rule_compile(ld, item,
                                      omni_jpos_child(&ld->jp, anode, i)))
            {
            case OMNI_OK:
                break;

            case OMNI_ERROR:
                return OMNI_ERROR;

            default:
                rc = OMNI_EINVAL;
            }
        }
    }

    ld->depth--;

    /* the array may have moved */
    cs->rules[head].end = (uint32_t) cs->nrules;

    return rc;
}


/* {"field": NAME, OP: VALUE} and {"var": NAME, OP: VALUE} */

static int
omni_rule_cmp_compile(omni_load_t *ld, json_t *rule, uint32_t node,
    const char *form)
{
    int                      op, idx, text_numeric;
    size_t                   i, n, len;
    json_t                  *fv, *cv;
    uint32_t                 fnode, cnode;
    const char              *name, *hint, *opname;
    omni_rule_t             *r;
    omni_const_t             c;
    omni_campaigns_t        *cs;
    const omni_field_def_t  *def;

    static const omni_field_def_t  attr_def = {
        "attr", OMNI_F_ATTR, OMNI_K_TEXT, OMNI_IN_RULE
    };
    static const omni_field_def_t  var_def = {
        "var", OMNI_F_VAR, OMNI_K_TEXT, OMNI_IN_RULE
    };

    cs = ld->cs;

    fv = json_object_get(rule, form);
    fnode = omni_load_member(ld, rule, node, form);

    if (!json_is_string(fv) || json_string_length(fv) == 0) {
        omni_load_error(ld, fnode, 0, "\"%s\" takes a name in quotes", form);
        return OMNI_EINVAL;
    }

    name = json_string_value(fv);
    len = json_string_length(fv);
    idx = 0;

    if (form[0] == 'v') {
        def = &var_def;
        idx = omni_field_var(ld, name, len);

        if (idx == -2) {
            omni_load_error(ld, fnode, 0, "more than %d different nginx "
                            "variables are used", OMNI_VARS_MAX);
            return OMNI_EINVAL;
        }

        if (idx < 0) {
            omni_load_error(ld, fnode, 0, "\"%.64s\" is not an nginx "
                            "variable name", name);
            return OMNI_EINVAL;
        }

    } else if (len >= 5 && memcmp(name, "attr.", 5) == 0) {
        def = &attr_def;
        idx = omni_field_attr(ld, name + 5, len - 5);

        if (idx == -2) {
            omni_load_error(ld, fnode, 0, "more than %d different profile "
                            "attributes are used", OMNI_ATTRS_MAX);
            return OMNI_EINVAL;
        }

        if (idx < 0) {
            omni_load_error(ld, fnode, 0, "\"%.64s\" is not an attribute "
                            "name: 1 to %d letters, digits, \"_\", \"-\" or "
                            "\".\" after \"attr.\"", name, OMNI_NAME_MAX);
            return OMNI_EINVAL;
        }

    } else {
        def = omni_field_find(name, len);

        if (def == NULL || !(def->where & OMNI_IN_RULE)) {
            hint = omni_field_suggest(name, len, OMNI_IN_RULE);

            if (def) {
                omni_load_error(ld, fnode, 0, "\"%.64s\" is not something "
                                "a rule can test", name);

            } else if (hint) {
                omni_load_error(ld, fnode, 0, "unknown field \"%.64s\" "
                                "(did you mean \"%s\"? profile attributes "
                                "are written \"attr.%.64s\")", name, hint,
                                name);

            } else {
                omni_load_error(ld, fnode, 0, "unknown field \"%.64s\" "
                                "(profile attributes are written "
                                "\"attr.%.64s\")", name, name);
            }

            return OMNI_EINVAL;
        }
    }

    /* exactly one operator */

    op = -1;

    for (i = 0; omni_ops[i]; i++) {
        if (json_object_get(rule, omni_ops[i])) {
            if (op >= 0) {
                omni_load_error(ld, omni_load_member(ld, rule, node,
                                                     omni_ops[i]), 1,
                                "a rule has one operator; this one has "
                                "\"%s\" and \"%s\" (combine rules with "
                                "\"all\")", omni_ops[op], omni_ops[i]);
                return OMNI_EINVAL;
            }

            op = (int) i;
        }
    }

    if (op < 0) {
        omni_load_error(ld, node, 0, "\"%.64s\" needs an operator: eq, ne, "
                        "lt, lte, gt, gte, in, contains, prefix or exists",
                        name);
        return OMNI_EINVAL;
    }

    opname = omni_ops[op];
    cv = json_object_get(rule, opname);
    cnode = omni_load_member(ld, rule, node, opname);

    /* which operators each kind of field takes */

    switch (def->kind) {

    case OMNI_K_TEXT:
        if ((op == OMNI_OP_LT || op == OMNI_OP_LTE || op == OMNI_OP_GT
             || op == OMNI_OP_GTE) && def->id != OMNI_F_ATTR
            && def->id != OMNI_F_VAR)
        {
            omni_load_error(ld, cnode, 1, "\"%s\" compares numbers, and "
                            "\"%.64s\" is text", opname, name);
            return OMNI_EINVAL;
        }
        break;

    case OMNI_K_NUMBER:
    case OMNI_K_MONEY:
        if (op == OMNI_OP_CONTAINS || op == OMNI_OP_PREFIX) {
            omni_load_error(ld, cnode, 1, "\"%s\" works on text and lists, "
                            "and \"%.64s\" is a number", opname, name);
            return OMNI_EINVAL;
        }
        break;

    case OMNI_K_BOOL:
        if (op != OMNI_OP_EQ && op != OMNI_OP_NE) {
            omni_load_error(ld, cnode, 1, "\"%.64s\" is true or false: use "
                            "\"eq\" or \"ne\"", name);
            return OMNI_EINVAL;
        }
        break;

    case OMNI_K_LIST:
        if (op != OMNI_OP_CONTAINS && op != OMNI_OP_IN
            && op != OMNI_OP_EXISTS)
        {
            omni_load_error(ld, cnode, 1, "\"%.64s\" is a list: use "
                            "\"contains\" (one item), \"in\" (any of several) "
                            "or \"exists\" (not empty)", name);
            return OMNI_EINVAL;
        }
        break;

    default: /* channel, device */
        if (op != OMNI_OP_EQ && op != OMNI_OP_NE && op != OMNI_OP_IN
            && op != OMNI_OP_EXISTS)
        {
            omni_load_error(ld, cnode, 1, "\"%.64s\" is a name: use \"eq\", "
                            "\"ne\", \"in\" or \"exists\"", name);
            return OMNI_EINVAL;
        }
        break;
    }

    text_numeric = 0;

    if (op == OMNI_OP_EXISTS) {
        if (!json_is_boolean(cv)) {
            omni_load_error(ld, cnode, 0, "\"exists\" takes true or false");
            return OMNI_EINVAL;
        }

    } else if ((def->id == OMNI_F_ATTR || def->id == OMNI_F_VAR)
               && (op == OMNI_OP_LT || op == OMNI_OP_LTE || op == OMNI_OP_GT
                   || op == OMNI_OP_GTE
                   || ((op == OMNI_OP_EQ || op == OMNI_OP_NE)
                       && json_is_number(cv))))
    {
        /* text compared as a number: an attribute "ltv" gte 500 */
        if (!json_is_number(cv)) {
            omni_load_error(ld, cnode, 0, "\"%s\" compares numbers: write "
                            "the number without quotes", opname);
            return OMNI_EINVAL;
        }

        text_numeric = 1;
    }

    if (omni_rule_emit(ld, &r) != OMNI_OK) {
        return OMNI_ERROR;
    }

    r->type = OMNI_R_CMP;
    r->field = (uint8_t) def->id;
    r->op = (uint8_t) op;
    r->numeric = (uint8_t) text_numeric;
    r->arg = (uint32_t) idx;
    r->end = (uint32_t) cs->nrules;
    r->cfirst = (uint32_t) cs->nconsts;
    r->cn = 0;

    if (op == OMNI_OP_EXISTS) {
        r->num = json_is_true(cv);
        return OMNI_OK;
    }

    if (op == OMNI_OP_IN) {
        if (!json_is_array(cv) || json_array_size(cv) == 0) {
            omni_load_error(ld, cnode, 0, "\"in\" takes a list of one or "
                            "more values, [ ... ]");
            return OMNI_EINVAL;
        }

        n = json_array_size(cv);

        for (i = 0; i < n; i++) {
            switch (omni_rule_const(ld, json_array_get(cv, i),
                                    omni_jpos_child(&ld->jp, cnode, i), def,
                                    0, name, opname, &c))
            {
            case OMNI_OK:
                break;

            case OMNI_ERROR:
                return OMNI_ERROR;

            default:
                return OMNI_EINVAL;
            }

            if (omni_rule_add_const(ld, &c) != OMNI_OK) {
                return OMNI_ERROR;
            }

            r->cn++;
        }

        return OMNI_OK;
    }

    switch (omni_rule_const(ld, cv, cnode, def, text_numeric, name, opname,
                            &c))
    {
    case OMNI_OK:
        break;

    case OMNI_ERROR:
        return OMNI_ERROR;

    default:
        return OMNI_EINVAL;
    }

    r->num = c.num;
    r->dnum = c.dnum;
    r->cn = 1;

    return omni_rule_add_const(ld, &c);
}


/* one value to compare with, checked against the field's kind */

static int
omni_rule_const(omni_load_t *ld, json_t *v, uint32_t node,
    const omni_field_def_t *def, int text_numeric, const char *fname,
    const char *op, omni_const_t *c)
{
    int          idx;
    double       d;
    const char  *s, *hint;

    memset(c, 0, sizeof(omni_const_t));

    if (text_numeric) {
        c->dnum = json_number_value(v);
        return OMNI_OK;
    }

    switch (def->kind) {

    case OMNI_K_TEXT:
    case OMNI_K_LIST:
        if (!json_is_string(v)) {
            omni_load_error(ld, node, 0, "\"%.64s\" is text: write the "
                            "value of \"%s\" in quotes", fname, op);
            return OMNI_EINVAL;
        }

        if (json_string_length(v) > OMNI_SHORT_MAX) {
            omni_load_error(ld, node, 0, "the value is longer than %d "
                            "characters", OMNI_SHORT_MAX);
            return OMNI_EINVAL;
        }

        return omni_load_str(ld, &c->str, json_string_value(v),
                             json_string_length(v));

    case OMNI_K_NUMBER:
    case OMNI_K_MONEY:
        if (!json_is_number(v)) {
            omni_load_error(ld, node, 0, "\"%.64s\" is a number: write the "
                            "value of \"%s\" without quotes", fname, op);
            return OMNI_EINVAL;
        }

        d = json_number_value(v);

        if (!(d > -1e15 && d < 1e15)) {
            omni_load_error(ld, node, 0, "the number is out of range");
            return OMNI_EINVAL;
        }

        if (def->kind == OMNI_K_MONEY) {
            /* currency units in the file, cents in the records */
            c->num = (int64_t) (d * 100 + (d < 0 ? -0.5 : 0.5));

        } else if (d != (double) (int64_t) d) {
            omni_load_error(ld, node, 0, "\"%.64s\" is a whole number; "
                            "%g is not", fname, d);
            return OMNI_EINVAL;

        } else {
            c->num = (int64_t) d;
        }

        c->dnum = d;
        return OMNI_OK;

    case OMNI_K_BOOL:
        if (!json_is_boolean(v)) {
            omni_load_error(ld, node, 0, "\"%.64s\" is true or false: "
                            "write true or false without quotes", fname);
            return OMNI_EINVAL;
        }

        c->num = json_is_true(v);
        return OMNI_OK;

    default: /* channel, device */
        s = json_string_value(v);

        if (s == NULL) {
            omni_load_error(ld, node, 0, "write the %s name in quotes",
                            fname);
            return OMNI_EINVAL;
        }

        if (def->kind == OMNI_K_CHANNEL) {
            idx = omni_channel_index(s, json_string_length(v));
            hint = omni_suggest(s, json_string_length(v), omni_channel_names,
                                OMNI_CHANNEL_MAX);

        } else {
            idx = omni_device_parse(s, json_string_length(v));
            hint = omni_suggest(s, json_string_length(v), omni_device_names,
                                OMNI_DEVICE_MAX);
        }

        if (idx < 0) {
            omni_load_error(ld, node, 0, "unknown %s \"%.64s\"%s%s%s; the "
                            "%ss are %s", fname, s,
                            hint ? " (did you mean \"" : "", hint ? hint : "",
                            hint ? "\"?)" : "", fname,
                            def->kind == OMNI_K_CHANNEL
                            ? "direct, search, paid_search, social, "
                              "paid_social, email, sms, push, display, "
                              "affiliate and referral"
                            : "desktop, mobile, tablet, bot and unknown");
            return OMNI_EINVAL;
        }

        c->num = idx;
        return OMNI_OK;
    }
}


/* references between segments: no cycles, and an order to evaluate in */

static int
omni_rules_order(omni_load_t *ld)
{
    int                rc;
    size_t             i, nout;
    uint8_t           *color;
    uint32_t          *path;
    omni_campaigns_t  *cs;

    cs = ld->cs;

    if (cs->nsegments == 0) {
        return OMNI_OK;
    }

    color = calloc(cs->nsegments, 1);
    path = calloc(cs->nsegments + 1, sizeof(uint32_t));

    if (color == NULL || path == NULL) {
        free(color);
        free(path);
        ld->oom = 1;
        return OMNI_ERROR;
    }

    nout = 0;
    rc = OMNI_OK;

    for (i = 0; i < cs->nsegments && rc == OMNI_OK; i++) {
        if (color[i] == 0) {
            rc = omni_rules_visit(ld, (uint32_t) i, color, path, 0, &nout);
        }
    }

    free(color);
    free(path);

    return rc == OMNI_ERROR ? OMNI_ERROR : OMNI_OK;
}


/* depth-first, references before the segment: 1 = on the path, 2 = done */

static int
omni_rules_visit(omni_load_t *ld, uint32_t s, uint8_t *color,
    uint32_t *path, size_t depth, size_t *nout)
{
    int                rc;
    char               text[200];
    size_t             i, k, n;
    uint32_t           to;
    omni_campaigns_t  *cs;

    cs = ld->cs;
    color[s] = 1;
    path[depth] = s;

    for (i = 0; i < ld->nrefs; i++) {
        if (ld->refs[i].from != s) {
            continue;
        }

        to = ld->refs[i].to;

        if (color[to] == 1) {
            /* the cycle is path[k..depth] and back to "to" */

            for (k = 0; path[k] != to; k++) {
                /* void */
            }

            n = 0;
            text[0] = '\0';

            for (/* void */; k <= depth && n < sizeof(text) - 80; k++) {
                n += snprintf(text + n, sizeof(text) - n, "%s -> ",
                              cs->segments[path[k]].name.data);
            }

            snprintf(text + n, sizeof(text) - n, "%s",
                     cs->segments[to].name.data);

            snprintf(ld->ctx, sizeof(ld->ctx), "segment \"%.64s\"",
                     cs->segments[s].name.data);
            omni_load_error(ld, ld->refs[i].node, 0, "segments refer to each "
                            "other in a circle: %s", text);
            ld->ctx[0] = '\0';

            /* report each cycle once */
            ld->refs[i].from = (uint32_t) -1;
            continue;
        }

        if (color[to] == 0) {
            rc = omni_rules_visit(ld, to, color, path, depth + 1, nout);
            if (rc != OMNI_OK) {
                return rc;
            }
        }
    }

    color[s] = 2;
    cs->seg_order[(*nout)++] = s;

    return OMNI_OK;
}


/* evaluation */

int
omni_rule_eval(const omni_campaigns_t *cs, omni_view_t *v,
    const uint64_t *segs, uint32_t i)
{
    uint32_t            j;
    const omni_rule_t  *r;

    r = &cs->rules[i];

    switch (r->type) {

    case OMNI_R_ALL:
        for (j = i + 1; j < r->end; j = cs->rules[j].end) {
            if (!omni_rule_eval(cs, v, segs, j)) {
                return 0;
            }
        }

        return 1;

    case OMNI_R_ANY:
        for (j = i + 1; j < r->end; j = cs->rules[j].end) {
            if (omni_rule_eval(cs, v, segs, j)) {
                return 1;
            }
        }

        return 0;

    case OMNI_R_NOT:
        return !omni_rule_eval(cs, v, segs, i + 1);

    case OMNI_R_SEGMENT:
        return (segs[r->arg >> 6] >> (r->arg & 63)) & 1;

    default: /* OMNI_R_CMP */
        return omni_rule_cmp(cs, v, r);
    }
}


/* a decimal number in text, for attributes and variables; no allocation */

static int
omni_parse_number(omni_str_t s, double *d)
{
    int          neg, digits;
    double       v, scale;
    const char  *p, *end;

    p = s.data;
    end = p + s.len;

    while (p < end && *p == ' ') {
        p++;
    }

    while (end > p && end[-1] == ' ') {
        end--;
    }

    neg = 0;

    if (p < end && (*p == '-' || *p == '+')) {
        neg = (*p == '-');
        p++;
    }

    v = 0;
    digits = 0;

    while (p < end && *p >= '0' && *p <= '9') {
        v = v * 10 + (*p++ - '0');
        digits++;
    }

    if (p < end && *p == '.') {
        p++;
        scale = 0.1;

        while (p < end && *p >= '0' && *p <= '9') {
            v += (*p++ - '0') * scale;
            scale /= 10;
            digits++;
        }
    }

    if (digits == 0 || p != end) {
        return 0;
    }

    *d = neg ? -v : v;

    return 1;
}


static int
omni_rule_cmp(const omni_campaigns_t *cs, omni_view_t *v,
    const omni_rule_t *r)
{
    int                     has, eq;
    double                  d;
    size_t                  i, k, n;
    int64_t                 num;
    omni_str_t              s;
    const omni_str_t       *list;
    const omni_const_t     *c;
    const omni_facts_t     *f;
    const omni_profile_t   *p;
    const omni_activity_t  *a;

    f = v->f;
    p = f->profile;
    a = f->activity;
    c = &cs->consts[r->cfirst];

    s.data = NULL;
    s.len = 0;
    num = 0;
    has = 1;

    switch (r->field) {

    /* text */

    case OMNI_F_FIRST_NAME:
        if (p) {
            s = p->first_name;
        }
        goto text;

    case OMNI_F_TIER:
        if (p) {
            s = p->tier;
        }
        goto text;

    case OMNI_F_LOCALE:
        if (p) {
            s = p->locale;
        }
        goto text;

    case OMNI_F_CUSTOMER_ID:
        s = v->customer_id;
        goto text;

    case OMNI_F_UTM_SOURCE:
        s = f->utm_source;
        goto text;

    case OMNI_F_UTM_MEDIUM:
        s = f->utm_medium;
        goto text;

    case OMNI_F_UTM_CAMPAIGN:
        s = f->utm_campaign;
        goto text;

    case OMNI_F_PATH:
        s = f->path;
        goto text;

    case OMNI_F_ATTR:
        s = omni_view_attr(v, r->arg);
        goto text;

    case OMNI_F_VAR:
        s = omni_view_var(v, r->arg);
        goto text;

    /* numbers */

    case OMNI_F_POINTS:
        has = (p != NULL);
        num = p ? p->points : 0;
        goto number;

    case OMNI_F_VISITS:
        num = v->visits;
        goto number;

    case OMNI_F_PAGEVIEWS:
        num = v->pageviews;
        goto number;

    case OMNI_F_CART_VALUE:
        num = v->cart_value;
        goto number;

    case OMNI_F_CART_ITEMS:
        num = v->cart_items;
        goto number;

    case OMNI_F_PURCHASES:
        num = v->purchases;
        goto number;

    case OMNI_F_DAYS_SINCE_PURCHASE:
        has = (v->days_since_purchase >= 0);
        num = v->days_since_purchase;
        goto number;

    /* true or false */

    case OMNI_F_ABANDONED:
        return (v->abandoned == r->num) == (r->op == OMNI_OP_EQ);

    case OMNI_F_NEW_VISITOR:
        return ((f->new_visitor != 0) == r->num) == (r->op == OMNI_OP_EQ);

    /* names */

    case OMNI_F_CHANNEL:
        num = f->channel;
        has = (f->channel != OMNI_CHANNEL_NONE);
        goto name;

    case OMNI_F_DEVICE:
        num = f->device;
        has = (f->device != OMNI_DEVICE_UNKNOWN);
        goto name;

    /* lists */

    case OMNI_F_TAGS:
        list = p ? p->tags : NULL;
        n = p ? p->ntags : 0;
        n = (n < OMNI_PROFILE_MAX_TAGS) ? n : OMNI_PROFILE_MAX_TAGS;
        goto list;

    case OMNI_F_VIEWED:
        list = a ? a->viewed : NULL;
        n = a ? a->nviewed : 0;
        n = (n < OMNI_ACT_MAX_VIEWED) ? n : OMNI_ACT_MAX_VIEWED;
        goto list;

    case OMNI_F_PURCHASED:
        list = a ? a->purchased : NULL;
        n = a ? a->npurchased : 0;
        n = (n < OMNI_ACT_MAX_PURCHASED) ? n : OMNI_ACT_MAX_PURCHASED;
        goto list;

    default:
        return 0;
    }

text:

    has = (s.len != 0);

    if (r->op == OMNI_OP_EXISTS) {
        return has == r->num;
    }

    if (!has) {
        return r->op == OMNI_OP_NE;
    }

    if (r->numeric) {
        if (!omni_parse_number(s, &d)) {
            return r->op == OMNI_OP_NE;
        }

        switch (r->op) {
        case OMNI_OP_EQ:
            return d == r->dnum;
        case OMNI_OP_NE:
            return d != r->dnum;
        case OMNI_OP_LT:
            return d < r->dnum;
        case OMNI_OP_LTE:
            return d <= r->dnum;
        case OMNI_OP_GT:
            return d > r->dnum;
        default:
            return d >= r->dnum;
        }
    }

    switch (r->op) {

    case OMNI_OP_EQ:
        return omni_str_ieq(s.data, s.len, c->str.data, c->str.len);

    case OMNI_OP_NE:
        return !omni_str_ieq(s.data, s.len, c->str.data, c->str.len);

    case OMNI_OP_IN:
        for (k = 0; k < r->cn; k++) {
            if (omni_str_ieq(s.data, s.len, c[k].str.data, c[k].str.len)) {
                return 1;
            }
        }

        return 0;

    case OMNI_OP_CONTAINS:
        return omni_str_icontains(s.data, s.len, c->str.data, c->str.len);

    case OMNI_OP_PREFIX:
        return s.len >= c->str.len
               && omni_str_ieq(s.data, c->str.len, c->str.data, c->str.len);

    default:
        return 0;
    }

number:

    if (r->op == OMNI_OP_EXISTS) {
        return has == r->num;
    }

    if (!has) {
        return r->op == OMNI_OP_NE;
    }

    switch (r->op) {

    case OMNI_OP_EQ:
        return num == r->num;

    case OMNI_OP_NE:
        return num != r->num;

    case OMNI_OP_LT:
        return num < r->num;

    case OMNI_OP_LTE:
        return num <= r->num;

    case OMNI_OP_GT:
        return num > r->num;

    case OMNI_OP_GTE:
        return num >= r->num;

    case OMNI_OP_IN:
        for (k = 0; k < r->cn; k++) {
            if (num == c[k].num) {
                return 1;
            }
        }

        return 0;

    default:
        return 0;
    }

name:

    if (r->op == OMNI_OP_EXISTS) {
        return has == r->num;
    }

    switch (r->op) {

    case OMNI_OP_EQ:
        return num == r->num;

    case OMNI_OP_NE:
        return num != r->num;

    default: /* OMNI_OP_IN */
        for (k = 0; k < r->cn; k++) {
            if (num == c[k].num) {
                return 1;
            }
        }

        return 0;
    }

list:

    if (r->op == OMNI_OP_EXISTS) {
        return (n > 0) == r->num;
    }

    for (i = 0; i < n; i++) {
        for (k = 0; k < r->cn; k++) {
            eq = omni_str_ieq(list[i].data, list[i].len, c[k].str.data,
                              c[k].str.len);
            if (eq) {
                return 1;
            }
        }
    }

    return 0;
}
