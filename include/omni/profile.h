/*
 * Customer profiles, as a CRM knows them: the records of the "profiles"
 * store, keyed by customer id.
 *
 * A record is a versioned binary layout that omni_profile_decode() reads
 * in place: the strings of the view point into the record (usually into
 * the LMDB map) and are valid as long as the record is.  Every length and
 * count is checked against the record and against the limits below; a
 * record that breaks any of them is rejected as a whole.
 */

#ifndef OMNI_PROFILE_H_INCLUDED
#define OMNI_PROFILE_H_INCLUDED


#include <omni/omni.h>


#define OMNI_PROFILE_VERSION      1

#define OMNI_KEY_MAX              128     /* customer and item ids */
#define OMNI_SHORT_MAX            255     /* names, tiers, attribute values */
#define OMNI_PROFILE_MAX_TAGS     32
#define OMNI_PROFILE_MAX_ATTRS    32
#define OMNI_PROFILE_RECORD_MAX   16384

/* consent flags a CRM can record per customer (channels it may use) */
#define OMNI_CONSENT_EMAIL        0x01
#define OMNI_CONSENT_SMS          0x02
#define OMNI_CONSENT_PUSH         0x04
#define OMNI_CONSENT_ADS          0x08
#define OMNI_CONSENT_ANALYTICS    0x10


typedef struct {
    omni_str_t  key;
    omni_str_t  value;
} omni_attr_t;


typedef struct {
    omni_str_t   customer_id;
    omni_str_t   first_name;
    omni_str_t   locale;
    omni_str_t   tier;
    int64_t      points;
    uint32_t     consent;               /* OMNI_CONSENT_* */
    int64_t      updated;               /* unix seconds, 0 if unknown */

    size_t       ntags;
    omni_str_t   tags[OMNI_PROFILE_MAX_TAGS];

    size_t       nattrs;
    omni_attr_t  attrs[OMNI_PROFILE_MAX_ATTRS];
} omni_profile_t;


/*
 * OMNI_OK, OMNI_EINVAL (garbage, truncated, checksum), OMNI_EVERSION,
 * OMNI_ETOOBIG (a record over OMNI_PROFILE_RECORD_MAX).  Allocates
 * nothing; the view's strings point into data.
 */
int omni_profile_decode(const void *data, size_t len, omni_profile_t *p);

/*
 * Encodes into buf; *len receives the record's size.  OMNI_ETOOBIG when
 * it does not fit or a field is over its limit, OMNI_EINVAL when a field
 * breaks the rules below.
 */
int omni_profile_encode(const omni_profile_t *p, void *buf, size_t size,
    size_t *len);

int omni_profile_has_tag(const omni_profile_t *p, const char *tag,
    size_t len);
/* returns the attribute's value, or a NULL string */
omni_str_t omni_profile_attr(const omni_profile_t *p, const char *key,
    size_t len);


/*
 * Limits and rules that encode and decode both enforce, so that a record
 * that decodes is one the encoder could have written: every string is
 * printable (no control bytes, so a value can go into a header or a log
 * line as is), the customer id is not empty, a tag holds no comma (tags
 * are listed comma-separated in $omni_profile_tags), and an attribute key
 * is a name usable in an nginx variable: [A-Za-z0-9_], at most 64 bytes.
 * encode() also rejects duplicate attribute keys.
 */

#define OMNI_PROFILE_TAG_MAX       64
#define OMNI_PROFILE_ATTR_KEY_MAX  64
#define OMNI_CONSENT_ALL           0x1f

void omni_profile_init(omni_profile_t *p);
int omni_profile_attr_key_ok(const char *key, size_t len);
int omni_profile_tag_ok(const char *tag, size_t len);

/* "email", "sms", "push", "ads", "analytics"; NULL for other bits */
const char *omni_consent_name(uint32_t flag);
/* 0 when the name is unknown */
uint32_t omni_consent_by_name(const char *name, size_t len);


#endif /* OMNI_PROFILE_H_INCLUDED */
