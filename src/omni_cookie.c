/*
 * Signed visitor cookies: "v1.<id>.<mac>".
 *
 * The HMAC key schedule (the SHA-256 states after the inner and the outer
 * padded key block) is computed once per secret, so a verification costs
 * two compression rounds and no allocation.
 *
 * New ids come from a small per-thread pool of CSPRNG output: one
 * RAND_bytes() call costs about the same for 16 bytes as for a kilobyte
 * (the DRBG rekeys and looks its parameters up on every call), so drawing
 * 64 ids at once makes a new visitor about 0.6 us cheaper.  A forked child
 * must never hand out its parent's bytes: a fork handler empties the pool.
 */

/* SHA256_Init() and friends are the only allocation-free SHA-256 API */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <omni/cookie.h>


#define OMNI_COOKIE_VERSION      "v1."
#define OMNI_COOKIE_SIGNED_LEN   (sizeof(OMNI_COOKIE_VERSION) - 1        \
                                  + OMNI_ID_TEXT_LEN)
#define OMNI_COOKIE_MAX_SEEN     256
#define OMNI_HMAC_BLOCK          64
#define OMNI_ID_POOL_SIZE        (64 * OMNI_ID_SIZE)


struct omni_signer_s {
    SHA256_CTX  inner;
    SHA256_CTX  outer;
};


/* the unused bytes are the last "avail" of the pool; zero: empty */
typedef struct {
    size_t   avail;
    uint8_t  bytes[OMNI_ID_POOL_SIZE];
} omni_id_pool_t;


static void omni_hmac(const omni_signer_t *signer, const void *msg,
    size_t len, uint8_t mac[SHA256_DIGEST_LENGTH]);
static void omni_id_pool_init(void);
static void omni_id_pool_forked(void);


static __thread omni_id_pool_t  omni_id_pool;
static pthread_once_t           omni_id_pool_once = PTHREAD_ONCE_INIT;
static int                      omni_id_pool_atfork = -1;


omni_signer_t *
omni_signer_new(const void *secret, size_t len)
{
    size_t          i;
    uint8_t         key[OMNI_HMAC_BLOCK], pad[OMNI_HMAC_BLOCK];
    omni_signer_t  *signer;

    if (len < OMNI_SECRET_MIN) {
        return NULL;
    }

    signer = calloc(1, sizeof(omni_signer_t));
    if (signer == NULL) {
        return NULL;
    }

    memset(key, 0, sizeof(key));

    if (len > OMNI_HMAC_BLOCK) {
        SHA256(secret, len, key);

    } else {
        memcpy(key, secret, len);
    }

    for (i = 0; i < OMNI_HMAC_BLOCK; i++) {
        pad[i] = key[i] ^ 0x36;
    }

    SHA256_Init(&signer->inner);
    SHA256_Update(&signer->inner, pad, OMNI_HMAC_BLOCK);

    for (i = 0; i < OMNI_HMAC_BLOCK; i++) {
        pad[i] = key[i] ^ 0x5c;
    }

    SHA256_Init(&signer->outer);
    SHA256_Update(&signer->outer, pad, OMNI_HMAC_BLOCK);

    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(pad, sizeof(pad));

    return signer;
}


void
omni_signer_free(omni_signer_t *signer)
{
    if (signer == NULL) {
        return;
    }

    OPENSSL_cleanse(signer, sizeof(omni_signer_t));
    free(signer);
}


static void
omni_hmac(const omni_signer_t *signer, const void *msg, size_t len,
    uint8_t mac[SHA256_DIGEST_LENGTH])
{
    SHA256_CTX  ctx;

    ctx = signer->inner;
    SHA256_Update(&ctx, msg, len);
    SHA256_Final(mac, &ctx);

    ctx = signer->outer;
    SHA256_Update(&ctx, mac, SHA256_DIGEST_LENGTH);
    SHA256_Final(mac, &ctx);
}


static void
omni_id_pool_init(void)
{
    omni_id_pool_atfork = pthread_atfork(NULL, NULL, omni_id_pool_forked);
}


static void
omni_id_pool_forked(void)
{
    /* runs in the child, in the thread that forked: the only one left */
    OPENSSL_cleanse(&omni_id_pool, sizeof(omni_id_pool_t));
}


int
omni_id_generate(omni_id_t *id)
{
    uint8_t         *p;
    omni_id_pool_t  *pool;

    pool = &omni_id_pool;

    if (pool->avail == 0) {

        if (pthread_once(&omni_id_pool_once, omni_id_pool_init) != 0
            || omni_id_pool_atfork != 0)
        {
            /* without a fork handler a pool could be shared: no pool */
            return RAND_bytes(id->bytes, OMNI_ID_SIZE) == 1 ? OMNI_OK
                                                             : OMNI_ERROR;
        }

        if (RAND_bytes(pool->bytes, OMNI_ID_POOL_SIZE) != 1) {
            return OMNI_ERROR;
        }

        pool->avail = OMNI_ID_POOL_SIZE;
    }

    /* bytes handed out are wiped: the pool only ever holds future ids */
    p = pool->bytes + OMNI_ID_POOL_SIZE - pool->avail;

    memcpy(id->bytes, p, OMNI_ID_SIZE);
    OPENSSL_cleanse(p, OMNI_ID_SIZE);

    pool->avail -= OMNI_ID_SIZE;

    return OMNI_OK;
}


void
omni_id_format(const omni_id_t *id, char *out)
{
    (void) omni_base64url_encode(id->bytes, OMNI_ID_SIZE, out);
}


int
omni_id_parse(const char *text, size_t len, omni_id_t *id)
{
    if (len != OMNI_ID_TEXT_LEN
        || omni_base64url_decode(text, len, id->bytes) != OMNI_ID_SIZE)
    {
        return OMNI_EINVAL;
    }

    return OMNI_OK;
}


void
omni_cookie_mint(const omni_signer_t *signer, const omni_id_t *id,
    char *out)
{
    char     *p;
    uint8_t   mac[SHA256_DIGEST_LENGTH];

    p = out;

    memcpy(p, OMNI_COOKIE_VERSION, sizeof(OMNI_COOKIE_VERSION) - 1);
    p += sizeof(OMNI_COOKIE_VERSION) - 1;

    p += omni_base64url_encode(id->bytes, OMNI_ID_SIZE, p);

    omni_hmac(signer, out, OMNI_COOKIE_SIGNED_LEN, mac);

    *p++ = '.';
    (void) omni_base64url_encode(mac, OMNI_MAC_SIZE, p);
}


int
omni_cookie_verify(const omni_signer_t *signer, const char *value,
    size_t len, omni_id_t *id)
{
    size_t   i;
    uint8_t  mac[SHA256_DIGEST_LENGTH], got[OMNI_MAC_SIZE + 2];

    if (len > OMNI_COOKIE_MAX_SEEN) {
        return OMNI_ETOOBIG;
    }

    if (len < 3 || value[0] != 'v') {
        return OMNI_EINVAL;
    }

    if (memcmp(value, OMNI_COOKIE_VERSION, sizeof(OMNI_COOKIE_VERSION) - 1)
        != 0)
    {
        /* "v<digits>." is a version we do not know; anything else is junk */
        for (i = 1; i < len && value[i] >= '0' && value[i] <= '9'; i++) {
            /* void */
        }

        return (i > 1 && i < len && value[i] == '.') ? OMNI_EVERSION
                                                     : OMNI_EINVAL;
    }

    if (len != OMNI_COOKIE_LEN || value[OMNI_COOKIE_SIGNED_LEN] != '.') {
        return OMNI_EINVAL;
    }

    if (omni_id_parse(value + sizeof(OMNI_COOKIE_VERSION) - 1,
                      OMNI_ID_TEXT_LEN, id)
        != OMNI_OK)
    {
        return OMNI_EINVAL;
    }

    if (omni_base64url_decode(value + OMNI_COOKIE_SIGNED_LEN + 1,
                              len - OMNI_COOKIE_SIGNED_LEN - 1, got)
        != OMNI_MAC_SIZE)
    {
        return OMNI_EINVAL;
    }

    omni_hmac(signer, value, OMNI_COOKIE_SIGNED_LEN, mac);

    if (CRYPTO_memcmp(mac, got, OMNI_MAC_SIZE) != 0) {
        memset(id, 0, sizeof(omni_id_t));
        return OMNI_EFORGED;
    }

    return OMNI_OK;
}


void
omni_signer_mac(const omni_signer_t *signer, const void *msg, size_t len,
    uint8_t mac[OMNI_MAC_SIZE])
{
    uint8_t  full[SHA256_DIGEST_LENGTH];

    omni_hmac(signer, msg, len, full);
    memcpy(mac, full, OMNI_MAC_SIZE);
}


int
omni_mac_equal(const uint8_t a[OMNI_MAC_SIZE], const uint8_t b[OMNI_MAC_SIZE])
{
    return CRYPTO_memcmp(a, b, OMNI_MAC_SIZE) == 0;
}
