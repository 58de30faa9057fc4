/*
 * Tracking events: the X-Omni-Event and X-Omni-Customer grammars.
 *
 * The parser is a single pass over the header value with no allocation:
 * the event's strings point into the value.
 */

#include <string.h>

#include <omni/event.h>


#define omni_is_ows(c)    ((c) == ' ' || (c) == '\t')
#define omni_is_digit(c)  ((c) >= '0' && (c) <= '9')
#define omni_lower(c)     (((c) >= 'A' && (c) <= 'Z') ? ((c) | 0x20) : (c))
#define omni_is_key_char(c)                                                   \
    (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z')                 \
     || omni_is_digit(c) || (c) == '_' || (c) == '-')


/* the id alphabet: no spaces, quotes, commas, semicolons or brackets */
static const uint8_t  omni_id_chars[256] = {
    ['a' ... 'z'] = 1, ['A' ... 'Z'] = 1, ['0' ... '9'] = 1,
    ['-'] = 1, ['_'] = 1, ['.'] = 1, [':'] = 1, ['/'] = 1, ['@'] = 1,
    ['+'] = 1, ['#'] = 1, ['~'] = 1, ['!'] = 1, ['$'] = 1, ['%'] = 1,
    ['&'] = 1, ['*'] = 1, ['='] = 1, ['?'] = 1, ['^'] = 1, ['|'] = 1,
};


static const char  *omni_event_names[] = {
    "none", "pageview", "view", "cart", "remove", "clear", "purchase",
    "link", "impression", "click"
};


static int omni_token_eq(const char *p, size_t len, const char *lit);
static int omni_parse_qty(const char *p, size_t len, uint32_t *qty);
static int omni_parse_items(const char *p, size_t len, omni_event_t *ev);
static int omni_parse_param(omni_event_t *ev, const char *key, size_t klen,
    const char *val, size_t vlen, uint32_t *seen, const char **reason);


void
omni_event_init(omni_event_t *ev, omni_event_type_e type, int64_t at)
{
    memset(ev, 0, sizeof(omni_event_t));

    ev->type = type;
    ev->at = at;
    ev->qty = 1;
}


const char *
omni_event_type_name(omni_event_type_e type)
{
    if ((unsigned) type >= OMNI_EVENT_MAX) {
        return "none";
    }

    return omni_event_names[type];
}


omni_event_type_e
omni_event_type_by_name(const char *name, size_t len)
{
    unsigned  t;

    for (t = OMNI_EVENT_NONE + 1; t < OMNI_EVENT_MAX; t++) {
        if (omni_token_eq(name, len, omni_event_names[t])) {
            return (omni_event_type_e) t;
        }
    }

    return OMNI_EVENT_NONE;
}


int
omni_event_valid_id(const char *p, size_t len)
{
    size_t  i;

    if (len == 0 || len > OMNI_KEY_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!omni_id_chars[(uint8_t) p[i]]) {
            return 0;
        }
    }

    return 1;
}


int
omni_money_parse(const char *p, size_t len, int64_t *cents)
{
    size_t   i, nint, nfrac;
    int64_t  v;

    v = 0;
    nint = 0;

    for (i = 0; i < len && omni_is_digit(p[i]); i++) {
        v = v * 10 + (p[i] - '0');
        nint++;

        /* checked per digit, so v * 10 can never overflow */
        if (v > OMNI_MONEY_MAX / 100) {
            return OMNI_EINVAL;
        }
    }

    if (nint == 0) {
        return OMNI_EINVAL;
    }

    v *= 100;

    if (i < len) {
        if (p[i] != '.') {
            return OMNI_EINVAL;
        }

        i++;
        nfrac = 0;

        while (i < len && omni_is_digit(p[i])) {
            if (nfrac == 2) {
                return OMNI_EINVAL;
            }

            v += (p[i] - '0') * (nfrac == 0 ? 10 : 1);
            nfrac++;
            i++;
        }

        if (nfrac == 0 || i != len) {
            return OMNI_EINVAL;
        }
    }

    if (v > OMNI_MONEY_MAX) {
        return OMNI_EINVAL;
    }

    *cents = v;

    return OMNI_OK;
}


int
omni_event_parse_customer(const char *value, size_t len, omni_str_t *id)
{
    const char  *p, *end;

    if (value == NULL) {
        return OMNI_EINVAL;
    }

    p = value;
    end = value + len;

    while (p < end && omni_is_ows(*p)) {
        p++;
    }

    while (end > p && omni_is_ows(end[-1])) {
        end--;
    }

    if (!omni_event_valid_id(p, (size_t) (end - p))) {
        return OMNI_EINVAL;
    }

    id->data = p;
    id->len = (size_t) (end - p);

    return OMNI_OK;
}


int
omni_event_parse_header(const char *value, size_t len, omni_event_t *ev,
    const char **reason)
{
    int          rc;
    uint32_t     seen;
    const char  *p, *end, *tok, *key, *kend, *val, *vend, *why;

    omni_event_init(ev, OMNI_EVENT_NONE, 0);

    if (len > OMNI_EVENT_HEADER_MAX) {
        why = "event too long";
        rc = OMNI_ETOOBIG;
        goto failed;
    }

    rc = OMNI_EINVAL;

    if (value == NULL) {
        why = "empty event";
        goto failed;
    }

    p = value;
    end = value + len;

    while (p < end && omni_is_ows(*p)) {
        p++;
    }

    tok = p;

    while (p < end && *p != ';' && !omni_is_ows(*p)) {
        p++;
    }

    if (p == tok) {
        why = "missing event type";
        goto failed;
    }

    ev->type = omni_event_type_by_name(tok, (size_t) (p - tok));

    switch (ev->type) {

    case OMNI_EVENT_VIEW:
    case OMNI_EVENT_CART:
    case OMNI_EVENT_REMOVE:
    case OMNI_EVENT_CLEAR:
    case OMNI_EVENT_PURCHASE:
        break;

    default:
        why = "unknown event type";
        goto failed;
    }

    seen = 0;

    for ( ;; ) {

        while (p < end && omni_is_ows(*p)) {
            p++;
        }

        if (p == end) {
            break;
        }

        if (*p != ';') {
            why = "expected \";\"";
            goto failed;
        }

        p++;

        while (p < end && omni_is_ows(*p)) {
            p++;
        }

        /* one trailing ";" is tolerated */
        if (p == end) {
            break;
        }

        key = p;

        while (p < end && omni_is_key_char(*p)) {
            p++;
        }

        if (p == key) {
            why = "missing parameter name";
            goto failed;
        }

        kend = p;

        while (p < end && omni_is_ows(*p)) {
            p++;
        }

        if (p == end || *p != '=') {
            why = "expected \"=\"";
            goto failed;
        }

        p++;

        while (p < end && omni_is_ows(*p)) {
            p++;
        }

        val = p;

        while (p < end && *p != ';') {
            if ((uint8_t) *p < 0x20 && *p != '\t') {
                why = "control character";
                goto failed;
            }

            if (*p == 0x7f) {
                why = "control character";
                goto failed;
            }

            p++;
        }

        vend = p;

        while (vend > val && omni_is_ows(vend[-1])) {
            vend--;
        }

        if (vend == val) {
            why = "empty parameter value";
            goto failed;
        }

        if (omni_parse_param(ev, key, (size_t) (kend - key), val,
                             (size_t) (vend - val), &seen, &why)
            != OMNI_OK)
        {
            goto failed;
        }
    }

    switch (ev->type) {

    case OMNI_EVENT_VIEW:
    case OMNI_EVENT_CART:
    case OMNI_EVENT_REMOVE:
        if (ev->item.len == 0) {
            why = "missing item";
            goto failed;
        }

        break;

    default:
        break;
    }

    return OMNI_OK;

failed:

    if (reason != NULL) {
        *reason = why;
    }

    ev->type = OMNI_EVENT_NONE;

    return rc;
}


/* the known parameters */

#define OMNI_SEEN_ITEM      0x01
#define OMNI_SEEN_QTY       0x02
#define OMNI_SEEN_PRICE     0x04
#define OMNI_SEEN_VALUE     0x08
#define OMNI_SEEN_ORDER     0x10
#define OMNI_SEEN_CURRENCY  0x20
#define OMNI_SEEN_ITEMS     0x40


static int
omni_parse_param(omni_event_t *ev, const char *key, size_t klen,
    const char *val, size_t vlen, uint32_t *seen, const char **reason)
{
    uint32_t  bit;

    if (omni_token_eq(key, klen, "item")) {
        bit = OMNI_SEEN_ITEM;

        if (!omni_event_valid_id(val, vlen)) {
            *reason = "bad item id";
            return OMNI_EINVAL;
        }

        ev->item.data = val;
        ev->item.len = vlen;

    } else if (omni_token_eq(key, klen, "qty")) {
        bit = OMNI_SEEN_QTY;

        if (omni_parse_qty(val, vlen, &ev->qty) != OMNI_OK) {
            *reason = "bad qty";
            return OMNI_EINVAL;
        }

        ev->flags |= OMNI_EVENT_HAS_QTY;

    } else if (omni_token_eq(key, klen, "price")) {
        bit = OMNI_SEEN_PRICE;

        if (omni_money_parse(val, vlen, &ev->price) != OMNI_OK) {
            *reason = "bad price";
            return OMNI_EINVAL;
        }

        ev->flags |= OMNI_EVENT_HAS_PRICE;

    } else if (omni_token_eq(key, klen, "value")) {
        bit = OMNI_SEEN_VALUE;

        if (omni_money_parse(val, vlen, &ev->value) != OMNI_OK) {
            *reason = "bad value";
            return OMNI_EINVAL;
        }

        ev->flags |= OMNI_EVENT_HAS_VALUE;

    } else if (omni_token_eq(key, klen, "order")) {
        bit = OMNI_SEEN_ORDER;

        if (!omni_event_valid_id(val, vlen)) {
            *reason = "bad order id";
            return OMNI_EINVAL;
        }

        ev->order.data = val;
        ev->order.len = vlen;

    } else if (omni_token_eq(key, klen, "currency")) {
        bit = OMNI_SEEN_CURRENCY;

        if (vlen != 3
            || omni_lower(val[0]) < 'a' || omni_lower(val[0]) > 'z'
            || omni_lower(val[1]) < 'a' || omni_lower(val[1]) > 'z'
            || omni_lower(val[2]) < 'a' || omni_lower(val[2]) > 'z')
        {
            *reason = "bad currency";
            return OMNI_EINVAL;
        }

        ev->currency.data = val;
        ev->currency.len = vlen;

    } else if (omni_token_eq(key, klen, "items")) {
        bit = OMNI_SEEN_ITEMS;

        if (omni_parse_items(val, vlen, ev) != OMNI_OK) {
            *reason = "bad items list";
            return OMNI_EINVAL;
        }

    } else {
        /* an unknown parameter: well formed, so skipped */
        return OMNI_OK;
    }

    if (*seen & bit) {
        *reason = "duplicate parameter";
        return OMNI_EINVAL;
    }

    *seen |= bit;

    return OMNI_OK;
}


static int
omni_parse_qty(const char *p, size_t len, uint32_t *qty)
{
    size_t    i;
    uint32_t  v;

    if (len == 0 || len > 9) {
        return OMNI_EINVAL;
    }

    v = 0;

    for (i = 0; i < len; i++) {
        if (!omni_is_digit(p[i])) {
            return OMNI_EINVAL;
        }

        v = v * 10 + (uint32_t) (p[i] - '0');
    }

    if (v > OMNI_EVENT_QTY_MAX) {
        return OMNI_EINVAL;
    }

    *qty = v;

    return OMNI_OK;
}


/* "A, B,C": ids separated by commas, spaces allowed around each */

static int
omni_parse_items(const char *p, size_t len, omni_event_t *ev)
{
    const char  *end, *id, *idend;

    end = p + len;
    ev->nitems = 0;

    for ( ;; ) {

        while (p < end && omni_is_ows(*p)) {
            p++;
        }

        id = p;

        while (p < end && *p != ',') {
            p++;
        }

        idend = p;

        while (idend > id && omni_is_ows(idend[-1])) {
            idend--;
        }

        if (!omni_event_valid_id(id, (size_t) (idend - id))) {
            return OMNI_EINVAL;
        }

        if (ev->nitems < OMNI_EVENT_MAX_ITEMS) {
            ev->items[ev->nitems].data = id;
            ev->items[ev->nitems].len = (size_t) (idend - id);
            ev->nitems++;

        } else {
            ev->flags |= OMNI_EVENT_ITEMS_TRUNCATED;
        }

        if (p == end) {
            break;
        }

        p++;    /* the comma: something must follow it */
    }

    ev->flags |= OMNI_EVENT_HAS_ITEMS;

    return OMNI_OK;
}


/* case-insensitive comparison of a token with a lower-case literal */

static int
omni_token_eq(const char *p, size_t len, const char *lit)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (lit[i] == '\0' || omni_lower(p[i]) != lit[i]) {
            return 0;
        }
    }

    return lit[len] == '\0';
}
