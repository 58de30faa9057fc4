/*
 * Visitor identity: random 128-bit ids and the signed cookie that carries
 * them, "v1.<id>.<mac>" with both parts in unpadded base64url and the mac
 * a truncated HMAC-SHA256 over "v1.<id>".
 */

#ifndef OMNI_COOKIE_H_INCLUDED
#define OMNI_COOKIE_H_INCLUDED


#include <omni/omni.h>


#define OMNI_ID_SIZE          16
#define OMNI_ID_TEXT_LEN      22      /* base64url of 16 bytes, unpadded */
#define OMNI_MAC_SIZE         16      /* HMAC-SHA256 truncated to 128 bits */
#define OMNI_COOKIE_LEN       (3 + OMNI_ID_TEXT_LEN + 1 + 22)
#define OMNI_SECRET_MIN       32


typedef struct {
    uint8_t  bytes[OMNI_ID_SIZE];
} omni_id_t;


/* A signing key with the HMAC inner and outer states computed once. */
typedef struct omni_signer_s  omni_signer_t;


omni_signer_t *omni_signer_new(const void *secret, size_t len);
void omni_signer_free(omni_signer_t *signer);

/* Fills id from the system's CSPRNG. */
int omni_id_generate(omni_id_t *id);

/* Writes exactly OMNI_ID_TEXT_LEN bytes. */
void omni_id_format(const omni_id_t *id, char *out);
int omni_id_parse(const char *text, size_t len, omni_id_t *id);

/*
 * Writes exactly OMNI_COOKIE_LEN bytes.  omni_cookie_verify() returns
 * OMNI_OK and the id, or OMNI_EINVAL (malformed), OMNI_ETOOBIG (longer than
 * any cookie we issue), OMNI_EVERSION or OMNI_EFORGED.
 */
void omni_cookie_mint(const omni_signer_t *signer, const omni_id_t *id,
    char *out);
int omni_cookie_verify(const omni_signer_t *signer, const char *value,
    size_t len, omni_id_t *id);

/*
 * The signer's HMAC-SHA256 over any message, truncated to OMNI_MAC_SIZE
 * bytes, for the other values the module signs.  Each kind of value puts
 * its own tag first ("f1." for the first-response cookie, first.h), so
 * that no signed value of one kind verifies as another.
 */
void omni_signer_mac(const omni_signer_t *signer, const void *msg,
    size_t len, uint8_t mac[OMNI_MAC_SIZE]);

/* Compares two macs in constant time: 1 when equal, else 0. */
int omni_mac_equal(const uint8_t a[OMNI_MAC_SIZE],
    const uint8_t b[OMNI_MAC_SIZE]);


/* Unpadded base64url (RFC 4648, section 5). */

#define omni_base64url_encoded_len(n)  (((n) * 4 + 2) / 3)

size_t omni_base64url_encode(const uint8_t *src, size_t len, char *dst);

/*
 * Strict: rejects padding, characters outside the alphabet, an impossible
 * length, and non-zero trailing bits, so that every value has exactly one
 * encoding.  Returns the decoded length or -1.
 */
long omni_base64url_decode(const char *src, size_t len, uint8_t *dst);


#endif /* OMNI_COOKIE_H_INCLUDED */
