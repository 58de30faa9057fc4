/*
 * Profile records, layout 1 (inside a record frame, see wire.h):
 *
 *     str   customer_id           1..OMNI_KEY_MAX
 *     str   first_name            0..OMNI_SHORT_MAX
 *     str   locale                0..OMNI_SHORT_MAX
 *     str   tier                  0..OMNI_SHORT_MAX
 *     int   points
 *     uint  consent               32 bits
 *     int   updated
 *     uint  ntags                 0..OMNI_PROFILE_MAX_TAGS
 *     str   tag                   1..OMNI_PROFILE_TAG_MAX, per tag
 *     uint  nattrs                0..OMNI_PROFILE_MAX_ATTRS
 *     str   key                   1..OMNI_PROFILE_ATTR_KEY_MAX, per attr
 *     str   value                 0..OMNI_SHORT_MAX
 *
 * and nothing after the last attribute; no attribute key twice.
 */

#include <string.h>

#include <omni/profile.h>
#include <omni/wire.h>


static const char  *omni_consent_names[] = {
    "email", "sms", "push", "ads", "analytics"
};


void
omni_profile_init(omni_profile_t *p)
{
    memset(p, 0, sizeof(omni_profile_t));
}


int
omni_profile_attr_key_ok(const char *key, size_t len)
{
    size_t  i;
    char    c;

    if (len == 0 || len > OMNI_PROFILE_ATTR_KEY_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = key[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_'))
        {
            return 0;
        }
    }

    return 1;
}


int
omni_profile_tag_ok(const char *tag, size_t len)
{
    omni_str_t  s;

    s.data = tag;
    s.len = len;

    return len != 0 && len <= OMNI_PROFILE_TAG_MAX
           && memchr(tag, ',', len) == NULL && omni_text_ok(s);
}


int
omni_profile_decode(const void *data, size_t len, omni_profile_t *p)
{
    int            rc;
    size_t         i, k, n;
    uint64_t       v;
    omni_attr_t   *a;
    omni_str_t    *t;
    omni_reader_t  r;

    rc = omni_frame_open(&r, data, len, OMNI_PROFILE_VERSION,
                         OMNI_PROFILE_RECORD_MAX);
    if (rc != OMNI_OK) {
        return rc;
    }

    p->customer_id = omni_read_str(&r, OMNI_KEY_MAX);
    p->first_name = omni_read_str(&r, OMNI_SHORT_MAX);
    p->locale = omni_read_str(&r, OMNI_SHORT_MAX);
    p->tier = omni_read_str(&r, OMNI_SHORT_MAX);
    p->points = omni_read_int(&r);

    v = omni_read_uint(&r);
    p->consent = (uint32_t) v;

    p->updated = omni_read_int(&r);

    if (r.error || v > UINT32_MAX || p->customer_id.len == 0
        || !omni_text_ok(p->customer_id) || !omni_text_ok(p->first_name)
        || !omni_text_ok(p->locale) || !omni_text_ok(p->tier))
    {
        return OMNI_EINVAL;
    }

    n = (size_t) omni_read_uint(&r);
    if (r.error || n > OMNI_PROFILE_MAX_TAGS) {
        return OMNI_EINVAL;
    }

    p->ntags = n;

    for (i = 0; i < n; i++) {
        t = &p->tags[i];
        *t = omni_read_str(&r, OMNI_PROFILE_TAG_MAX);

        if (r.error || !omni_profile_tag_ok(t->data, t->len)) {
            return OMNI_EINVAL;
        }
    }

    n = (size_t) omni_read_uint(&r);
    if (r.error || n > OMNI_PROFILE_MAX_ATTRS) {
        return OMNI_EINVAL;
    }

    p->nattrs = n;

    for (i = 0; i < n; i++) {
        a = &p->attrs[i];
        a->key = omni_read_str(&r, OMNI_PROFILE_ATTR_KEY_MAX);
        a->value = omni_read_str(&r, OMNI_SHORT_MAX);

        if (r.error || !omni_profile_attr_key_ok(a->key.data, a->key.len)
            || !omni_text_ok(a->value))
        {
            return OMNI_EINVAL;
        }

        /* a key given twice is not a record encode() writes */
        for (k = 0; k < i; k++) {
            if (p->attrs[k].key.len == a->key.len
                && memcmp(p->attrs[k].key.data, a->key.data, a->key.len)
                   == 0)
            {
                return OMNI_EINVAL;
            }
        }
    }

    if (omni_reader_left(&r) != 0) {
        return OMNI_EINVAL;
    }

    return OMNI_OK;
}


int
omni_profile_encode(const omni_profile_t *p, void *buf, size_t size,
    size_t *len)
{
    size_t              i, j;
    const omni_attr_t  *a;
    omni_writer_t       w;

    if (p->ntags > OMNI_PROFILE_MAX_TAGS
        || p->nattrs > OMNI_PROFILE_MAX_ATTRS
        || p->customer_id.len > OMNI_KEY_MAX
        || p->first_name.len > OMNI_SHORT_MAX
        || p->locale.len > OMNI_SHORT_MAX
        || p->tier.len > OMNI_SHORT_MAX)
    {
        return OMNI_ETOOBIG;
    }

    if (p->customer_id.len == 0 || !omni_text_ok(p->customer_id)
        || !omni_text_ok(p->first_name) || !omni_text_ok(p->locale)
        || !omni_text_ok(p->tier))
    {
        return OMNI_EINVAL;
    }

    for (i = 0; i < p->ntags; i++) {
        if (p->tags[i].len > OMNI_PROFILE_TAG_MAX) {
            return OMNI_ETOOBIG;
        }

        if (!omni_profile_tag_ok(p->tags[i].data, p->tags[i].len)) {
            return OMNI_EINVAL;
        }
    }

    for (i = 0; i < p->nattrs; i++) {
        a = &p->attrs[i];

        if (a->key.len > OMNI_PROFILE_ATTR_KEY_MAX
            || a->value.len > OMNI_SHORT_MAX)
        {
            return OMNI_ETOOBIG;
        }

        if (!omni_profile_attr_key_ok(a->key.data, a->key.len)
            || !omni_text_ok(a->value))
        {
            return OMNI_EINVAL;
        }

        for (j = 0; j < i; j++) {
            if (p->attrs[j].key.len == a->key.len
                && memcmp(p->attrs[j].key.data, a->key.data, a->key.len)
                   == 0)
            {
                return OMNI_EINVAL;
            }
        }
    }

    if (size > OMNI_PROFILE_RECORD_MAX) {
        size = OMNI_PROFILE_RECORD_MAX;
    }

    omni_frame_begin(&w, buf, size, OMNI_PROFILE_VERSION);

    omni_write_str(&w, p->customer_id);
    omni_write_str(&w, p->first_name);
    omni_write_str(&w, p->locale);
    omni_write_str(&w, p->tier);
    omni_write_int(&w, p->points);
    omni_write_uint(&w, p->consent);
    omni_write_int(&w, p->updated);

    omni_write_uint(&w, p->ntags);

    for (i = 0; i < p->ntags; i++) {
        omni_write_str(&w, p->tags[i]);
    }

    omni_write_uint(&w, p->nattrs);

    for (i = 0; i < p->nattrs; i++) {
        omni_write_str(&w, p->attrs[i].key);
        omni_write_str(&w, p->attrs[i].value);
    }

    return omni_frame_end(&w, buf, len);
}


int
omni_profile_has_tag(const omni_profile_t *p, const char *tag, size_t len)
{
    size_t  i;

    for (i = 0; i < p->ntags; i++) {
        if (p->tags[i].len == len && memcmp(p->tags[i].data, tag, len) == 0) {
            return 1;
        }
    }

    return 0;
}


omni_str_t
omni_profile_attr(const omni_profile_t *p, const char *key, size_t len)
{
    size_t      i;
    omni_str_t  none = omni_null_string;

    for (i = 0; i < p->nattrs; i++) {
        if (p->attrs[i].key.len == len
            && memcmp(p->attrs[i].key.data, key, len) == 0)
        {
            return p->attrs[i].value;
        }
    }

    return none;
}


const char *
omni_consent_name(uint32_t flag)
{
    size_t  i;

    for (i = 0; i < sizeof(omni_consent_names) / sizeof(char *); i++) {
        if (flag == (uint32_t) 1 << i) {
            return omni_consent_names[i];
        }
    }

    return NULL;
}


uint32_t
omni_consent_by_name(const char *name, size_t len)
{
    size_t  i;

    for (i = 0; i < sizeof(omni_consent_names) / sizeof(char *); i++) {
        if (strlen(omni_consent_names[i]) == len
            && memcmp(omni_consent_names[i], name, len) == 0)
        {
            return (uint32_t) 1 << i;
        }
    }

    return 0;
}
