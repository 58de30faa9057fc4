/*
 * Profile records to and from JSON lines (see record_json.h).
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <omni/record_json.h>
#include <omni/wire.h>

#include "omni_json_int.h"


typedef struct {
    char        *pos;
    char        *end;
} omni_arena_t;


static int omni_json_fail(omni_json_error_t *err, int rc,
    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int omni_json_str(json_t *v, const char *name, size_t min,
    size_t max, omni_arena_t *arena, omni_str_t *out,
    omni_json_error_t *err);
static int omni_json_copy(omni_arena_t *arena, const char *s, size_t len,
    omni_str_t *out);
static int omni_json_tags(json_t *v, omni_profile_t *p,
    omni_arena_t *arena, omni_json_error_t *err);
static int omni_json_attrs(json_t *v, omni_profile_t *p,
    omni_arena_t *arena, omni_json_error_t *err);
static int omni_json_consent(json_t *v, omni_profile_t *p,
    omni_json_error_t *err);


int
omni_profile_from_json(const char *text, size_t len, omni_profile_t *p,
    char *buf, size_t size, omni_json_error_t *err)
{
    int            rc, has_id;
    json_t        *root, *v;
    const char    *key;
    omni_arena_t   arena;
    json_error_t   jerr;

    omni_profile_init(p);
    err->text[0] = '\0';

    if (len > OMNI_JSON_LINE_MAX) {
        return omni_json_fail(err, OMNI_ETOOBIG, "line longer than %d bytes",
                              OMNI_JSON_LINE_MAX);
    }

    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        return omni_json_fail(err, OMNI_EINVAL, "invalid JSON at column %d: "
                              "%s", jerr.column, jerr.text);
    }

    if (!json_is_object(root)) {
        json_decref(root);
        return omni_json_fail(err, OMNI_EINVAL, "not a JSON object");
    }

    arena.pos = buf;
    arena.end = buf + size;

    rc = OMNI_OK;
    has_id = 0;

    json_object_foreach(root, key, v) {

        if (strcmp(key, "customer_id") == 0) {
            rc = omni_json_str(v, key, 1, OMNI_KEY_MAX, &arena,
                               &p->customer_id, err);
            has_id = (rc == OMNI_OK);

        } else if (strcmp(key, "first_name") == 0) {
            rc = omni_json_str(v, key, 0, OMNI_SHORT_MAX, &arena,
                               &p->first_name, err);

        } else if (strcmp(key, "locale") == 0) {
            rc = omni_json_str(v, key, 0, OMNI_SHORT_MAX, &arena,
                               &p->locale, err);

        } else if (strcmp(key, "tier") == 0) {
            rc = omni_json_str(v, key, 0, OMNI_SHORT_MAX, &arena, &p->tier,
                               err);

        } else if (strcmp(key, "points") == 0) {
            if (json_is_integer(v)) {
                p->points = json_integer_value(v);

            } else if (!json_is_null(v)) {
                rc = omni_json_fail(err, OMNI_EINVAL,
                                    "\"points\" must be an integer");
            }

        } else if (strcmp(key, "updated") == 0) {
            if (json_is_integer(v) && json_integer_value(v) >= 0) {
                p->updated = json_integer_value(v);

            } else if (!json_is_null(v)) {
                rc = omni_json_fail(err, OMNI_EINVAL, "\"updated\" must be "
                                    "unix seconds (an integer)");
            }

        } else if (strcmp(key, "consent") == 0) {
            rc = omni_json_consent(v, p, err);

        } else if (strcmp(key, "tags") == 0) {
            rc = omni_json_tags(v, p, &arena, err);

        } else if (strcmp(key, "attrs") == 0) {
            rc = omni_json_attrs(v, p, &arena, err);

        } else {
            rc = omni_json_fail(err, OMNI_EINVAL, "unknown field \"%.64s\"",
                                key);
        }

        if (rc != OMNI_OK) {
            break;
        }
    }

    json_decref(root);

    if (rc == OMNI_OK && !has_id) {
        rc = omni_json_fail(err, OMNI_EINVAL, "no \"customer_id\"");
    }

    return rc;
}


static int
omni_json_fail(omni_json_error_t *err, int rc, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    vsnprintf(err->text, sizeof(err->text), fmt, args);
    va_end(args);

    return rc;
}


static int
omni_json_str(json_t *v, const char *name, size_t min, size_t max,
    omni_arena_t *arena, omni_str_t *out, omni_json_error_t *err)
{
    size_t      len;
    omni_str_t  s;

    if (json_is_null(v) && min == 0) {
        return OMNI_OK;
    }

    if (!json_is_string(v)) {
        return omni_json_fail(err, OMNI_EINVAL, "\"%s\" must be a string",
                              name);
    }

    len = json_string_length(v);

    if (len < min) {
        return omni_json_fail(err, OMNI_EINVAL, "\"%s\" is empty", name);
    }

    if (len > max) {
        return omni_json_fail(err, OMNI_ETOOBIG, "\"%s\" is longer than %zu "
                              "bytes", name, max);
    }

    s.data = json_string_value(v);
    s.len = len;

    if (!omni_text_ok(s)) {
        return omni_json_fail(err, OMNI_EINVAL, "\"%s\" holds a control "
                              "character", name);
    }

    if (omni_json_copy(arena, s.data, s.len, out) != OMNI_OK) {
        return omni_json_fail(err, OMNI_ETOOBIG, "profile too large");
    }

    return OMNI_OK;
}


static int
omni_json_copy(omni_arena_t *arena, const char *s, size_t len,
    omni_str_t *out)
{
    if ((size_t) (arena->end - arena->pos) < len) {
        return OMNI_ETOOBIG;
    }

    if (len) {
        memcpy(arena->pos, s, len);
    }

    out->data = arena->pos;
    out->len = len;
    arena->pos += len;

    return OMNI_OK;
}


static int
omni_json_tags(json_t *v, omni_profile_t *p, omni_arena_t *arena,
    omni_json_error_t *err)
{
    size_t       i, len;
    json_t      *t;
    const char  *s;

    if (json_is_null(v)) {
        return OMNI_OK;
    }

    if (!json_is_array(v)) {
        return omni_json_fail(err, OMNI_EINVAL, "\"tags\" must be an array "
                              "of strings");
    }

    json_array_foreach(v, i, t) {

        if (!json_is_string(t)) {
            return omni_json_fail(err, OMNI_EINVAL, "tag %zu is not a string",
                                  i + 1);
        }

        s = json_string_value(t);
        len = json_string_length(t);

        if (!omni_profile_tag_ok(s, len)) {
            return omni_json_fail(err, len > OMNI_PROFILE_TAG_MAX
                                       ? OMNI_ETOOBIG : OMNI_EINVAL,
                                  "tag %zu must be 1 to %d printable bytes "
                                  "without a comma", i + 1,
                                  OMNI_PROFILE_TAG_MAX);
        }

        if (omni_profile_has_tag(p, s, len)) {
            continue;
        }

        if (p->ntags == OMNI_PROFILE_MAX_TAGS) {
            return omni_json_fail(err, OMNI_ETOOBIG, "more than %d tags",
                                  OMNI_PROFILE_MAX_TAGS);
        }

        if (omni_json_copy(arena, s, len, &p->tags[p->ntags]) != OMNI_OK) {
            return omni_json_fail(err, OMNI_ETOOBIG, "profile too large");
        }

        p->ntags++;
    }

    return OMNI_OK;
}


static int
omni_json_attrs(json_t *v, omni_profile_t *p, omni_arena_t *arena,
    omni_json_error_t *err)
{
    int           n;
    char          num[24];
    size_t        klen;
    json_t       *a;
    omni_str_t    s;
    const char   *key;
    omni_attr_t  *attr;

    if (json_is_null(v)) {
        return OMNI_OK;
    }

    if (!json_is_object(v)) {
        return omni_json_fail(err, OMNI_EINVAL, "\"attrs\" must be an "
                              "object");
    }

    json_object_foreach(v, key, a) {

        klen = strlen(key);

        if (!omni_profile_attr_key_ok(key, klen)) {
            return omni_json_fail(err, OMNI_EINVAL, "attribute name "
                                  "\"%.64s\" must be 1 to %d of "
                                  "[A-Za-z0-9_]", key,
                                  OMNI_PROFILE_ATTR_KEY_MAX);
        }

        if (json_is_null(a)) {
            continue;
        }

        if (json_is_string(a)) {
            s.data = json_string_value(a);
            s.len = json_string_length(a);

        } else if (json_is_integer(a)) {
            n = snprintf(num, sizeof(num), "%" PRId64,
                         (int64_t) json_integer_value(a));
            s.data = num;
            s.len = (size_t) n;

        } else if (json_is_boolean(a)) {
            s.data = json_is_true(a) ? "true" : "false";
            s.len = json_is_true(a) ? 4 : 5;

        } else {
            return omni_json_fail(err, OMNI_EINVAL, "attribute \"%s\" must "
                                  "be a string, an integer or a boolean",
                                  key);
        }

        if (s.len > OMNI_SHORT_MAX) {
            return omni_json_fail(err, OMNI_ETOOBIG, "attribute \"%s\" is "
                                  "longer than %d bytes", key,
                                  OMNI_SHORT_MAX);
        }

        if (!omni_text_ok(s)) {
            return omni_json_fail(err, OMNI_EINVAL, "attribute \"%s\" holds "
                                  "a control character", key);
        }

        if (p->nattrs == OMNI_PROFILE_MAX_ATTRS) {
            return omni_json_fail(err, OMNI_ETOOBIG, "more than %d "
                                  "attributes", OMNI_PROFILE_MAX_ATTRS);
        }

        attr = &p->attrs[p->nattrs];

        if (omni_json_copy(arena, key, klen, &attr->key) != OMNI_OK
            || omni_json_copy(arena, s.data, s.len, &attr->value) != OMNI_OK)
        {
            return omni_json_fail(err, OMNI_ETOOBIG, "profile too large");
        }

        p->nattrs++;
    }

    return OMNI_OK;
}


static int
omni_json_consent(json_t *v, omni_profile_t *p, omni_json_error_t *err)
{
    size_t    i;
    json_t   *c;
    uint32_t  flag;

    if (json_is_null(v)) {
        return OMNI_OK;
    }

    if (!json_is_array(v)) {
        return omni_json_fail(err, OMNI_EINVAL, "\"consent\" must be an "
                              "array of channel names");
    }

    json_array_foreach(v, i, c) {
        flag = json_is_string(c)
               ? omni_consent_by_name(json_string_value(c),
                                      json_string_length(c))
               : 0;

        if (flag == 0) {
            return omni_json_fail(err, OMNI_EINVAL, "consent %zu is not one "
                                  "of email, sms, push, ads, analytics",
                                  i + 1);
        }

        p->consent |= flag;
    }

    return OMNI_OK;
}


char *
omni_profile_to_json(const omni_profile_t *p, size_t *len)
{
    int       bad;
    size_t    i;
    json_t   *obj, *arr, *attrs;
    char      key[OMNI_PROFILE_ATTR_KEY_MAX + 1];
    uint32_t  flag;

    obj = json_object();
    if (obj == NULL) {
        return NULL;
    }

    bad = 0;

    omni_json_set(obj, "customer_id", omni_json_text(p->customer_id), &bad);

    if (p->first_name.len) {
        omni_json_set(obj, "first_name", omni_json_text(p->first_name), &bad);
    }

    if (p->locale.len) {
        omni_json_set(obj, "locale", omni_json_text(p->locale), &bad);
    }

    if (p->tier.len) {
        omni_json_set(obj, "tier", omni_json_text(p->tier), &bad);
    }

    omni_json_set(obj, "points", json_integer(p->points), &bad);

    if (p->consent & OMNI_CONSENT_ALL) {
        arr = json_array();

        for (flag = 1; flag & OMNI_CONSENT_ALL; flag <<= 1) {
            if ((p->consent & flag) && arr != NULL
                && json_array_append_new(arr,
                                         json_string(omni_consent_name(flag)))
                   != 0)
            {
                bad = 1;
            }
        }

        omni_json_set(obj, "consent", arr, &bad);
    }

    if (p->updated) {
        omni_json_set(obj, "updated", json_integer(p->updated), &bad);
    }

    if (p->ntags) {
        arr = json_array();

        for (i = 0; arr != NULL && i < p->ntags; i++) {
            if (json_array_append_new(arr, omni_json_text(p->tags[i])) != 0) {
                bad = 1;
            }
        }

        omni_json_set(obj, "tags", arr, &bad);
    }

    if (p->nattrs) {
        attrs = json_object();

        for (i = 0; attrs != NULL && i < p->nattrs; i++) {
            /* keys are [A-Za-z0-9_]: valid UTF-8 as they are */
            if (p->attrs[i].key.len > OMNI_PROFILE_ATTR_KEY_MAX) {
                bad = 1;
                break;
            }

            memcpy(key, p->attrs[i].key.data, p->attrs[i].key.len);
            key[p->attrs[i].key.len] = '\0';

            omni_json_set(attrs, key, omni_json_text(p->attrs[i].value),
                          &bad);
        }

        omni_json_set(obj, "attrs", attrs, &bad);
    }

    if (bad) {
        json_decref(obj);
        return NULL;
    }

    return omni_json_finish(obj, len);
}

