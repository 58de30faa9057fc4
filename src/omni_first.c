/*
 * The first-response cookie: a new visitor's events, signed, bound to the
 * visitor id, until the visitor comes back.
 */

#include <string.h>

#include <omni/first.h>
#include <omni/queue.h>
#include <omni/wire.h>


#define OMNI_FIRST_TAG      "f1."
#define OMNI_FIRST_TAG_LEN  (sizeof(OMNI_FIRST_TAG) - 1)
#define OMNI_FIRST_MAC_LEN  omni_base64url_encoded_len(OMNI_MAC_SIZE)


static void omni_first_mac(const omni_signer_t *signer, const omni_id_t *id,
    const uint8_t *payload, size_t len, uint8_t mac[OMNI_MAC_SIZE]);


void
omni_first_init(omni_first_t *f, int64_t now)
{
    omni_writer_t  w;

    f->made = now;
    f->n = 0;

    omni_writer_init(&w, f->data, sizeof(f->data));
    omni_write_int(&w, now);

    f->start = omni_writer_len(&w, f->data);
    f->len = f->start;
}


int
omni_first_add(omni_first_t *f, const omni_event_t *ev)
{
    omni_writer_t  w;

    omni_writer_init(&w, f->data + f->len, sizeof(f->data) - f->len);

    if (omni_event_encode(&w, ev) != OMNI_OK) {
        return OMNI_EINVAL;
    }

    if (w.error) {
        return OMNI_EFULL;
    }

    f->len += omni_writer_len(&w, f->data + f->len);
    f->n++;

    return OMNI_OK;
}


size_t
omni_first_cookie_len(const omni_first_t *f)
{
    return OMNI_FIRST_TAG_LEN + omni_base64url_encoded_len(f->len) + 1
           + OMNI_FIRST_MAC_LEN;
}


size_t
omni_first_seal(const omni_signer_t *signer, const omni_id_t *id,
    const omni_first_t *f, char *out)
{
    char     *p;
    uint8_t   mac[OMNI_MAC_SIZE];

    p = out;

    memcpy(p, OMNI_FIRST_TAG, OMNI_FIRST_TAG_LEN);
    p += OMNI_FIRST_TAG_LEN;

    p += omni_base64url_encode(f->data, f->len, p);

    omni_first_mac(signer, id, f->data, f->len, mac);

    *p++ = '.';
    p += omni_base64url_encode(mac, OMNI_MAC_SIZE, p);

    return (size_t) (p - out);
}


int
omni_first_open(const omni_signer_t *signer, const omni_id_t *id,
    const char *value, size_t len, int64_t now, omni_first_t *f)
{
    long           n;
    size_t         i, plen;
    uint8_t        mac[OMNI_MAC_SIZE], got[OMNI_MAC_SIZE + 2];
    omni_event_t   ev;
    omni_reader_t  r;

    if (len > OMNI_FIRST_COOKIE_MAX) {
        return OMNI_ETOOBIG;
    }

    if (len < OMNI_FIRST_TAG_LEN || value[0] != 'f') {
        return OMNI_EINVAL;
    }

    if (memcmp(value, OMNI_FIRST_TAG, OMNI_FIRST_TAG_LEN) != 0) {
        /* "f<digits>." is a version we do not know; anything else is junk */
        for (i = 1; i < len && value[i] >= '0' && value[i] <= '9'; i++) {
            /* void */
        }

        return (i > 1 && i < len && value[i] == '.') ? OMNI_EVERSION
                                                     : OMNI_EINVAL;
    }

    /* the mac is the fixed-length tail, after the payload's "." */

    if (len < OMNI_FIRST_TAG_LEN + 1 + OMNI_FIRST_MAC_LEN
        || value[len - OMNI_FIRST_MAC_LEN - 1] != '.')
    {
        return OMNI_EINVAL;
    }

    plen = len - OMNI_FIRST_TAG_LEN - 1 - OMNI_FIRST_MAC_LEN;

    /* the exact decoded length: base64url_decode() writes that much */
    if (plen / 4 * 3 + (plen % 4 == 3 ? 2 : plen % 4 == 2 ? 1 : 0)
        > sizeof(f->data))
    {
        return OMNI_ETOOBIG;
    }

    n = omni_base64url_decode(value + OMNI_FIRST_TAG_LEN, plen, f->data);

    if (n <= 0 || (size_t) n > sizeof(f->data)) {
        return OMNI_EINVAL;
    }

    if (omni_base64url_decode(value + len - OMNI_FIRST_MAC_LEN,
                              OMNI_FIRST_MAC_LEN, got)
        != OMNI_MAC_SIZE)
    {
        return OMNI_EINVAL;
    }

    omni_first_mac(signer, id, f->data, (size_t) n, mac);

    if (!omni_mac_equal(mac, got)) {
        return OMNI_EFORGED;
    }

    /* signed by us: still, every bound is checked again */

    omni_reader_init(&r, f->data, (size_t) n);

    f->made = omni_read_int(&r);
    f->start = (size_t) n - omni_reader_left(&r);
    f->len = (size_t) n;
    f->n = 0;

    if (r.error) {
        return OMNI_EINVAL;
    }

    while (omni_reader_left(&r)) {
        if (omni_event_decode(&r, &ev) != OMNI_OK) {
            return OMNI_EINVAL;
        }

        f->n++;
    }

    if (f->n == 0) {
        return OMNI_EINVAL;
    }

    if (f->made > now + OMNI_FIRST_CLOCK_SKEW
        || now - f->made > OMNI_FIRST_MAX_AGE)
    {
        return OMNI_ENOTFOUND;
    }

    return OMNI_OK;
}


int
omni_first_next(const omni_first_t *f, size_t *pos, omni_event_t *ev)
{
    size_t         at;
    omni_reader_t  r;

    at = (*pos == 0) ? f->start : *pos;

    if (at < f->start || at >= f->len) {
        return OMNI_ENOTFOUND;
    }

    omni_reader_init(&r, f->data + at, f->len - at);

    if (omni_event_decode(&r, ev) != OMNI_OK) {
        return OMNI_EINVAL;
    }

    ev->flags &= ~(uint32_t) (OMNI_EVENT_FIRST | OMNI_EVENT_FIRST_START);
    ev->flags |= OMNI_EVENT_FIRST;

    if (at == f->start) {
        ev->flags |= OMNI_EVENT_FIRST_START;
    }

    *pos = f->len - omni_reader_left(&r);

    return OMNI_OK;
}


static void
omni_first_mac(const omni_signer_t *signer, const omni_id_t *id,
    const uint8_t *payload, size_t len, uint8_t mac[OMNI_MAC_SIZE])
{
    uint8_t  msg[OMNI_FIRST_TAG_LEN + OMNI_ID_SIZE + OMNI_FIRST_MAX];

    memcpy(msg, OMNI_FIRST_TAG, OMNI_FIRST_TAG_LEN);
    memcpy(msg + OMNI_FIRST_TAG_LEN, id->bytes, OMNI_ID_SIZE);
    memcpy(msg + OMNI_FIRST_TAG_LEN + OMNI_ID_SIZE, payload, len);

    omni_signer_mac(signer, msg, OMNI_FIRST_TAG_LEN + OMNI_ID_SIZE + len,
                    mac);
}
