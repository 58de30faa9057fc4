/*
 * A new visitor's first response, carried by the client.
 *
 * Nothing is written to the store for a visitor who has only just been
 * given an id: a client that never sends the cookie back (a crawler, a
 * scanner, a flood of requests) would otherwise add one record per
 * request.  The events of that first response travel instead in a second,
 * short-lived cookie, signed and bound to the visitor id:
 *
 *     f1.<payload>.<mac>
 *
 * payload: base64url of the time the cookie was made and the events in
 * the queue's wire coding (queue.h), at most OMNI_FIRST_MAX bytes; mac:
 * base64url of HMAC-SHA256 over "f1." || visitor id (16 bytes) || the
 * payload's bytes, truncated to OMNI_MAC_SIZE (cookie.h).  When the
 * visitor comes back with the visitor cookie, the glue queues these
 * events with their own times, flagged OMNI_EVENT_FIRST, and the flush
 * (flush.h) applies one copy of them only, however many requests carried
 * the cookie at once.
 *
 * No allocation; an omni_first_t is about 1 KB.
 */

#ifndef OMNI_FIRST_H_INCLUDED
#define OMNI_FIRST_H_INCLUDED


#include <omni/omni.h>
#include <omni/cookie.h>
#include <omni/event.h>


#define OMNI_FIRST_MAX          1024    /* payload bytes */
#define OMNI_FIRST_MAX_AGE      3600    /* seconds a first response waits */
#define OMNI_FIRST_CLOCK_SKEW   60      /* seconds "from the future" */

/* the longest cookie value omni_first_seal() writes */
#define OMNI_FIRST_COOKIE_MAX                                                 \
    (3 + omni_base64url_encoded_len(OMNI_FIRST_MAX) + 1                       \
     + omni_base64url_encoded_len(OMNI_MAC_SIZE))


typedef struct omni_first_s {
    int64_t     made;                   /* unix seconds */
    size_t      n;                      /* events */
    size_t      len;                    /* payload bytes used */
    size_t      start;                  /* where the events begin */
    uint8_t     data[OMNI_FIRST_MAX];
} omni_first_t;


/* An empty set, made at "now". */
void omni_first_init(omni_first_t *f, int64_t now);

/*
 * Appends an event.  OMNI_OK; OMNI_EFULL when it does not fit (the set is
 * unchanged); OMNI_EINVAL for an event the queue would refuse.
 */
int omni_first_add(omni_first_t *f, const omni_event_t *ev);

/* The length of the cookie value omni_first_seal() writes for f. */
size_t omni_first_cookie_len(const omni_first_t *f);

/* Writes the cookie value (omni_first_cookie_len() bytes); its length. */
size_t omni_first_seal(const omni_signer_t *signer, const omni_id_t *id,
    const omni_first_t *f, char *out);

/*
 * Verifies a cookie value for the visitor id and fills *f.  OMNI_OK;
 * OMNI_ETOOBIG (longer than any value we make), OMNI_EVERSION ("f2." and
 * later), OMNI_EINVAL (malformed, or no event), OMNI_EFORGED (not signed
 * by this key for this visitor), OMNI_ENOTFOUND (older than
 * OMNI_FIRST_MAX_AGE, or made more than OMNI_FIRST_CLOCK_SKEW seconds
 * after now).  Every event decodes when OMNI_OK is returned.
 */
int omni_first_open(const omni_signer_t *signer, const omni_id_t *id,
    const char *value, size_t len, int64_t now, omni_first_t *f);

/*
 * The events in order: start with *pos = 0; OMNI_OK and *ev (its strings
 * point into f), OMNI_ENOTFOUND after the last.  Every event comes out
 * flagged OMNI_EVENT_FIRST, the first one also OMNI_EVENT_FIRST_START.
 */
int omni_first_next(const omni_first_t *f, size_t *pos, omni_event_t *ev);


#endif /* OMNI_FIRST_H_INCLUDED */
