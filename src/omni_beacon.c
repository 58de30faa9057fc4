/*
 * The beacon body: one JSON event object, or an array of them.
 *
 * Not the hot path (browsers send a beacon now and then), so jansson does
 * the parsing; the size is capped before it starts.  Error texts name the
 * event and the field, never the input.
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include <omni/event.h>


static int omni_beacon_event(omni_beacon_t *b, json_t *obj, size_t n,
    int64_t now);
static int omni_beacon_money(json_t *v, int64_t *cents);
static int omni_beacon_id(json_t *v, omni_str_t *s);
static int omni_beacon_fail(omni_beacon_t *b, int rc, const char *fmt, ...);


int
omni_beacon_parse(omni_beacon_t *b, const void *body, size_t len,
    int64_t now)
{
    int           rc;
    size_t        i, n;
    json_t       *root, *obj;
    json_error_t  err;

    b->json = NULL;
    b->nevents = 0;
    b->error[0] = '\0';

    if (len > OMNI_BEACON_MAX_BODY) {
        return omni_beacon_fail(b, OMNI_ETOOBIG, "body over %d bytes",
                                OMNI_BEACON_MAX_BODY);
    }

    if (body == NULL || len == 0) {
        return omni_beacon_fail(b, OMNI_EINVAL, "empty body");
    }

    root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                      &err);
    if (root == NULL) {
        /* err.text may quote the input: only the position is reported */
        return omni_beacon_fail(b, OMNI_EINVAL,
                                "invalid JSON at line %d, column %d",
                                err.line, err.column);
    }

    b->json = root;

    if (json_is_object(root)) {
        return omni_beacon_event(b, root, 0, now);
    }

    if (!json_is_array(root)) {
        return omni_beacon_fail(b, OMNI_EINVAL,
                                "expected an event object or an array");
    }

    n = json_array_size(root);

    if (n == 0) {
        return omni_beacon_fail(b, OMNI_EINVAL, "no events");
    }

    if (n > OMNI_BEACON_MAX_EVENTS) {
        return omni_beacon_fail(b, OMNI_ETOOBIG, "more than %d events",
                                OMNI_BEACON_MAX_EVENTS);
    }

    for (i = 0; i < n; i++) {
        obj = json_array_get(root, i);

        if (!json_is_object(obj)) {
            return omni_beacon_fail(b, OMNI_EINVAL,
                                    "event %zu: not an object", i + 1);
        }

        rc = omni_beacon_event(b, obj, i, now);
        if (rc != OMNI_OK) {
            return rc;
        }
    }

    return OMNI_OK;
}


void
omni_beacon_free(omni_beacon_t *b)
{
    if (b->json != NULL) {
        json_decref((json_t *) b->json);
        b->json = NULL;
    }

    b->nevents = 0;
}


int
omni_beacon_content_type_ok(const char *p, size_t len)
{
    size_t       n;
    const char  *end;

    if (p == NULL) {
        return 1;
    }

    end = p + len;

    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }

    for (n = 0; p + n < end && p[n] != ';' && p[n] != ' ' && p[n] != '\t';
         n++)
    {
        /* void */
    }

    if (n == 0) {
        return 1;
    }

    return (n == sizeof("application/json") - 1
            && strncasecmp(p, "application/json", n) == 0)
           || (n == sizeof("text/plain") - 1
               && strncasecmp(p, "text/plain", n) == 0);
}


static int
omni_beacon_event(omni_beacon_t *b, json_t *obj, size_t n, int64_t now)
{
    size_t             i, count;
    json_t            *v, *e;
    const char        *name;
    omni_event_t      *ev;
    omni_event_type_e  type;

    v = json_object_get(obj, "type");

    if (!json_is_string(v)) {
        return omni_beacon_fail(b, OMNI_EINVAL,
                                "event %zu: type must be a string", n + 1);
    }

    type = omni_event_type_by_name(json_string_value(v),
                                   json_string_length(v));

    switch (type) {

    case OMNI_EVENT_PAGEVIEW:
    case OMNI_EVENT_VIEW:
    case OMNI_EVENT_CART:
    case OMNI_EVENT_REMOVE:
    case OMNI_EVENT_CLEAR:
    case OMNI_EVENT_PURCHASE:
        break;

    default:
        return omni_beacon_fail(b, OMNI_EINVAL,
                                "event %zu: unknown or refused type", n + 1);
    }

    ev = &b->events[n];
    omni_event_init(ev, type, now);

    json_object_foreach(obj, name, v) {

        if (strcmp(name, "item") == 0) {
            if (omni_beacon_id(v, &ev->item) != OMNI_OK) {
                goto invalid;
            }

        } else if (strcmp(name, "order") == 0) {
            if (omni_beacon_id(v, &ev->order) != OMNI_OK) {
                goto invalid;
            }

        } else if (strcmp(name, "qty") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 0
                || json_integer_value(v) > OMNI_EVENT_QTY_MAX)
            {
                goto invalid;
            }

            ev->qty = (uint32_t) json_integer_value(v);
            ev->flags |= OMNI_EVENT_HAS_QTY;

        } else if (strcmp(name, "price") == 0) {
            if (omni_beacon_money(v, &ev->price) != OMNI_OK) {
                goto invalid;
            }

            ev->flags |= OMNI_EVENT_HAS_PRICE;

        } else if (strcmp(name, "value") == 0) {
            if (omni_beacon_money(v, &ev->value) != OMNI_OK) {
                goto invalid;
            }

            ev->flags |= OMNI_EVENT_HAS_VALUE;

        } else if (strcmp(name, "currency") == 0) {
            if (!json_is_string(v) || json_string_length(v) != 3) {
                goto invalid;
            }

            ev->currency.data = json_string_value(v);
            ev->currency.len = 3;

            for (i = 0; i < 3; i++) {
                if ((ev->currency.data[i] | 0x20) < 'a'
                    || (ev->currency.data[i] | 0x20) > 'z')
                {
                    goto invalid;
                }
            }

        } else if (strcmp(name, "items") == 0) {
            if (!json_is_array(v)) {
                goto invalid;
            }

            count = json_array_size(v);

            for (i = 0; i < count; i++) {
                e = json_array_get(v, i);

                if (i < OMNI_EVENT_MAX_ITEMS) {
                    if (omni_beacon_id(e, &ev->items[i]) != OMNI_OK) {
                        goto invalid;
                    }

                    ev->nitems++;

                } else if (!json_is_string(e)) {
                    goto invalid;

                } else {
                    ev->flags |= OMNI_EVENT_ITEMS_TRUNCATED;
                }
            }

            ev->flags |= OMNI_EVENT_HAS_ITEMS;
        }
    }

    if (ev->item.len == 0
        && (type == OMNI_EVENT_VIEW || type == OMNI_EVENT_CART
            || type == OMNI_EVENT_REMOVE))
    {
        return omni_beacon_fail(b, OMNI_EINVAL, "event %zu: missing item",
                                n + 1);
    }

    b->nevents = n + 1;

    return OMNI_OK;

invalid:

    /* field names are ours (only the known ones get here) */
    return omni_beacon_fail(b, OMNI_EINVAL, "event %zu: invalid %s", n + 1,
                            name);
}


/* a JSON number, or a string in the header's money syntax */

static int
omni_beacon_money(json_t *v, int64_t *cents)
{
    double   d, c;
    int64_t  r;

    if (json_is_string(v)) {
        return omni_money_parse(json_string_value(v), json_string_length(v),
                                cents);
    }

    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0
            || json_integer_value(v) > OMNI_MONEY_MAX / 100)
        {
            return OMNI_EINVAL;
        }

        *cents = json_integer_value(v) * 100;
        return OMNI_OK;
    }

    if (!json_is_real(v)) {
        return OMNI_EINVAL;
    }

    d = json_real_value(v);

    /* also false for NaN, which jansson does not produce anyway */
    if (!(d >= 0.0 && d <= (double) (OMNI_MONEY_MAX / 100))) {
        return OMNI_EINVAL;
    }

    c = d * 100.0;
    r = (int64_t) (c + 0.5);

    /* 119.90 is 11990.000000000002 cents; 119.905 is not a price */
    if (c - (double) r > 0.001 || (double) r - c > 0.001) {
        return OMNI_EINVAL;
    }

    *cents = r;

    return OMNI_OK;
}


static int
omni_beacon_id(json_t *v, omni_str_t *s)
{
    if (!json_is_string(v)
        || !omni_event_valid_id(json_string_value(v), json_string_length(v)))
    {
        return OMNI_EINVAL;
    }

    s->data = json_string_value(v);
    s->len = json_string_length(v);

    return OMNI_OK;
}


static int
omni_beacon_fail(omni_beacon_t *b, int rc, const char *fmt, ...)
{
    char     *p;
    va_list   args;

    va_start(args, fmt);
    vsnprintf(b->error, OMNI_BEACON_ERROR_LEN, fmt, args);
    va_end(args);

    /* the promise of the header: safe inside a JSON string as it is */
    for (p = b->error; *p; p++) {
        if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\' || *p == '<'
            || *p == '>' || *p == '&')
        {
            *p = '?';
        }
    }

    b->nevents = 0;

    return rc;
}
